"""Labels from several annotators: agreement, consensus, the relabel queue, HLP, label errors.

DESIGN
------
* Labels live in long form (item id, annotator, label, time) in versioned *labels sets*; a
  set records the *item dataset* and its id column, so the relabel queue can show an item's
  features and the label-error detector can learn from them. Version 1 is the import; every
  reviewer decision writes a new version (a full copy in the store), the old one is kept.
* Labels are compared as text: ``1``, ``1.0`` and `` 1 `` are the same label.
* Agreement statistics work on the item x class *count matrix* (how many annotators gave
  item i class c), so missing labels need no special case: Fleiss' kappa in its
  variable-raters form, Krippendorff's alpha (nominal) from the coincidence matrix and
  per-class *specific agreement* all read that matrix. Cohen's kappa is per annotator pair on
  the items both labelled.
* Consensus is the majority vote; a tie has no consensus until a reviewer decides it. A
  reviewer decision always wins over the vote.
* Suspected label errors follow confident learning (Northcutt et al., 2021): out-of-fold
  probabilities from a seeded stratified k-fold model; a class's threshold is the mean
  self-confidence of the items given that class; an item is flagged when some other class
  clears its threshold and is the most probable of those that do. Ranked by self-confidence.
"""

from __future__ import annotations

import io
import json
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd

from core.db import datasets as datasets_db
from core.db import labeling as labeling_db
from core.db.database import Database
from core.errors import StoreError

LONG_COLUMNS = ("item_id", "annotator", "label", "labeled_at")
_SYNONYMS = {
    "item_id": ("item_id", "item", "id", "example_id", "task_id"),
    "annotator": (
        "annotator",
        "rater",
        "coder",
        "labeler",
        "labeller",
        "worker",
        "user",
    ),
    "label": ("label", "class", "annotation", "answer", "category"),
    "labeled_at": (
        "labeled_at",
        "labelled_at",
        "timestamp",
        "time",
        "created_at",
        "date",
    ),
}
MODELS = {
    "logistic": "Logistic regression (one-hot)",
    "hgb": "Histogram gradient boosting",
}
MAX_CATEGORIES = 50  # a text column with more distinct values is not used as a feature


class LabelError(StoreError):
    """Bad labels input or an impossible request; the message says what to do."""


@dataclass(frozen=True)
class LabelSet:
    id: int
    project_id: int
    name: str
    item_dataset_id: int | None
    item_id_column: str | None
    ground_truth_column: str | None
    feature_columns: list[str]
    source: str
    note: str
    created_at: datetime
    created_by: str


def get_label_set(store: Database, label_set_id: int) -> LabelSet:
    d = labeling_db.get_label_set(store, label_set_id)
    if d is None:
        raise LabelError("That labels set does not exist (any more).")
    return LabelSet(**d)


def list_label_sets(store: Database, project_id: int) -> list[LabelSet]:
    return [LabelSet(**d) for d in labeling_db.list_label_sets(store, project_id)]


# ---------------------------------------------------------------------------- import
def normalize_labels(values: pd.Series) -> pd.Series:
    """Labels as stripped text; integral numbers lose their ``.0``; blanks become missing.

    Examples
    --------
    >>> normalize_labels(pd.Series([1.0, 0.0, None])).tolist()
    ['1', '0', <NA>]
    >>> normalize_labels(pd.Series([" yes", "no ", ""])).tolist()
    ['yes', 'no', <NA>]
    """
    s = pd.Series(values, copy=True)
    if pd.api.types.is_bool_dtype(s):
        s = s.astype("Int64")
    if pd.api.types.is_numeric_dtype(s):
        num = pd.to_numeric(s, errors="coerce")
        finite = num.dropna()
        if len(finite) and np.all(np.mod(finite.to_numpy(dtype=float), 1) == 0):
            s = num.astype("Int64")
    out = s.astype("string").str.strip()
    return out.mask(out == "", pd.NA)


def _find_column(columns: list[str], role: str) -> str | None:
    lower = {str(c).strip().lower(): c for c in columns}
    return next((lower[n] for n in _SYNONYMS[role] if n in lower), None)


def parse_labels(
    frame: pd.DataFrame, form: str = "auto", id_column: str | None = None
) -> pd.DataFrame:
    """Turn a long or wide labels table into the long form ``item_id, annotator, label, labeled_at``.

    Long form has one row per (item, annotator) with columns named like ``item_id``,
    ``annotator``, ``label`` (and optionally ``labeled_at``). Wide form has an id column
    (``id_column``, else the first) and one column per annotator; blank cells are missing.

    Examples
    --------
    >>> wide = pd.DataFrame({"id": [1, 2], "ana": ["a", "b"], "ben": ["a", None]})
    >>> parse_labels(wide)[["item_id", "annotator", "label"]].values.tolist()
    [['1', 'ana', 'a'], ['1', 'ben', 'a'], ['2', 'ana', 'b']]
    """
    if frame is None or frame.empty or len(frame.columns) < 2:
        raise LabelError("The labels table is empty or has fewer than two columns.")
    cols = [str(c) for c in frame.columns]
    frame = frame.set_axis(cols, axis=1)
    found = {role: _find_column(cols, role) for role in _SYNONYMS}
    if form == "auto":
        form = "long" if found["annotator"] and found["label"] else "wide"
    if form == "long":
        missing = [r for r in ("item_id", "annotator", "label") if not found[r]]
        if id_column:
            found["item_id"] = id_column
            missing = [r for r in missing if r != "item_id"]
        if missing:
            raise LabelError(
                f"A long-form labels file needs columns for {', '.join(missing)} "
                f"(found: {', '.join(cols)}). Rename them, or choose the wide form."
            )
        out = pd.DataFrame(
            {
                "item_id": frame[found["item_id"]],
                "annotator": frame[found["annotator"]],
                "label": frame[found["label"]],
                "labeled_at": frame[found["labeled_at"]] if found["labeled_at"] else pd.NaT,
            }
        )
    elif form == "wide":
        idc = id_column or found["item_id"] or cols[0]
        if idc not in cols:
            raise LabelError(f"The id column {idc!r} is not in the file ({', '.join(cols)}).")
        melted = frame.melt(id_vars=[idc], var_name="annotator", value_name="label")
        out = pd.DataFrame(
            {
                "item_id": melted[idc],
                "annotator": melted["annotator"],
                "label": melted["label"],
                "labeled_at": pd.NaT,
            }
        )
    else:
        raise LabelError(f"Unknown form {form!r}; use 'long', 'wide' or 'auto'.")
    out["item_id"] = normalize_labels(out["item_id"])
    out["annotator"] = out["annotator"].astype("string").str.strip()
    out["label"] = normalize_labels(out["label"])
    out["labeled_at"] = pd.to_datetime(out["labeled_at"], errors="coerce")
    out = out.dropna(subset=["item_id", "annotator", "label"])
    if out.empty:
        raise LabelError("No label found: every row lacks an item id, an annotator or a label.")
    out = out.astype({"item_id": str, "annotator": str, "label": str})
    return out.sort_values(["item_id", "annotator"], kind="stable").reset_index(drop=True)


def read_labels_csv(data: bytes, form: str = "auto", id_column: str | None = None) -> pd.DataFrame:
    """Parse an uploaded CSV (long or wide form) into long-form labels."""
    if not data or not data.strip():
        raise LabelError("The file is empty. Upload a CSV with a header row.")
    try:
        frame = pd.read_csv(io.BytesIO(data), sep=None, engine="python", dtype=str)
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as exc:
        raise LabelError(
            f"The file could not be read as CSV ({exc}). Save it as UTF-8 CSV."
        ) from exc
    return parse_labels(frame, form=form, id_column=id_column)


def resolve_duplicates(long: pd.DataFrame, policy: str = "error") -> tuple[pd.DataFrame, int]:
    """Handle items an annotator labelled more than once: refuse, or keep the latest label.

    Returns the labels and how many rows were dropped.
    """
    dup = long.duplicated(["item_id", "annotator"], keep=False)
    if not dup.any():
        return long, 0
    pairs = long.loc[dup, ["item_id", "annotator"]].drop_duplicates()
    if policy != "latest":
        ex = ", ".join(f"{r.item_id} by {r.annotator}" for r in pairs.head(3).itertuples())
        raise LabelError(
            f"{len(pairs)} item(s) were labelled more than once by the same annotator "
            f"(e.g. {ex}). Fix the file, or choose to keep each annotator's latest label."
        )
    ordered = long.assign(_o=np.arange(len(long))).sort_values(
        ["labeled_at", "_o"], na_position="first"
    )
    kept = ordered.drop_duplicates(["item_id", "annotator"], keep="last").drop(columns="_o")
    kept = kept.sort_values(["item_id", "annotator"], kind="stable").reset_index(drop=True)
    return kept, len(long) - len(kept)


@dataclass(frozen=True)
class ImportReport:
    label_set_id: int
    n_labels: int
    n_items: int
    n_annotators: int
    dropped_duplicates: int
    dropped_unknown: int


def import_labels(
    store: Database,
    project_id: int,
    name: str,
    long: pd.DataFrame,
    *,
    item_dataset_id: int | None,
    item_id_column: str | None,
    actor: str,
    source: str = "upload",
    duplicates: str = "error",
    unknown_items: str = "error",
    ground_truth_column: str | None = None,
    feature_columns: list[str] | None = None,
) -> ImportReport:
    """Validate long-form labels and store them as version 1 of a new labels set.

    ``duplicates`` is ``"error"`` or ``"latest"``; ``unknown_items`` (labels for items the
    item dataset does not hold) is ``"error"`` or ``"drop"``. Nothing is stored on error.
    """
    long, n_dup = resolve_duplicates(long, duplicates)
    n_unknown = 0
    if item_dataset_id is not None:
        cols = [c for c, _ in datasets_db.dataset_schema(store, item_dataset_id)]
        for col in (item_id_column, ground_truth_column, *(feature_columns or [])):
            if col is not None and col not in cols:
                raise LabelError(f"The item dataset has no column {col!r}.")
        if item_id_column is None:
            raise LabelError("Choose the item dataset's id column.")
        unknown = labeling_db.unknown_items(
            store, item_dataset_id, item_id_column, long["item_id"].unique().tolist()
        )
        if unknown:
            if unknown_items != "drop":
                raise LabelError(
                    f"{len(unknown)} labelled item(s) are not in the item dataset (e.g. "
                    f"{', '.join(unknown[:3])}). Check the id column, or choose to drop them."
                )
            before = len(long)
            long = long[~long["item_id"].isin(set(unknown))]
            n_unknown = before - len(long)
            if long.empty:
                raise LabelError("None of the labelled items is in the item dataset.")
    sid = labeling_db.insert_label_set(
        store, project_id,
        name,
        long,
        item_dataset_id=item_dataset_id,
        item_id_column=item_id_column,
        source=source,
        actor=actor,
        ground_truth_column=ground_truth_column,
        feature_columns=feature_columns,
    )
    return ImportReport(
        sid,
        len(long),
        long["item_id"].nunique(),
        long["annotator"].nunique(),
        n_dup,
        n_unknown,
    )


# ------------------------------------------------------------------------ statistics
@dataclass(frozen=True)
class CountMatrix:
    """How many annotators gave each item each class (items x classes)."""

    items: list[str]
    classes: list[str]
    counts: np.ndarray

    @property
    def n_per_item(self) -> np.ndarray:
        return self.counts.sum(axis=1)


def count_matrix(long: pd.DataFrame) -> CountMatrix:
    """Items x classes counts from long-form labels.

    Examples
    --------
    >>> cm = count_matrix(pd.DataFrame({"item_id": ["a", "a", "b"], "label": ["x", "y", "x"]}))
    >>> cm.items, cm.classes, cm.counts.tolist()
    (['a', 'b'], ['x', 'y'], [[1, 1], [1, 0]])
    """
    if long.empty:
        return CountMatrix([], [], np.zeros((0, 0), dtype=int))
    tab = pd.crosstab(long["item_id"], long["label"])
    return CountMatrix([str(i) for i in tab.index], [str(c) for c in tab.columns], tab.to_numpy())


def cohen_kappa(a: Any, b: Any) -> float:
    """Cohen's kappa of two raters' labels on the same items (NaN when undefined).

    Examples
    --------
    >>> round(cohen_kappa(["x", "x", "y", "y"], ["x", "y", "y", "y"]), 4)
    0.5
    """
    a, b = np.asarray(a, dtype=object), np.asarray(b, dtype=object)
    if len(a) == 0:
        return float("nan")
    classes, inv = np.unique(np.concatenate([a, b]).astype(str), return_inverse=True)
    ia, ib = inv[: len(a)], inv[len(a) :]
    po = float(np.mean(ia == ib))
    pa = np.bincount(ia, minlength=len(classes)) / len(a)
    pb = np.bincount(ib, minlength=len(classes)) / len(b)
    pe = float(pa @ pb)
    return float("nan") if np.isclose(pe, 1.0) else (po - pe) / (1 - pe)


def fleiss_kappa(counts: np.ndarray) -> float:
    """Fleiss' kappa from an items x classes count matrix (items with < 2 ratings ignored).

    With the same number of raters per item this is Fleiss (1971); with varying numbers
    each item's agreement uses its own number of raters.

    Examples
    --------
    >>> round(fleiss_kappa(np.array([[2, 0], [0, 2], [1, 1]])), 4)
    0.3333
    """
    counts = np.asarray(counts, dtype=float)
    n = counts.sum(axis=1)
    keep = n >= 2
    counts, n = counts[keep], n[keep]
    if len(n) == 0:
        return float("nan")
    p_i = ((counts**2).sum(axis=1) - n) / (n * (n - 1))
    p_j = counts.sum(axis=0) / n.sum()
    p_bar, p_e = p_i.mean(), float((p_j**2).sum())
    return float("nan") if np.isclose(p_e, 1.0) else float((p_bar - p_e) / (1 - p_e))


def krippendorff_alpha_nominal(counts: np.ndarray) -> float:
    """Krippendorff's alpha for nominal data from an items x classes count matrix.

    Missing labels are simply absent from the counts; items with fewer than two labels are
    not pairable and drop out, as in Krippendorff (2011).

    Examples
    --------
    >>> round(krippendorff_alpha_nominal(np.array([[2, 0], [0, 2], [1, 1]])), 4)
    0.4444
    """
    counts = np.asarray(counts, dtype=float)
    m = counts.sum(axis=1)
    counts, m = counts[m >= 2], m[m >= 2]
    if len(m) == 0:
        return float("nan")
    weighted = counts / (m - 1)[:, None]
    coincidence = weighted.T @ counts - np.diag(weighted.sum(axis=0))
    n_c = coincidence.sum(axis=1)
    n = n_c.sum()
    d_o = coincidence.sum() - np.trace(coincidence)
    d_e = (n_c.sum() ** 2 - (n_c**2).sum()) / (n - 1)
    return float("nan") if np.isclose(d_e, 0.0) else float(1 - d_o / d_e)


def specific_agreement(counts: np.ndarray) -> np.ndarray:
    """Per class: when one annotator gives the class, the share of other annotators who agree.

    Examples
    --------
    >>> specific_agreement(np.array([[2, 0], [1, 1]])).round(4).tolist()
    [0.6667, 0.0]
    """
    counts = np.asarray(counts, dtype=float)
    n = counts.sum(axis=1)
    counts, n = counts[n >= 2], n[n >= 2]
    num = (counts * (counts - 1)).sum(axis=0)
    den = (counts * (n - 1)[:, None]).sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1), np.nan)


@dataclass(frozen=True)
class Agreement:
    """Agreement of a set of annotators; ``defined`` is False with one annotator only."""

    defined: bool
    message: str
    n_items: int
    n_pairable_items: int
    n_annotators: int
    n_labels: int
    observed: float
    unanimous_share: float
    fleiss_kappa: float
    krippendorff_alpha: float
    pairs: pd.DataFrame
    per_class: pd.DataFrame
    notes: list[str] = field(default_factory=list)


def _wide(long: pd.DataFrame) -> pd.DataFrame:
    return long.pivot(index="item_id", columns="annotator", values="label")


def pairwise_kappa(long: pd.DataFrame) -> pd.DataFrame:
    """Cohen's kappa and raw agreement for every pair of annotators on their shared items."""
    wide = _wide(long)
    rows = []
    names = sorted(wide.columns)
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            both = wide[[a, b]].dropna()
            rows.append(
                {
                    "annotator_a": a,
                    "annotator_b": b,
                    "n_items": len(both),
                    "agreement": float((both[a] == both[b]).mean()) if len(both) else np.nan,
                    "cohen_kappa": cohen_kappa(both[a], both[b]),
                }
            )
    return pd.DataFrame(
        rows,
        columns=["annotator_a", "annotator_b", "n_items", "agreement", "cohen_kappa"],
    )


def compute_agreement(long: pd.DataFrame) -> Agreement:
    """Overall, per-class and pairwise agreement of long-form labels."""
    annotators = sorted(long["annotator"].unique()) if len(long) else []
    cm = count_matrix(long)
    n = cm.n_per_item
    empty = pd.DataFrame()
    if len(annotators) < 2:
        return Agreement(
            False,
            "Agreement is undefined with fewer than two annotators: every item has one label. "
            "Import labels from a second annotator on the same items.",
            len(cm.items),
            0,
            len(annotators),
            len(long),
            np.nan,
            np.nan,
            np.nan,
            np.nan,
            empty,
            empty,
        )
    pairable = n >= 2
    counts = cm.counts[pairable]
    notes: list[str] = []
    if not pairable.any():
        return Agreement(
            False,
            "No item was labelled by two annotators, so agreement is undefined.",
            len(cm.items),
            0,
            len(annotators),
            len(long),
            np.nan,
            np.nan,
            np.nan,
            np.nan,
            pairwise_kappa(long),
            empty,
        )
    nn = counts.sum(axis=1)
    observed = float((((counts**2).sum(axis=1) - nn) / (nn * (nn - 1))).mean())
    users = long.groupby("label")["annotator"].agg(lambda s: sorted(set(s)))
    per_class = pd.DataFrame(
        {
            "class": cm.classes,
            "n_labels": cm.counts.sum(axis=0),
            "specific_agreement": specific_agreement(cm.counts),
            "used_by": [", ".join(users[c]) for c in cm.classes],
        }
    )
    for c in cm.classes:
        if len(users[c]) == 1:
            notes.append(
                f"Class {c!r} is used by one annotator only ({users[c][0]}): its agreement is 0 "
                "by construction; check the instructions cover it."
            )
    pairs = pairwise_kappa(long)
    if pairs["cohen_kappa"].isna().any():
        notes.append(
            "Cohen's kappa is undefined for a pair that shares no items or uses one class only."
        )
    if (n < len(annotators)).any():
        notes.append(
            f"{int((n < len(annotators)).sum())} item(s) miss at least one annotator's label; "
            "Krippendorff's alpha handles missing labels, Fleiss' kappa uses each item's raters."
        )
    return Agreement(
        True,
        "",
        len(cm.items),
        int(pairable.sum()),
        len(annotators),
        len(long),
        observed,
        float(((counts > 0).sum(axis=1) == 1).mean()),
        fleiss_kappa(counts),
        krippendorff_alpha_nominal(counts),
        pairs,
        per_class,
        notes,
    )


def kappa_matrix(pairs: pd.DataFrame) -> pd.DataFrame:
    """Annotator x annotator matrix of Cohen's kappa (diagonal 1) from ``pairwise_kappa``."""
    names = sorted(set(pairs["annotator_a"]) | set(pairs["annotator_b"]))
    mat = pd.DataFrame(np.eye(len(names)), index=names, columns=names)
    for r in pairs.itertuples():
        mat.loc[r.annotator_a, r.annotator_b] = mat.loc[r.annotator_b, r.annotator_a] = (
            r.cohen_kappa
        )
    return mat


def confusion_between(long: pd.DataFrame, a: str, b: str) -> pd.DataFrame:
    """Confusion matrix of annotator ``a`` (rows) against ``b`` (columns) on shared items."""
    wide = _wide(long)
    if a not in wide or b not in wide:
        raise LabelError("Choose two annotators of this labels set.")
    both = wide[[a, b]].dropna()
    classes = sorted(set(long["label"]))
    tab = pd.crosstab(both[a], both[b]).reindex(index=classes, columns=classes, fill_value=0)
    return tab.rename_axis(index=f"{a} →", columns=f"{b} ↓")


def _votes(cm: CountMatrix) -> list[str]:
    cls = np.array(cm.classes, dtype=object)
    return [
        ", ".join(f"{c}×{k}" for c, k in sorted(zip(cls[r > 0], r[r > 0], strict=True), key=lambda t: -t[1]))
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
    if not cm.items:
        return pd.DataFrame(columns=cols)
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
        rows = labeling_db.item_rows(store, label_set.item_dataset_id, label_set.item_id_column, [item_id])
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


# ------------------------------------------------------------------------------- HLP
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
            store, label_set.item_dataset_id,
            label_set.item_id_column,
            long["item_id"].unique().tolist(),
        )
        ref = pd.Series(
            normalize_labels(rows[gt]).to_numpy(),
            index=rows[label_set.item_id_column].astype(str),
        )
        return human_level_performance(long, ref, f"ground truth ({gt})")
    c = consensus(long, labeling_db.label_decisions(store, label_set.id, version)).dropna(subset=["consensus"])
    return human_level_performance(long, c.set_index("item_id")["consensus"], "consensus")


def scoping_available() -> bool:
    try:
        from core import scoping
    except ImportError:
        return False
    return hasattr(scoping, "record_baseline")


def write_hlp_baseline(store: Database, project_id: int, hlp: Hlp, version: int, actor: str) -> Any:
    """Write the project HLP (mean annotator accuracy) into the scoping baselines."""
    if not scoping_available():
        raise LabelError("The scoping module is not available yet, so the HLP cannot be written.")
    if not np.isfinite(hlp.hlp):
        raise LabelError("The HLP is undefined: no annotator label matches a reference item.")
    from core import scoping

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


# ---------------------------------------------------------------------- label errors
def _feature_frame(frame: pd.DataFrame) -> tuple[pd.DataFrame, list[str], list[str]]:
    """Numeric and categorical features usable by a model; other columns are dropped."""
    num, cat = [], []
    for c in frame.columns:
        s = frame[c]
        if pd.api.types.is_bool_dtype(s) or pd.api.types.is_numeric_dtype(s):
            num.append(c)
        elif pd.api.types.is_datetime64_any_dtype(s):
            continue
        elif s.nunique(dropna=True) <= MAX_CATEGORIES:
            cat.append(c)
    X = frame[num + cat].copy()
    for c in num:
        X[c] = pd.to_numeric(X[c], errors="coerce").astype(float)
    for c in cat:
        X[c] = X[c].astype("string").fillna("(missing)").astype(object)
    return X, num, cat


def _model(name: str, num: list[str], cat: list[str], seed: int):
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder, StandardScaler

    if name == "logistic":
        pre = ColumnTransformer(
            [
                (
                    "num",
                    make_pipeline(SimpleImputer(strategy="median"), StandardScaler()),
                    num,
                ),
                ("cat", OneHotEncoder(handle_unknown="ignore"), cat),
            ]
        )
        return make_pipeline(pre, LogisticRegression(max_iter=2000))
    if name == "hgb":
        from sklearn.ensemble import HistGradientBoostingClassifier

        pre = ColumnTransformer(
            [
                ("num", "passthrough", num),
                (
                    "cat",
                    OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=np.nan),
                    cat,
                ),
            ]
        )
        hgb = HistGradientBoostingClassifier(
            categorical_features=list(range(len(num), len(num) + len(cat))),
            random_state=seed,
            max_iter=150,
        )
        return make_pipeline(pre, hgb)
    raise LabelError(f"Unknown model {name!r}; use one of {', '.join(MODELS)}.")


def out_of_fold_proba(
    X: pd.DataFrame,
    y: pd.Series,
    *,
    model: str = "logistic",
    n_folds: int = 5,
    seed: int = 0,
) -> tuple[np.ndarray, list[str]]:
    """Out-of-fold class probabilities from a seeded stratified k-fold model."""
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    y = pd.Series(y).astype(str).reset_index(drop=True)
    sizes = y.value_counts()
    if len(sizes) < 2:
        raise LabelError("Label-error detection needs at least two classes.")
    if sizes.min() < n_folds:
        raise LabelError(
            f"Class {sizes.idxmin()!r} has {sizes.min()} item(s), fewer than the {n_folds} folds; "
            "lower k or gather more examples of it."
        )
    Xf, num, cat = _feature_frame(X.reset_index(drop=True))
    if not num and not cat:
        raise LabelError("No usable feature: choose numeric or categorical columns.")
    cv = StratifiedKFold(n_splits=n_folds, shuffle=True, random_state=seed)
    proba = cross_val_predict(_model(model, num, cat, seed), Xf, y, cv=cv, method="predict_proba")
    return proba, sorted(sizes.index)


def confident_learning(
    y: Any, proba: np.ndarray, classes: list[str]
) -> tuple[pd.DataFrame, dict[str, float]]:
    """Flag likely label errors from out-of-fold probabilities (confident learning).

    Follows cleanlab's ``find_label_issues(filter_by="confident_learning")`` exactly: the
    threshold of class j is the mean probability of j over the items labelled j (2, so
    never reached, for a class nobody gave; at least 2e-6). An item is counted in the
    confident joint when at least one class clears its threshold (within 1e-6); its
    likely true class is that class when only one does, else the overall argmax. It is
    flagged when that class differs from its given label, unless the model's argmax
    (the given label favoured by 1e-6) is the given label.

    Returns one row per item (given_label, predicted_label, self_confidence, threshold,
    flagged, rank; rank 1 = least confident in its given label) and the per-class thresholds.

    Examples
    --------
    >>> p = np.array([[.9, .1], [.8, .2], [.2, .8], [.1, .9], [.05, .95]])
    >>> out, t = confident_learning(["a", "a", "b", "b", "a"], p, ["a", "b"])
    >>> out["flagged"].tolist(), out["rank"].tolist(), {k: round(v, 3) for k, v in t.items()}
    ([False, False, False, False, True], [4, 2, 3, 5, 1], {'a': 0.583, 'b': 0.85})

    Only the given class clears its threshold, so the item is not suspect even though
    the other class has the larger probability:

    >>> p = np.array([[.6, .4], [.5, .5], [.6, .4], [.5, .5], [.54, .46]])
    >>> confident_learning(["a", "a", "b", "b", "b"], p, ["a", "b"])[0]["flagged"].tolist()
    [False, False, True, False, False]
    """
    y = np.asarray(y, dtype=str)
    idx = {c: i for i, c in enumerate(classes)}
    given = np.array([idx[v] for v in y], dtype=int)
    rows = np.arange(len(y))
    self_conf = proba[rows, given]
    thresholds = np.array(
        [proba[given == j, j].mean() if (given == j).any() else 2.0 for j in range(len(classes))]
    ).clip(min=2e-6)
    above = proba >= thresholds[None, :] - 1e-6
    n_above = above.sum(axis=1)
    guess = np.where(n_above > 1, proba.argmax(axis=1), above.argmax(axis=1))
    favoured = proba.copy()
    favoured[rows, given] += 1e-6
    flagged = (n_above > 0) & (guess != given) & (favoured.argmax(axis=1) != given)
    out = pd.DataFrame(
        {
            "given_label": y,
            "predicted_label": np.array(classes, dtype=object)[proba.argmax(axis=1)],
            "self_confidence": self_conf,
            "threshold": thresholds[given],
            "flagged": flagged,
        }
    )
    order = np.lexsort((np.arange(len(y)), self_conf, ~flagged))
    rank = np.empty(len(y), dtype=int)
    rank[order] = np.arange(1, len(y) + 1)
    out["rank"] = rank
    return out, {c: float(thresholds[i]) for i, c in enumerate(classes)}


@dataclass(frozen=True)
class LabelErrors:
    scores: (
        pd.DataFrame
    )  # item_id, given_label, predicted_label, self_confidence, threshold, flagged, rank
    thresholds: dict[str, float]
    oof_accuracy: float
    duration_s: float


def find_label_errors(
    X: pd.DataFrame,
    y: Any,
    item_ids: Any,
    *,
    model: str = "logistic",
    n_folds: int = 5,
    seed: int = 0,
) -> LabelErrors:
    """Out-of-fold probabilities then confident learning; scores sorted by rank."""
    t0 = time.perf_counter()
    proba, classes = out_of_fold_proba(X, pd.Series(y), model=model, n_folds=n_folds, seed=seed)
    scores, thresholds = confident_learning(np.asarray(y, dtype=str), proba, classes)
    scores.insert(0, "item_id", np.asarray(item_ids, dtype=str))
    acc = float((scores["predicted_label"] == scores["given_label"]).mean())
    return LabelErrors(
        scores.sort_values("rank").reset_index(drop=True),
        thresholds,
        acc,
        time.perf_counter() - t0,
    )


def default_features(store: Database, label_set: LabelSet) -> list[str]:
    """The labels set's feature columns, else every item-dataset column but id and truth."""
    if label_set.feature_columns:
        return list(label_set.feature_columns)
    if label_set.item_dataset_id is None:
        return []
    skip = {label_set.item_id_column, label_set.ground_truth_column}
    return [
        c
        for c, t in datasets_db.dataset_schema(store, label_set.item_dataset_id)
        if c not in skip and not t.startswith(("TIMESTAMP", "DATE"))
    ]


def run_label_error_detection(
    store: Database,
    label_set: LabelSet,
    *,
    actor: str,
    label_source: str = "consensus",
    features: list[str] | None = None,
    model: str = "logistic",
    n_folds: int = 5,
    seed: int = 0,
) -> int:
    """Detect suspected label errors on a labels set's items and store the run; returns its id.

    ``label_source`` is ``"consensus"`` (the current version's consensus; ties left out) or a
    column of the item dataset (e.g. a label recorded there).
    """
    if label_set.item_dataset_id is None or not label_set.item_id_column:
        raise LabelError(
            "This labels set has no item dataset, so there are no features to learn from."
        )
    features = list(features or default_features(store, label_set))
    if not features:
        raise LabelError("Choose at least one feature column.")
    version = labeling_db.latest_label_version(store, label_set.id)
    idc = label_set.item_id_column
    if label_source == "consensus":
        long = labeling_db.label_frame(store, label_set.id, version)
        c = consensus(long, labeling_db.label_decisions(store, label_set.id, version)).dropna(
            subset=["consensus"]
        )
        rows = labeling_db.item_rows(store, label_set.item_dataset_id, idc, c["item_id"].tolist())
        rows = rows.assign(_id=rows[idc].astype(str)).drop_duplicates("_id")
        frame = rows.merge(c[["item_id", "consensus"]], left_on="_id", right_on="item_id")
        y = frame["consensus"].astype(str)
    else:
        frame = datasets_db.dataset_frame(
            store, label_set.item_dataset_id, columns=[idc, label_source, *features]
        )
        frame = frame.assign(item_id=frame[idc].astype(str)).dropna(subset=[label_source])
        y = normalize_labels(frame[label_source]).astype(str)
    if len(frame) < 2 * n_folds:
        raise LabelError(
            f"Only {len(frame)} labelled item(s): too few for {n_folds}-fold detection."
        )
    result = find_label_errors(
        frame[features], y, frame["item_id"], model=model, n_folds=n_folds, seed=seed
    )
    meta = {
        "labels_version": version,
        "label_source": label_source,
        "model": model,
        "n_folds": n_folds,
        "seed": seed,
        "features": features,
        "thresholds": result.thresholds,
        "oof_accuracy": result.oof_accuracy,
        "duration_s": round(result.duration_s, 3),
    }
    return labeling_db.insert_label_error_run(
        store, label_set.project_id, label_set.id, meta, result.scores, actor
    )


def label_error_runs(
    store: Database, project_id: int, label_set_id: int | None = None
) -> pd.DataFrame:
    runs = labeling_db.list_label_error_runs(store, project_id, label_set_id)
    if len(runs):
        runs["thresholds"] = runs["thresholds"].map(json.loads)
        runs["features"] = runs["features"].map(json.loads)
        runs["title"] = (
            "run "
            + runs["id"].astype(str)
            + " · "
            + runs["model"].map(MODELS).fillna(runs["model"])
            + " · "
            + runs["label_source"]
            + " v"
            + runs["labels_version"].astype(str)
            + " · "
            + runs["n_flagged"].astype(str)
            + " flagged · "
            + runs["created_at"].dt.strftime("%Y-%m-%d %H:%M")
        )
    return runs
