from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.datasets import make_blobs
from sklearn.metrics import accuracy_score, cohen_kappa_score, f1_score

from core import labeling as L
from core.charts import labeling as charts_labels
from core.db import datasets as datasets_db
from core.db import labeling as labeling_db
from core.db import projects as projects_db

# Fleiss (1971) as worked on Wikipedia: 10 items, 14 raters, 5 categories; kappa = 0.210.
FLEISS_TABLE = np.array(
    [
        [0, 0, 0, 0, 14],
        [0, 2, 6, 4, 2],
        [0, 0, 3, 5, 6],
        [0, 3, 9, 2, 0],
        [2, 2, 8, 1, 1],
        [7, 7, 0, 0, 0],
        [3, 2, 6, 3, 0],
        [2, 5, 3, 2, 2],
        [6, 5, 2, 1, 0],
        [0, 2, 2, 3, 7],
    ]
)
# Krippendorff (2011), "Computing Krippendorff's alpha-reliability": 4 observers, 12 units,
# nominal alpha = 0.743 (None = missing).
KRIPP = {
    "A": [1, 2, 3, 3, 2, 1, 4, 1, 2, None, None, None],
    "B": [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, None, 3],
    "C": [None, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, None],
    "D": [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, None],
}


def _long(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["item_id", "annotator", "label"]).assign(labeled_at=pd.NaT)


def _votes(*items: str) -> pd.DataFrame:
    """Long labels from one string per item, ``"item: annotator=label ..."``."""
    rows = []
    for spec in items:
        item, votes = spec.split(":")
        rows += [(item.strip(), *vote.split("=")) for vote in votes.split()]
    return _long(rows)


def kripp_long() -> pd.DataFrame:
    return _long(
        [
            (f"u{u:02d}", who, str(v))
            for who, vals in KRIPP.items()
            for u, v in enumerate(vals)
            if v is not None
        ]
    )


# ------------------------------------------------------------------ statistics
def test_fleiss_kappa_matches_the_published_example():
    assert L.fleiss_kappa(FLEISS_TABLE) == pytest.approx(0.20993, abs=5e-6)
    assert round(L.fleiss_kappa(FLEISS_TABLE), 3) == 0.210


def test_krippendorff_alpha_matches_the_published_example():
    cm = L.count_matrix(kripp_long())
    assert round(L.krippendorff_alpha_nominal(cm.counts), 3) == 0.743
    # the single-valued unit 12 is not pairable and must not change alpha
    assert L.krippendorff_alpha_nominal(cm.counts[cm.n_per_item >= 2]) == pytest.approx(
        L.krippendorff_alpha_nominal(cm.counts)
    )


def test_compute_agreement_on_the_krippendorff_data():
    a = L.compute_agreement(kripp_long())
    assert a.defined and a.n_annotators == 4 and a.n_items == 12 and a.n_pairable_items == 11
    assert round(a.krippendorff_alpha, 3) == 0.743
    assert len(a.pairs) == 6
    assert any("miss at least one" in n for n in a.notes)


@pytest.mark.filterwarnings("ignore::UserWarning")
@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from("abc"), st.sampled_from("abc")),
        min_size=2,
        max_size=40,
    )
)
def test_cohen_kappa_equals_sklearn(pairs):
    a, b = zip(*pairs, strict=True)
    ours = L.cohen_kappa(a, b)
    with np.errstate(all="ignore"):
        ref = cohen_kappa_score(a, b)
    if np.isnan(ref):
        assert np.isnan(ours)
    else:
        assert ours == pytest.approx(ref, abs=1e-12)


def test_pairwise_kappa_uses_shared_items_and_matches_sklearn():
    rng = np.random.default_rng(3)
    truth = rng.integers(0, 3, 200)
    rows = []
    for who, noise in (("ana", 0.1), ("ben", 0.3), ("chen", 0.2)):
        lab = np.where(rng.uniform(size=200) < noise, rng.integers(0, 3, 200), truth)
        keep = rng.uniform(size=200) > 0.1
        rows += [(f"i{i}", who, str(v)) for i, v in enumerate(lab) if keep[i]]
    long = _long(rows)
    pairs = L.pairwise_kappa(long)
    wide = long.pivot(index="item_id", columns="annotator", values="label")
    for r in pairs.itertuples():
        both = wide[[r.annotator_a, r.annotator_b]].dropna()
        assert r.n_items == len(both)
        assert r.cohen_kappa == pytest.approx(cohen_kappa_score(both.iloc[:, 0], both.iloc[:, 1]))
    # with three full raters Fleiss' kappa is the classic formula on complete items
    full = wide.dropna()
    cm = L.count_matrix(long[long["item_id"].isin(full.index)])
    assert L.compute_agreement(
        long[long["item_id"].isin(full.index)]
    ).fleiss_kappa == pytest.approx(L.fleiss_kappa(cm.counts))


@settings(max_examples=40, deadline=None)
@given(st.lists(st.lists(st.integers(0, 4), min_size=3, max_size=3), min_size=2, max_size=30))
def test_alpha_and_kappa_are_at_most_one_and_one_when_unanimous(rows):
    counts = np.array([[r.count(c) for c in range(5)] for r in rows])
    for f in (L.fleiss_kappa, L.krippendorff_alpha_nominal):
        v = f(counts)
        assert np.isnan(v) or v <= 1 + 1e-12
    unanimous = np.zeros_like(counts)
    unanimous[np.arange(len(rows)), np.arange(len(rows)) % 2] = 3
    assert L.krippendorff_alpha_nominal(unanimous) == pytest.approx(1.0)
    assert L.fleiss_kappa(unanimous) == pytest.approx(1.0)


def test_per_class_agreement_and_a_class_only_one_annotator_uses():
    long = _votes("1: a=x b=x", "2: a=x b=y", "3: a=z b=x")
    a = L.compute_agreement(long)
    pc = a.per_class.set_index("class")
    # x: item1 2*1 pairs agree / (2*1 + 1 + 1) opportunities = 0.5
    assert pc.loc["x", "specific_agreement"] == pytest.approx(0.5)
    assert pc.loc["z", "specific_agreement"] == 0 and pc.loc["z", "used_by"] == "a"
    assert any("'z' is used by one annotator only (a)" in n for n in a.notes)


def test_one_annotator_only_says_agreement_is_undefined():
    a = L.compute_agreement(_votes("1: a=x", "2: a=y"))
    assert not a.defined and "undefined" in a.message and np.isnan(a.fleiss_kappa)


def test_consensus_ties_and_disagreement_ranking():
    long = _votes("p: a=x b=y c=z", "q: a=x b=x c=y", "r: a=x b=x c=x", "s: a=x b=y")
    c = L.consensus(long).set_index("item_id")
    assert c.loc["q", "majority"] == "x" and not c.loc["q", "tie"]
    assert c.loc["p", "tie"] and pd.isna(c.loc["p", "consensus"]) and c.loc["s", "tie"]
    assert c.loc["p", "entropy"] == pytest.approx(np.log2(3))
    d = L.disagreements(long)
    assert d["item_id"].tolist() == ["p", "s", "q"]  # most split first; r is unanimous
    decided = pd.DataFrame({"item_id": ["p"], "label": ["z"]})
    c2 = L.consensus(long, decided).set_index("item_id")
    assert c2.loc["p", "consensus"] == "z" and c2.loc["p", "source"] == "review"


def test_confusion_between_two_annotators():
    long = _votes("1: a=x b=y", "2: a=x b=x", "3: a=y")
    tab = L.confusion_between(long, "a", "b")
    assert tab.loc["x", "y"] == 1 and tab.loc["x", "x"] == 1 and tab.to_numpy().sum() == 2
    with pytest.raises(L.LabelError):
        L.confusion_between(long, "a", "zed")


# ---------------------------------------------------------------------- import
def test_parse_long_and_wide_forms_agree():
    long_csv = (
        b"item,rater,label,timestamp\n1,ana,yes,2025-01-01\n1,ben,no,2025-01-02\n2,ana,yes,\n"
    )
    wide_csv = b"id,ana,ben\n1,yes,no\n2,yes,\n"
    a = L.read_labels_csv(long_csv)
    b = L.read_labels_csv(wide_csv)
    cols = ["item_id", "annotator", "label"]
    assert (
        a[cols].values.tolist()
        == b[cols].values.tolist()
        == [["1", "ana", "yes"], ["1", "ben", "no"], ["2", "ana", "yes"]]
    )
    assert a["labeled_at"].notna().sum() == 2


@pytest.mark.parametrize("data", [b"", b"   \n", b"only_one_column\n1\n2\n"])
def test_bad_csv_is_refused_with_a_message(data):
    with pytest.raises(L.LabelError):
        L.read_labels_csv(data)


def test_duplicate_labels_by_the_same_annotator():
    long = L.parse_labels(
        pd.DataFrame(
            {
                "item_id": [1, 1, 2],
                "annotator": ["a", "a", "a"],
                "label": ["x", "y", "x"],
                "labeled_at": ["2025-01-01", "2025-01-05", "2025-01-01"],
            }
        )
    )
    with pytest.raises(L.LabelError, match="more than once"):
        L.resolve_duplicates(long)
    kept, dropped = L.resolve_duplicates(long, "latest")
    assert dropped == 1 and kept.set_index("item_id").loc["1", "label"] == "y"


def test_a_data_file_read_as_labels_says_how_it_was_read():
    """A data file uploaded as labels is read as wide form (its first column as ids): the
    refusal says so, so the user sees why its measurements are called annotators."""
    data = b"width,height,colour\n1.5,2,red\n1.5,3,blue\n2.0,2,red\n"
    with pytest.raises(L.LabelError) as err:
        L.resolve_duplicates(L.read_labels_csv(data, filename="sizes.csv"))
    text = str(err.value)
    assert "more than once" in text
    assert "read as wide form: item ids from 'width', one column per annotator" in text


def _items_store(store):
    pid = projects_db.create_project(store, "p", "t")
    items = pd.DataFrame({"claim_id": ["c1", "c2", "c3"], "f": [1.0, 2.0, 3.0], "truth": [1, 0, 1]})
    did = datasets_db.insert_dataset(
        store, pid, "items", items, source="t", role="training", actor="t"
    )
    return pid, did


def _import_items(store, pid, did, long, name="s", **options):
    """Import ``long`` as labels of ``_items_store``'s dataset (id column ``claim_id``)."""
    options.setdefault("item_id_column", "claim_id")
    return L.import_labels(store, pid, name, long, item_dataset_id=did, actor="t", **options)


def test_unknown_items_are_refused_or_dropped_and_nothing_half_written(store):
    pid, did = _items_store(store)
    long = L.parse_labels(
        pd.DataFrame(
            {
                "item_id": ["c1", "c2", "zz"],
                "annotator": ["a", "b", "a"],
                "label": [1, 0, 1],
            }
        )
    )
    with pytest.raises(L.LabelError, match="not in the item dataset"):
        _import_items(store, pid, did, long)
    assert labeling_db.list_label_sets(store, pid) == []
    rep = _import_items(store, pid, did, long, unknown_items="drop", ground_truth_column="truth")
    assert (rep.n_labels, rep.n_items, rep.dropped_unknown) == (2, 2, 1)
    with pytest.raises(L.LabelError, match="no column"):
        _import_items(store, pid, did, long, "s2", item_id_column="nope")


# ------------------------------------------------------ versions and the queue
def test_decisions_make_new_versions_and_keep_the_old(store):
    pid, did = _items_store(store)
    long = L.parse_labels(
        pd.DataFrame(
            {
                "item_id": ["c1", "c1", "c2", "c2", "c3", "c3"],
                "annotator": list("ababab"),
                "label": [1, 0, 0, 0, 1, 0],
            }
        )
    )
    sid = _import_items(store, pid, did, long, ground_truth_column="truth").label_set_id
    ls = L.get_label_set(store, sid)
    q = L.relabel_queue(
        labeling_db.label_frame(store, sid), labeling_db.label_decisions(store, sid)
    )
    assert sorted(q["item_id"]) == ["c1", "c3"] and q["tie"].all()
    view = L.item_view(store, ls, "c1")
    assert view.labels["label"].tolist() == ["1", "0"]
    assert dict(zip(view.features["feature"], view.features["value"], strict=True))["f"] == "1.0"
    with pytest.raises(L.LabelError, match="reason"):
        L.decide_label(store, sid, "c1", "1", " ", "rev")
    v2 = L.decide_label(store, sid, "c1", "1", "instructions rule 2", "rev")
    v3 = L.decide_label(store, sid, "c1", "0", "second look", "rev2")
    assert (v2, v3) == (2, 3)
    versions = labeling_db.list_label_versions(store, sid)
    assert versions["version"].tolist() == [3, 2, 1]
    assert versions["n_decisions"].tolist() == [1, 1, 0]
    assert labeling_db.label_decisions(store, sid, 1).empty
    assert labeling_db.label_decisions(store, sid, 2)["label"].tolist() == ["1"]
    d3 = labeling_db.label_decisions(store, sid)
    assert d3[["label", "reviewer"]].values.tolist() == [["0", "rev2"]]
    assert (
        len(labeling_db.label_frame(store, sid, 1))
        == len(labeling_db.label_frame(store, sid, 3))
        == 6
    )
    q = L.relabel_queue(labeling_db.label_frame(store, sid), d3)
    assert q["item_id"].tolist() == ["c3"]
    # HLP against the ground-truth column
    h = L.hlp_for_set(store, ls)
    assert h.reference == "ground truth (truth)" and h.n_items == 3
    per = h.per_annotator.set_index("annotator")
    assert per.loc["a", "accuracy"] == pytest.approx(1.0) and per.loc[
        "b", "accuracy"
    ] == pytest.approx(1 / 3)
    assert h.hlp == pytest.approx(2 / 3)


def test_empty_queue_and_queue_from_detector(store):
    pid, did = _items_store(store)
    long = L.parse_labels(
        pd.DataFrame({"item_id": ["c1", "c1"], "annotator": ["a", "b"], "label": ["x", "x"]})
    )
    sid = _import_items(store, pid, did, long).label_set_id
    q = L.relabel_queue(
        labeling_db.label_frame(store, sid),
        labeling_db.label_decisions(store, sid),
        labeling_db.list_relabel_items(store, sid),
    )
    assert q.empty
    with pytest.raises(L.LabelError):
        L.send_to_queue(store, sid, pd.DataFrame(columns=["item_id", "score"]), "x", "t")
    L.send_to_queue(
        store,
        sid,
        pd.DataFrame({"item_id": ["c1"], "score": [0.1]}),
        "label error run 9",
        "t",
    )
    q = L.relabel_queue(
        labeling_db.label_frame(store, sid),
        labeling_db.label_decisions(store, sid),
        labeling_db.list_relabel_items(store, sid),
    )
    assert q[["item_id", "reason"]].values.tolist() == [["c1", "label error run 9"]]
    L.decide_label(store, sid, "c1", "x", "checked", "rev")
    assert L.relabel_queue(
        labeling_db.label_frame(store, sid),
        labeling_db.label_decisions(store, sid),
        labeling_db.list_relabel_items(store, sid),
    ).empty


def test_hlp_against_consensus_matches_sklearn():
    rng = np.random.default_rng(5)
    truth = rng.integers(0, 2, 60).astype(str)
    rows = [
        (f"i{i}", who, lab if rng.uniform() > p else str(1 - int(lab)))
        for who, p in (("a", 0.1), ("b", 0.2), ("c", 0.3))
        for i, lab in enumerate(truth)
    ]
    long = _long(rows)
    ref = L.consensus(long).set_index("item_id")["consensus"]
    h = L.human_level_performance(long, ref, "consensus")
    for who, g in long.groupby("annotator"):
        row = h.per_annotator.set_index("annotator").loc[who]
        assert row["accuracy"] == pytest.approx(accuracy_score(ref.loc[g["item_id"]], g["label"]))
        f1s = h.per_class[h.per_class["annotator"] == who].set_index("class")["f1"]
        assert f1s["1"] == pytest.approx(f1_score(ref.loc[g["item_id"]], g["label"], pos_label="1"))
    assert h.hlp == pytest.approx(h.per_annotator["accuracy"].mean())


# ------------------------------------------------------------- label errors
def _noisy_blobs(seed: int = 0):
    X, y = make_blobs(
        n_samples=600,
        centers=[[0, 0, 0, 0], [6, 6, 0, 0], [0, 6, 6, 0]],
        cluster_std=1.0,
        random_state=seed,
    )
    rng = np.random.default_rng(seed)
    flip = rng.choice(len(y), size=30, replace=False)  # 5% flipped at random
    noisy = y.copy()
    noisy[flip] = (y[flip] + rng.integers(1, 3, size=30)) % 3
    frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(4)])
    frame["side"] = np.where(X[:, 0] > 3, "right", "left")
    return frame, noisy.astype(str), set(flip.tolist())


def test_label_errors_found_on_a_separable_set_with_flipped_labels():
    X, y, flipped = _noisy_blobs()
    res = L.find_label_errors(X, y, np.arange(len(y)), model="logistic", n_folds=5, seed=0)
    flagged = set(res.scores.loc[res.scores["flagged"], "item_id"].astype(int))
    recall = len(flagged & flipped) / len(flipped)
    clean_flagged = len(flagged - flipped)
    assert recall >= 0.8 and recall == pytest.approx(25 / 30)
    assert clean_flagged == 0  # of 570 clean labels
    top30 = set(res.scores.head(30)["item_id"].astype(int))
    assert len(top30 & flipped) == 30  # ranking by self-confidence puts every flip first
    assert res.scores["rank"].tolist() == list(range(1, 601))
    assert res.oof_accuracy == pytest.approx(0.95)


def test_confident_learning_thresholds_are_mean_self_confidence():
    rng = np.random.default_rng(1)
    p = rng.dirichlet([1, 1, 1], size=50)
    y = np.array(list("abc"))[rng.integers(0, 3, 50)]
    out, t = L.confident_learning(y, p, ["a", "b", "c"])
    for j, c in enumerate("abc"):
        assert t[c] == pytest.approx(p[y == c, j].mean())
    assert (out["self_confidence"] == p[np.arange(50), [("abc").index(v) for v in y]]).all()


def test_too_few_items_of_a_class_is_a_clear_error():
    X = pd.DataFrame({"x": range(20)})
    y = ["a"] * 17 + ["b"] * 3
    with pytest.raises(L.LabelError, match="fewer than the 5 folds"):
        L.out_of_fold_proba(X, pd.Series(y))


# ---------------------------------------------------------- demo and charts
def test_demo_labels_are_seeded_and_detection_is_stored(demo_store):
    pid = projects_db.list_projects(demo_store)[0].id
    (ls,) = L.list_label_sets(demo_store, pid)
    assert ls.name == "claims_annotations" and ls.item_id_column == "claim_id"
    assert labeling_db.latest_label_version(demo_store, ls.id) == 1
    long = labeling_db.label_frame(demo_store, ls.id)
    assert sorted(long["annotator"].unique()) == ["ana", "ben", "chen"]
    assert 0.9 * 4500 < len(long) < 4500  # each annotator skips about 5%
    a = L.compute_agreement(long)
    assert a.defined and 0.3 < a.fleiss_kappa < 0.7
    assert a.krippendorff_alpha == pytest.approx(0.4798, abs=1e-4)
    h = L.hlp_for_set(demo_store, ls)
    assert h.reference == "ground truth (needs_review)" and 0.85 < h.hlp < 0.95
    assert not labeling_db.list_label_instructions(demo_store, pid).empty
    rid = L.run_label_error_detection(demo_store, ls, actor="t")
    runs = L.label_error_runs(demo_store, pid, ls.id)
    assert runs["id"].tolist() == [rid] and runs["features"][0] == ls.feature_columns
    scores = labeling_db.label_error_scores(demo_store, rid)
    assert len(scores) == runs["n_items"][0] and scores["flagged"].sum() == runs["n_flagged"][0]


def test_write_hlp_baseline_into_scoping(demo_store):
    from core import scoping

    pid = projects_db.list_projects(demo_store)[0].id
    (ls,) = L.list_label_sets(demo_store, pid)
    h = L.hlp_for_set(demo_store, ls)
    L.write_hlp_baseline(demo_store, pid, h, 1, "t")
    stored = scoping.get_brief(demo_store, pid)
    assert stored is not None
    b = stored.brief.contract.baselines["hlp"]
    assert b.value == pytest.approx(round(h.hlp, 4)) and "labels v1" in b.source


def test_charts_have_titles_and_axis_labels():
    a = L.compute_agreement(kripp_long())
    figs = [
        charts_labels.agreement_heatmap(a),
        charts_labels.per_class_agreement_bars(a),
        charts_labels.annotator_confusion(L.confusion_between(kripp_long(), "A", "B")),
    ]
    X, y, _ = _noisy_blobs()
    res = L.find_label_errors(X, y, np.arange(len(y)))
    figs.append(charts_labels.label_error_distribution(res.scores, res.thresholds))
    for fig in figs:
        assert fig.layout.title.text and fig.layout.xaxis.title.text and fig.layout.yaxis.title.text
    assert figs[0].data[0].z.shape == (4, 4)
