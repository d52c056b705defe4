"""Consensus and review: the majority vote, disagreements, the relabel queue, a reviewer's
decision (a new labels version) and the project's labeling instructions.

DESIGN
------
* Consensus is the majority vote; a tie has no consensus until a reviewer decides it. A
  reviewer decision always wins over the vote.
* The relabel queue holds undecided disagreements (most split first), then items sent from
  the label-error detector or error analysis that have no decision since they were sent.
* Instructions are Markdown, versioned per project; an amendment is a new version.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from core.db import labeling as labeling_db
from core.db.database import Database
from core.labeling.agreement import CountMatrix, count_matrix
from core.labeling.sets import LabelError, LabelSet


def _votes(cm: CountMatrix) -> list[str]:
    cls = np.array(cm.classes, dtype=object)
    return [
        ", ".join(
            f"{c}×{k}"
            for c, k in sorted(zip(cls[r > 0], r[r > 0], strict=True), key=lambda t: -t[1])
        )
        for r in cm.counts
    ]


def consensus(long: pd.DataFrame, decisions: pd.DataFrame | None = None) -> pd.DataFrame:
    """Majority vote per item, ties flagged; a reviewer's decision overrides the vote.

    Columns: item_id, n_labels, votes, majority (NA on a tie), tie, entropy, decided,
    consensus, source ("review", "majority" or "tie").

    Examples
    --------
    >>> long = pd.DataFrame({"item_id": list("aaabb"), "label": list("xxyxy")})
    >>> consensus(long)[["item_id", "majority", "tie", "consensus"]].values.tolist()
    [['a', 'x', False, 'x'], ['b', <NA>, True, <NA>]]
    """
    cm = count_matrix(long)
    cols = [
        "item_id",
        "n_labels",
        "votes",
        "majority",
        "tie",
        "entropy",
        "decided",
        "consensus",
        "source",
    ]
    if not cm.items:  # typed, so boolean masks on it stay masks
        dtypes = (
            "object",
            "int64",
            "object",
            "string",
            "bool",
            "float64",
            "bool",
            "string",
            "object",
        )
        return pd.DataFrame({c: pd.Series(dtype=t) for c, t in zip(cols, dtypes, strict=True)})
    counts = cm.counts
    top = counts.max(axis=1)
    tie = (counts == top[:, None]).sum(axis=1) > 1
    n = counts.sum(axis=1)
    share = counts / n[:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        entropy = -np.nansum(np.where(share > 0, share * np.log2(share), 0.0), axis=1)
    majority = pd.array(np.array(cm.classes, dtype=object)[counts.argmax(axis=1)], dtype="string")
    majority[tie] = pd.NA
    out = pd.DataFrame(
        {
            "item_id": cm.items,
            "n_labels": n,
            "votes": _votes(cm),
            "majority": majority,
            "tie": tie,
            "entropy": entropy.round(6),
        }
    )
    dec = decisions if decisions is not None else pd.DataFrame(columns=["item_id", "label"])
    dec_map = dict(zip(dec["item_id"].astype(str), dec["label"].astype(str), strict=True))
    out["decided"] = out["item_id"].isin(dec_map)
    out["consensus"] = out["item_id"].map(dec_map).astype("string").fillna(out["majority"])
    out["source"] = np.where(out["decided"], "review", np.where(out["tie"], "tie", "majority"))
    return out[cols]


def disagreements(long: pd.DataFrame, decisions: pd.DataFrame | None = None) -> pd.DataFrame:
    """Items whose annotators disagree, most split first (Shannon entropy of the votes, bits)."""
    c = consensus(long, decisions)
    split = c[c["votes"].str.contains(",", regex=False)]
    return split.sort_values(
        ["entropy", "n_labels", "item_id"], ascending=[False, False, True]
    ).reset_index(drop=True)


def relabel_queue(
    long: pd.DataFrame, decisions: pd.DataFrame, queued: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Items awaiting a reviewer: undecided disagreements (most split first), then items sent
    from the label-error detector that have no decision since they were sent."""
    c = consensus(long, decisions)
    dis = disagreements(long, decisions)
    dis = dis[~dis["decided"]].assign(reason="annotators disagree", priority=dis["entropy"])
    parts = [dis[["item_id", "votes", "majority", "tie", "reason", "priority"]]]
    if queued is not None and len(queued):
        q = queued.assign(item_id=queued["item_id"].astype(str))
        d = decisions[["item_id", "decided_at"]].assign(item_id=decisions["item_id"].astype(str))
        q = q.merge(d, on="item_id", how="left")
        q = q[~(q["decided_at"].notna() & (q["decided_at"] >= q["added_at"]))]
        q = q.sort_values("added_at", kind="stable").drop_duplicates("item_id", keep="last")
        q = q[~q["item_id"].isin(set(dis["item_id"]))]
        q = q.merge(c[["item_id", "votes", "majority", "tie"]], on="item_id", how="left")
        q = q.assign(reason=q["source"], priority=-q["score"].fillna(0.0))
        parts.append(q[["item_id", "votes", "majority", "tie", "reason", "priority"]])
    out = (
        pd.concat([p for p in parts if len(p)], ignore_index=True)
        if any(len(p) for p in parts)
        else parts[0].iloc[0:0]
    )
    return out.reset_index(drop=True)


@dataclass(frozen=True)
class ItemView:
    item_id: str
    features: pd.DataFrame  # one row per feature: feature, value
    labels: pd.DataFrame  # annotator, label, labeled_at
    decision: dict[str, Any] | None
    majority: str | None


def item_view(
    store: Database, label_set: LabelSet, item_id: str, version: int | None = None
) -> ItemView:
    """One item for the reviewer: its features and every annotator's label."""
    long = labeling_db.label_frame(store, label_set.id, version)
    labels = long[long["item_id"] == item_id][["annotator", "label", "labeled_at"]]
    features = pd.DataFrame(columns=["feature", "value"])
    if label_set.item_dataset_id is not None and label_set.item_id_column:
        rows = labeling_db.item_rows(
            store, label_set.item_dataset_id, label_set.item_id_column, [item_id]
        )
        if len(rows):
            features = pd.DataFrame(
                {
                    "feature": rows.columns,
                    "value": [str(v) for v in rows.iloc[0].tolist()],
                }
            )
    dec = labeling_db.label_decisions(store, label_set.id, version)
    dec = dec[dec["item_id"] == item_id]
    c = consensus(labels.assign(item_id=item_id)) if len(labels) else None
    majority = None if c is None or pd.isna(c["majority"].iloc[0]) else str(c["majority"].iloc[0])
    return ItemView(
        item_id,
        features,
        labels.reset_index(drop=True),
        dec.iloc[-1].to_dict() if len(dec) else None,
        majority,
    )


def decide_label(
    store: Database, label_set_id: int, item_id: str, label: str, reason: str, actor: str
) -> int:
    """Store a reviewer's consensus label for an item as a new labels version; returns it."""
    label, reason = str(label or "").strip(), str(reason or "").strip()
    if not label:
        raise LabelError("Choose or type the consensus label.")
    if not reason:
        raise LabelError("Give a short reason, so the next reviewer knows why.")
    known = labeling_db.label_frame(store, label_set_id)
    if (
        not (known["item_id"] == item_id).any()
        and not (labeling_db.list_relabel_items(store, label_set_id)["item_id"] == item_id).any()
    ):
        raise LabelError(f"Item {item_id!r} is not in this labels set or its queue.")
    return labeling_db.insert_label_decision(store, label_set_id, item_id, label, reason, actor)


def send_to_queue(
    store: Database, label_set_id: int, items: pd.DataFrame, source: str, actor: str
) -> int:
    """Add items (``item_id`` and ``score``) to the relabel queue; returns how many."""
    if items is None or items.empty:
        raise LabelError("Select at least one item to send to the relabel queue.")
    frame = items.assign(score=items.get("score", np.nan))
    return labeling_db.insert_relabel_items(store, label_set_id, frame, source=source, actor=actor)


def list_relabel_items(store: Database, label_set_id: int) -> pd.DataFrame:
    """Items sent to a labels set's relabel queue (item_id, source, score, added_at, ...)."""
    return labeling_db.list_relabel_items(store, label_set_id)


def list_label_instructions(store: Database, project_id: int) -> pd.DataFrame:
    """Every version of the project's labeling instructions, newest first."""
    return labeling_db.list_label_instructions(store, project_id)


def current_instructions(store: Database, project_id: int) -> str:
    """The newest labeling instructions (Markdown), or ``""`` when there are none."""
    instructions = list_label_instructions(store, project_id)
    return str(instructions["body"].iloc[0]) if len(instructions) else ""


def amend_instructions(store: Database, project_id: int, body: str, note: str, actor: str) -> int:
    """Save ``body`` as a new version of the labeling instructions; returns the version.

    Refused when the text is blank or the same as the current version.
    """
    if not body.strip() or body == current_instructions(store, project_id):
        raise LabelError("Change the text before saving a new version.")
    return labeling_db.insert_label_instructions(store, project_id, body, note, actor)
