"""Human-level performance (HLP): each annotator against ground truth or consensus, and
the HLP written into the project's scoping baselines as the figure a model must beat.

DESIGN
------
* The reference is the item dataset's ground-truth column when the labels set names one,
  else the consensus (ties left out). HLP is the mean annotator accuracy against it.
* Writing the HLP records it, with its provenance, as the ``hlp`` baseline of the scoping
  brief (a new brief version).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from core import scoping
from core.db import labeling as labeling_db
from core.db.database import Database
from core.labeling.consensus import consensus
from core.labeling.sets import LabelError, LabelSet, normalize_labels


@dataclass(frozen=True)
class Hlp:
    """Each annotator against a reference (ground truth or consensus)."""

    reference: str  # "ground truth (<column>)" or "consensus"
    n_items: int
    per_annotator: pd.DataFrame  # annotator, n_items, accuracy, macro_f1
    per_class: pd.DataFrame  # annotator, class, precision, recall, f1, support
    hlp: float  # mean annotator accuracy


def human_level_performance(long: pd.DataFrame, reference: pd.Series, reference_name: str) -> Hlp:
    """Accuracy and per-class F1 of each annotator against ``reference`` (item_id -> label)."""
    from sklearn.metrics import precision_recall_fscore_support

    ref = reference.dropna().astype(str)
    rows, cls_rows = [], []
    classes = sorted(set(ref) | set(long["label"]))
    for who, g in long.groupby("annotator", sort=True):
        g = g[g["item_id"].isin(ref.index)]
        if g.empty:
            continue
        y_true, y_pred = ref.loc[g["item_id"]].to_numpy(), g["label"].to_numpy()
        p, r, f, s = precision_recall_fscore_support(
            y_true, y_pred, labels=classes, zero_division=0
        )
        present = s > 0
        rows.append(
            {
                "annotator": who,
                "n_items": len(g),
                "accuracy": float(np.mean(y_true == y_pred)),
                "macro_f1": float(f[present].mean()) if present.any() else np.nan,
            }
        )
        cls_rows += [
            {
                "annotator": who,
                "class": c,
                "precision": p[i],
                "recall": r[i],
                "f1": f[i],
                "support": int(s[i]),
            }
            for i, c in enumerate(classes)
        ]
    per = pd.DataFrame(rows, columns=["annotator", "n_items", "accuracy", "macro_f1"])
    return Hlp(
        reference_name,
        int(ref.index.isin(long["item_id"]).sum()),
        per,
        pd.DataFrame(
            cls_rows,
            columns=["annotator", "class", "precision", "recall", "f1", "support"],
        ),
        float(per["accuracy"].mean()) if len(per) else float("nan"),
    )


def hlp_for_set(store: Database, label_set: LabelSet, version: int | None = None) -> Hlp:
    """HLP against the item dataset's ground-truth column when there is one, else consensus."""
    long = labeling_db.label_frame(store, label_set.id, version)
    if long.empty:
        raise LabelError("This labels version holds no labels.")
    gt = label_set.ground_truth_column
    if gt and label_set.item_dataset_id is not None and label_set.item_id_column:
        rows = labeling_db.item_rows(
            store,
            label_set.item_dataset_id,
            label_set.item_id_column,
            long["item_id"].unique().tolist(),
        )
        ref = pd.Series(
            normalize_labels(rows[gt]).to_numpy(),
            index=rows[label_set.item_id_column].astype(str),
        )
        return human_level_performance(long, ref, f"ground truth ({gt})")
    c = consensus(long, labeling_db.label_decisions(store, label_set.id, version)).dropna(
        subset=["consensus"]
    )
    return human_level_performance(long, c.set_index("item_id")["consensus"], "consensus")


def write_hlp_baseline(store: Database, project_id: int, hlp: Hlp, version: int, actor: str) -> int:
    """Write the project HLP (mean annotator accuracy) into the scoping baselines.

    Returns the new version of the scoping brief.
    """
    if not np.isfinite(hlp.hlp):
        raise LabelError("The HLP is undefined: no annotator label matches a reference item.")
    return scoping.record_baseline(
        store,
        project_id,
        kind="hlp",
        value=round(hlp.hlp, 4),
        metric="accuracy",
        source=(
            f"labeling page: mean annotator accuracy vs {hlp.reference} on {hlp.n_items} "
            f"items, labels v{version}"
        ),
        actor=actor,
    )
