"""Labeling inside the workbench: a queue of sampled or picked rows, one label per reviewer
per item, stored as a labels set whose agreement and HLP come from the app's labels.
Column names here are unlike the demo's."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import cohen_kappa_score

from core import analysis as S
from core import labeling as L
from core import projects
from core.db import datasets as datasets_db
from core.db import projects as projects_db
from core.db.database import Database
from tests.core.training_data import store_dummy_run, store_parts


def _dataset(
    store: Database, n: int = 120, seed: int = 0, with_id: bool = False
) -> tuple[int, int, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "word_count": rng.integers(5, 400, n),
            "channel_kind": rng.choice(["forum", "mail", "chat"], n),
            "verdict": rng.choice(["keep", "drop"], n),
        }
    )
    if with_id:
        frame.insert(0, "case_ref", [f"R-{i:04d}" for i in range(n)])
    pid = projects_db.create_project(store, "moderation", "t")
    did = datasets_db.insert_dataset(
        store, pid, "posts", frame, source="t", role="training", actor="t"
    )
    return pid, did, frame


def _queue(store: Database, pid: int, did: int, n: int = 20, seed: int = 5, **kw) -> int:
    args = {
        "dataset_id": did,
        "id_column": L.ROW_NUMBER,
        "choices": "keep, drop",
        "columns": ["word_count", "channel_kind"],
        "item_ids": L.sample_items(store, did, L.ROW_NUMBER, n, seed),
        "source": f"random sample of {n}, seed {seed}",
        "actor": "lead",
        "ground_truth_column": "verdict",
    }
    args.update(kw)
    return L.create_label_queue(store, pid, "in-app review", **args)


def test_random_sample_is_seeded_and_items_are_row_numbers(store: Database):
    _, did, _ = _dataset(store)
    items = L.sample_items(store, did, L.ROW_NUMBER, 20, seed=5)
    expected = np.random.default_rng(5).choice(120, size=20, replace=False)
    assert items == [str(i) for i in expected]
    assert L.sample_items(store, did, L.ROW_NUMBER, 20, seed=5) == items
    assert L.sample_items(store, did, L.ROW_NUMBER, 500, seed=1) != items  # capped at 120 rows
    assert len(L.sample_items(store, did, L.ROW_NUMBER, 500, seed=1)) == 120


def test_two_reviewers_label_20_items_and_agreement_is_computed(store: Database):
    pid, did, frame = _dataset(store)
    sid = _queue(store, pid, did)
    queue = L.get_label_queue(store, sid)
    assert queue is not None and queue.choices == ["keep", "drop"]
    rng = np.random.default_rng(9)
    given = {}
    for who in ("rev_ana", "rev_bo"):
        while (item := L.next_queue_item(store, queue, who)) is not None:
            truth = frame.loc[int(item.item_id), "verdict"]
            flip = rng.uniform() < (0.1 if who == "rev_ana" else 0.3)
            label = ({"keep": "drop", "drop": "keep"}[truth]) if flip else truth
            assert "verdict" not in set(item.features["feature"])  # never shown
            assert L.submit_label(store, sid, item.item_id, label, who) is None
            given[(who, item.item_id)] = label
    progress = L.queue_progress(store, sid, "rev_ana")
    assert (
        progress.items,
        progress.yours,
        progress.labels,
        progress.labelled_items,
        progress.reviewers,
    ) == (20, 20, 40, 20, 2)
    long = L.label_frame(store, sid)
    assert len(long) == 40 and set(long["annotator"]) == {"rev_ana", "rev_bo"}
    agreement = L.compute_agreement(long)
    assert agreement.defined and agreement.n_items == 20 and agreement.n_annotators == 2
    items = sorted({i for _, i in given})
    a = [given[("rev_ana", i)] for i in items]
    b = [given[("rev_bo", i)] for i in items]
    pair = agreement.pairs.iloc[0]
    assert pair["cohen_kappa"] == pytest.approx(cohen_kappa_score(a, b))
    assert pair["agreement"] == pytest.approx(np.mean(np.array(a) == np.array(b)))
    # HLP against the hidden ground-truth column
    hlp = L.hlp_for_set(store, L.get_label_set(store, sid))
    truth = [frame.loc[int(i), "verdict"] for i in items]
    assert hlp.reference == "ground truth (verdict)"
    assert hlp.hlp == pytest.approx(
        (np.mean(np.array(a) == truth) + np.mean(np.array(b) == truth)) / 2
    )


def test_a_second_label_by_the_same_reviewer_replaces_the_first(store: Database):
    pid, did, _ = _dataset(store)
    sid = _queue(store, pid, did, n=5)
    item = L.queue_items(store, sid)["item_id"].iloc[0]
    assert L.submit_label(store, sid, item, "keep", "rev_ana") is None
    assert L.submit_label(store, sid, item, "drop", "rev_bo") is None
    assert L.submit_label(store, sid, item, "drop", "rev_ana") == "keep"
    long = L.label_frame(store, sid)
    mine = long[(long["item_id"] == item) & (long["annotator"] == "rev_ana")]
    assert mine["label"].tolist() == ["drop"] and len(long) == 2
    versions = L.list_label_versions(store, sid)
    assert versions[["version", "n_labels", "n_items"]].values.tolist() == [[1, 2, 1]]
    audit = projects.audit_log(store, pid)
    relabel = audit[(audit["action"] == "label") & (audit["actor"] == "rev_ana")]
    details = [json.loads(d) if isinstance(d, str) else d for d in relabel["detail"]]
    assert {"item_id": item, "label": "drop", "version": 1, "previous": "keep"} in details
    assert L.reviewer_items(store, sid, "rev_ana") == [item]
    # the reviewer's current label is shown when the item is opened again
    queue = L.get_label_queue(store, sid)
    assert queue is not None and L.queue_item(store, queue, item, "rev_ana").your_label == "drop"


def test_skip_and_the_next_item_follow_the_queue_order(store: Database):
    pid, did, _ = _dataset(store, with_id=True)
    items = ["R-0007", "R-0003", "R-0011"]
    sid = _queue(store, pid, did, id_column="case_ref", item_ids=items, source="picked")
    queue = L.get_label_queue(store, sid)
    assert queue is not None
    first = L.next_queue_item(store, queue, "rev_ana")
    assert first is not None and first.item_id == "R-0007"
    assert set(first.features["feature"]) == {"word_count", "channel_kind"}
    nxt = L.next_queue_item(store, queue, "rev_ana", skipped=["R-0007"])
    assert nxt is not None and nxt.item_id == "R-0003"
    assert L.add_to_queue(store, sid, ["R-0003", "R-0050"], "error analysis", "lead") == 1
    assert L.queue_items(store, sid)["item_id"].tolist() == [*items, "R-0050"]
    for i in [*items, "R-0050"]:
        L.submit_label(store, sid, i, "keep", "rev_ana")
    assert L.next_queue_item(store, queue, "rev_ana") is None
    assert L.queue_progress(store, sid, "rev_ana").remaining == 0


def test_bad_queues_are_refused_and_store_nothing(store: Database):
    pid, did, _ = _dataset(store, with_id=True)
    cases = [
        ({"columns": ["word_count", "verdict"]}, "give the answer away"),
        ({"choices": "keep"}, "at least two label choices"),
        ({"id_column": "channel_kind"}, "repeated or missing values"),
        ({"columns": ["nope"]}, "not in the dataset: nope"),
        ({"item_ids": []}, "at least one item"),
        ({"id_column": "case_ref", "item_ids": ["R-9999"]}, "not rows of the dataset"),
    ]
    for kw, message in cases:
        with pytest.raises(L.LabelError, match=message):
            _queue(store, pid, did, **kw)
    assert L.list_label_sets(store, pid) == []
    sid = _queue(store, pid, did, n=3)
    with pytest.raises(L.LabelError, match="not one of this queue's labels"):
        L.submit_label(store, sid, L.queue_items(store, sid)["item_id"].iloc[0], "maybe", "rev")
    with pytest.raises(L.LabelError, match="not in this labeling queue"):
        L.submit_label(store, sid, "99999", "keep", "rev")
    assert L.label_frame(store, sid).empty
    # a queue without labels yet: consensus and the relabel queue are empty, not errors
    empty = L.label_frame(store, sid)
    assert L.relabel_queue(
        empty, L.label_decisions(store, sid), L.list_relabel_items(store, sid)
    ).empty
    assert not L.compute_agreement(empty).defined
    assert L.id_columns(store, did) == ["case_ref", L.ROW_NUMBER]
    assert L.class_choices(store, did, "verdict") == ["drop", "keep"] or L.class_choices(
        store, did, "verdict"
    ) == ["keep", "drop"]
    assert L.class_choices(store, did, "word_count") == []  # hundreds of values: not classes


def test_labels_from_the_app_give_the_per_slice_hlp_of_error_analysis(store: Database):
    pid, did, frame = _dataset(store, n=300)
    part = np.where(np.arange(300) % 2 == 0, "dev", "train")
    split = store_parts(store, pid, did, part, "verdict")
    preds = pd.DataFrame(
        {
            "row_id": np.arange(300),
            "part": part,
            "y_true": frame["verdict"],
            "y_pred": "keep",
            "score": 0.5,
        }
    )
    rid = store_dummy_run(
        store,
        pid,
        did,
        split,
        preds,
        target="verdict",
        positive_class="drop",
        features=["channel_kind"],
    )
    dev_rows = [int(r) for r in np.flatnonzero(part == "dev")[:60]]
    sid = _queue(store, pid, did, item_ids=[str(r) for r in dev_rows], source="dev rows")
    for r in dev_rows:
        truth = frame.loc[r, "verdict"]
        L.submit_label(store, sid, str(r), truth, "rev_ana")
        L.submit_label(
            store,
            sid,
            str(r),
            truth if r % 4 else {"keep": "drop", "drop": "keep"}[truth],
            "rev_bo",
        )
    src = S.source_for_run(store, rid, "dev")
    per_row, name = S.human_labels_by_row(store, src)
    assert name == "in-app review" and per_row is not None and len(per_row) == 60
    t = S.compute_slice_metrics(
        store, src, S.plan_columns(store, src, ["channel_kind"]).specs, metric="accuracy"
    )
    expected = np.mean([1.0 if r % 4 else 0.5 for r in dev_rows])
    assert t.hlp_value == pytest.approx(expected) and t.hlp_source.startswith("annotators")
