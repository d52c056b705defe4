"""The per-slice table (Andrew Ng's prioritisation): size, share, metric, gaps to the overall
metric and to human-level performance, priority; and fairness gaps over sensitive columns."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from core.analysis.columns import ColumnSpec
from core.analysis.hlp import human_labels_by_row
from core.analysis.sizes import MinSize, min_slice_size
from core.analysis.source import SliceError, SliceSource, to_arrow
from core.db import analysis as analysis_db
from core.db.database import Database
from core.training import metrics as M

# metrics computable per slice from counts; others fall back to accuracy / MAE
SLICE_METRICS = {
    "classification": (
        "accuracy",
        "error_rate",
        "precision",
        "recall",
        "f1",
        "roc_auc",
        "brier",
        "log_loss",
    ),
    "regression": ("mae", "rmse"),
}
LOWER_IS_BETTER = {"error_rate", "brier", "log_loss", "mae", "rmse"}


HUMAN_METRICS = ("accuracy", "error_rate", "precision", "recall", "f1")  # from hard labels
TOO_SMALL = "too small to rank"


@dataclass(frozen=True)
class SliceTable:
    """The per-slice table of a run's part and how it was judged.

    Everything is in one metric, ``metric``: the slices' values (the frame's column named
    after it), the overall value and human-level performance (``hlp_value`` is in
    ``metric`` or None; ``hlp_metric`` is ``metric`` when an HLP is known, else None).
    """

    frame: pd.DataFrame  # one row per slice (see compute_slice_metrics)
    metric: str
    overall: float
    hlp_metric: str | None
    hlp_value: float | None
    hlp_source: str  # "brief", "annotators per slice", "annotators per slice + brief", ... "none"
    n: int
    notes: list[str]
    min_size: int = 1  # slices under this many rows are listed but not ranked
    size_rule: str = ""  # how the default minimum size was found, in words

    def to_frame(self) -> pd.DataFrame:
        return self.frame

    @property
    def ranked(self) -> pd.DataFrame:
        """The slices that were ranked (big enough, metric defined), by priority."""
        return self.frame[self.frame["priority"].notna()]


def _label(metric: str) -> str:
    """A metric's display name (the training stage's, and error rate)."""
    return "Error rate" if metric == "error_rate" else M.label(metric)


def metric_values(agg: pd.DataFrame, metric: str) -> pd.Series:
    """A metric per row of slice counts (n, err, pos, pred_pos, tp, auc, ... sums).

    Examples
    --------
    >>> agg = pd.DataFrame({"n": [10], "err": [2.0], "pos": [4], "pred_pos": [5], "tp": [3]})
    >>> float(metric_values(agg, "f1").iloc[0]), float(metric_values(agg, "accuracy").iloc[0])
    (0.6666666666666666, 0.8)
    """
    n = agg["n"].astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        if metric == "accuracy":
            v = 1 - agg["err"] / n
        elif metric == "error_rate":
            v = agg["err"] / n
        elif metric == "precision":
            v = agg["tp"] / agg["pred_pos"].replace(0, np.nan)
        elif metric == "recall":
            v = agg["tp"] / agg["pos"].replace(0, np.nan)
        elif metric == "f1":
            v = 2 * agg["tp"] / (agg["pos"] + agg["pred_pos"]).replace(0, np.nan)
        elif metric == "roc_auc":
            v = agg["auc"]
        elif metric == "brier":
            v = agg["brier_sum"] / agg["n_score"].replace(0, np.nan)
        elif metric == "log_loss":
            v = agg["logloss_sum"] / agg["n_score"].replace(0, np.nan)
        elif metric == "mae":
            v = agg["abs_err_sum"] / n
        elif metric == "rmse":
            v = np.sqrt(agg["err"] / n)
        else:
            raise SliceError(f"Metric {metric!r} cannot be computed per slice.")
    return pd.Series(np.asarray(v, dtype=float), index=agg.index)


def shortfall(metric: str, value: Any, reference: Any) -> Any:
    """How far ``value`` falls short of ``reference`` (positive = worse), in the metric's units.

    Examples
    --------
    >>> shortfall("accuracy", 0.8, 0.9), shortfall("error_rate", 0.3, 0.1)
    (0.09999999999999998, 0.19999999999999998)
    """
    return (value - reference) if metric in LOWER_IS_BETTER else (reference - value)


def choose_metric(task: str, wanted: str | None) -> tuple[str, str | None]:
    """The per-slice metric: the brief's primary when computable per slice, else a default."""
    allowed = SLICE_METRICS["regression" if task == "regression" else "classification"]
    default = "mae" if task == "regression" else "accuracy"
    if wanted is None:
        return default, None
    if wanted in allowed:
        return wanted, None
    return default, (
        f"The primary metric {_label(wanted)} cannot be computed per slice; "
        f"slices are compared on {_label(default)}."
    )


def compute_slice_metrics(
    store: Database,
    source: SliceSource,
    specs: list[ColumnSpec],
    *,
    metric: str | None = None,
    hlp: float | None = None,
    hlp_metric: str | None = None,
    per_slice_hlp: bool = True,
    min_hlp_items: int = 20,
    min_size: int | None = None,
) -> SliceTable:
    """The per-slice table: size, share, the metric, gaps and priority, all in one metric.

    ``metric`` is the brief's primary metric or the one picked on the page (accuracy /
    MAE when it is not computable per slice); the overall value and human-level
    performance (HLP) are in the same metric. A slice's HLP is the annotators' metric on
    its rows where they labelled at least ``min_hlp_items`` of them (the rows that count
    for the metric: positive rows for recall), else ``hlp`` when given in ``metric``
    (``hlp_metric`` None means it is), else the annotators' metric on every labelled row
    of the part; an ``hlp`` in another metric is not used (a note says so).
    Priority = max(gap to HLP, 0) x share, or max(gap to overall, 0) x share where no HLP
    is known (``priority_basis`` says which). Slices under ``min_size`` rows (default:
    :func:`default_min_size`'s rule) are listed last, not ranked (priority empty).
    Columns: column, value, size, share, errors (classification), the metric's column,
    error_rate (classification) or the other of mae / rmse (regression), gap_to_overall,
    hlp, hlp_source, gap_to_hlp, priority, priority_basis, predicate.
    """
    metric, brief_hlp, notes = _judged_metrics(source.regression, metric, hlp, hlp_metric)
    hum, set_name = (None, "")
    if per_slice_hlp and not source.regression and metric in HUMAN_METRICS:
        hum, set_name = human_labels_by_row(store, source)
    agg = analysis_db.slice_aggregates(
        store,
        source,
        [s.to_store() for s in specs],
        with_auc=metric == "roc_auc",
        row_values=None if hum is None else to_arrow(hum),
    )
    whole = agg["col"].to_numpy() == -1  # the whole part: the reference, not a slice
    if not whole.any() or int(agg["n"][whole].iloc[0]) == 0:
        raise SliceError("This run's part holds no predictions to slice.")
    n = int(agg["n"][whole].iloc[0])
    rule = size_rule(agg[whole].iloc[0], source.regression)
    min_rows = rule.rows if min_size is None else max(int(min_size), 1)
    described = _describe(agg, specs)
    frame = _metric_frame(agg, described, metric, source.regression, n)
    overall = float(frame[metric][whole].iloc[0])
    frame["gap_to_overall"] = shortfall(metric, frame[metric], overall)
    slice_hlp, source_of, headline = _slice_hlp(agg, metric, brief_hlp, hum, min_hlp_items)
    frame["hlp"] = slice_hlp
    frame["hlp_source"] = source_of
    frame["gap_to_hlp"] = shortfall(metric, frame[metric].to_numpy(), slice_hlp)
    notes += _add_priority(frame, metric, min_rows, ~whole)
    notes += _hlp_notes(set_name, source_of, min_hlp_items)
    frame["predicate"] = [p for _, _, p in described]
    notes += [
        f"{s.column}: too few distinct values for quantile bins (one bin)."
        for s in specs
        if s.kind == "num" and not s.edges
    ]
    used = [text for x, text in _HLP_SOURCES.items() if (source_of[~whole] == x).any()]
    return SliceTable(
        _sorted(frame[~whole]),
        metric,
        overall,
        metric if headline is not None else None,
        headline,
        " + ".join(used) or "none",
        n,
        notes,
        min_rows,
        rule.rule,
    )


# where slices' HLP came from (the frame's hlp_source) -> how the table's source says it
_HLP_SOURCES = {
    "annotators": "annotators per slice",
    "brief": "brief",
    "annotators, all rows": "annotators on all rows",
}


def _hlp_notes(set_name: str, source_of: np.ndarray, min_items: int) -> list[str]:
    if not set_name or not (source_of == "annotators").any():
        return []
    return [
        f"HLP per slice from the labels set {set_name!r} where annotators labelled at least "
        f"{min_items} of its rows; every label counts, weighted 1 / (labels on its row)."
    ]


def size_rule(whole: pd.Series, regression: bool) -> MinSize:
    """The default minimum slice size from the whole part's counts (``sizes`` rule)."""
    n = int(whole["n"])
    if not regression:
        return min_slice_size(n, error_rate=float(whole["err"]) / n)
    mae = float(whole["abs_err_sum"]) / n
    var = max(float(whole["err"]) / n - mae * mae, 0.0)  # E|e|^2 - (E|e|)^2, population
    return min_slice_size(n, mae=mae, sd_abs=float(np.sqrt(var)))


def default_min_size(store: Database, source: SliceSource) -> MinSize:
    """The default minimum slice size of a source (one pass over its rows)."""
    agg = analysis_db.slice_aggregates(store, source, [])
    if agg.empty or int(agg["n"].iloc[0]) == 0:
        raise SliceError("This run's part holds no predictions to slice.")
    return size_rule(agg.iloc[0], source.regression)


def _judged_metrics(
    regression: bool, metric: str | None, hlp: float | None, hlp_metric: str | None
) -> tuple[str, float | None, list[str]]:
    """The slice metric, the brief's HLP when it is in that metric (else None), and notes."""
    task = "regression" if regression else "classification"
    metric, note = choose_metric(task, metric)
    notes = [note] if note else []
    if hlp is not None and hlp_metric is not None and hlp_metric != metric:
        notes.append(
            f"The brief's human-level performance is given in {_label(hlp_metric)} "
            f"({hlp:.3g}), not in {_label(metric)}, so it is not used to judge "
            f"{_label(metric)}."
        )
        hlp = None
    return metric, hlp, notes


def _describe(agg: pd.DataFrame, specs: list[ColumnSpec]) -> list[tuple[str, str, list]]:
    """(column, value text, predicates) of each aggregate row: ``col`` -1 is all rows, m the
    manual tags, else the code of spec ``col``."""
    m = len(specs)
    out: list[tuple[str, str, list]] = []
    for c, k, t in zip(agg["col"].astype(int), agg["code"].astype(int), agg["tag"], strict=True):
        if c == -1:
            out.append(("", "all rows", []))
        elif c == m:
            out.append(("tag", str(t), [{"column": "", "op": "tag", "value": t}]))
        else:
            out.append((specs[c].column, specs[c].label(k), [specs[c].predicate(k)]))
    return out


def _metric_frame(
    agg: pd.DataFrame,
    described: list[tuple[str, str, list]],
    metric: str,
    regression: bool,
    n: int,
) -> pd.DataFrame:
    """column, value, size, share, then errors, the metric and error_rate (classification)
    or the metric and the other of mae / rmse (regression): one column per metric."""
    frame = pd.DataFrame(
        {
            "column": [c for c, _, _ in described],
            "value": [v for _, v, _ in described],
            "size": agg["n"].astype(int).to_numpy(),
            "share": (agg["n"] / n).to_numpy(),
        }
    )
    if not regression:
        frame["errors"] = agg["err"].round().astype(int).to_numpy()
    extra = ("mae", "rmse") if regression else ("error_rate",)
    for name in dict.fromkeys((metric, *extra)):
        frame[name] = metric_values(agg, name).to_numpy()
    return frame


def human_metric(agg: pd.DataFrame, metric: str) -> tuple[np.ndarray, np.ndarray]:
    """Annotators' ``metric`` per slice and the labelled rows it rests on, from the
    per-row sums of :func:`human_labels_by_row` (v: agreement with the truth, vp: share of
    positive labels), each label weighted 1 / (labels on its row).

    Examples
    --------
    >>> agg = pd.DataFrame({"v_sum": [7.5], "v_n": [10], "vp_sum": [4.0], "vtp_sum": [3.0],
    ...                     "vpos_n": [5]})
    >>> [float(human_metric(agg, m)[0][0]) for m in ("accuracy", "recall", "precision", "f1")]
    [0.75, 0.6, 0.75, 0.6666666666666666]
    """
    f = {
        k: agg[k].astype(float).fillna(0).to_numpy()
        for k in ("v_sum", "v_n", "vp_sum", "vtp_sum", "vpos_n")
    }
    with np.errstate(divide="ignore", invalid="ignore"):
        acc = np.where(f["v_n"] > 0, f["v_sum"] / f["v_n"], np.nan)
        if metric == "accuracy":
            return acc, f["v_n"]
        if metric == "error_rate":
            return 1 - acc, f["v_n"]
        if metric == "recall":
            return np.where(f["vpos_n"] > 0, f["vtp_sum"] / f["vpos_n"], np.nan), f["vpos_n"]
        if metric == "precision":
            return np.where(f["vp_sum"] > 0, f["vtp_sum"] / f["vp_sum"], np.nan), f["v_n"]
        if metric == "f1":
            den = f["vpos_n"] + f["vp_sum"]
            return np.where(den > 0, 2 * f["vtp_sum"] / den, np.nan), f["v_n"]
    raise SliceError(f"Annotators' {_label(metric)} cannot be computed from their labels.")


def _slice_hlp(
    agg: pd.DataFrame,
    metric: str,
    hlp: float | None,
    hum: pd.DataFrame | None,
    min_items: int,
) -> tuple[np.ndarray, np.ndarray, float | None]:
    """Each slice's HLP and where it comes from ("annotators", "brief", "annotators, all
    rows" or ""), and the part's headline HLP (the brief's, else the annotators' on all
    labelled rows, else None); all in ``metric``."""
    slice_hlp = np.full(len(agg), np.nan)
    source_of = np.full(len(agg), "", dtype=object)
    headline = hlp
    if hum is not None:
        h, rows = human_metric(agg, metric)
        enough = (rows >= min_items) & np.isfinite(h)
        slice_hlp = np.where(enough, h, np.nan)
        source_of = np.where(enough, "annotators", source_of)
        whole = agg["col"].to_numpy() == -1
        if hlp is None and enough[whole].any():
            headline = float(h[whole][0])
    if hlp is not None:
        fill = np.isnan(slice_hlp)
        slice_hlp = np.where(fill, float(hlp), slice_hlp)
        source_of = np.where(fill, "brief", source_of)
    elif headline is not None:
        fill = np.isnan(slice_hlp)
        slice_hlp = np.where(fill, headline, slice_hlp)
        source_of = np.where(fill, "annotators, all rows", source_of)
    return slice_hlp, source_of, headline


def _add_priority(frame: pd.DataFrame, metric: str, min_size: int, slices: np.ndarray) -> list[str]:
    """priority = max(gap to HLP, 0) x share where the slice has an HLP, else max(gap to
    overall, 0) x share; empty for slices under ``min_size`` rows or where the metric is
    undefined. Sets ``priority`` and ``priority_basis``; returns notes on what was done."""
    value = frame[metric].to_numpy(dtype=float)
    has_hlp = np.isfinite(frame["hlp"].to_numpy(dtype=float))
    small = frame["size"].to_numpy() < min_size
    undefined = ~np.isfinite(value)
    gap = np.where(has_hlp, frame["gap_to_hlp"], frame["gap_to_overall"]).astype(float)
    judged = ~small & ~undefined
    frame["priority"] = np.where(judged, np.clip(gap, 0, None) * frame["share"], np.nan)
    frame["priority_basis"] = np.select(
        [small, undefined, has_hlp],
        [TOO_SMALL, f"not judged: {_label(metric)} undefined", "gap to HLP"],
        "gap to overall",
    )
    label = _label(metric)
    notes = []
    if not (has_hlp & slices).any():
        notes.append(
            f"No human-level performance in {label} is known (scoping brief or annotators), "
            f"so priority uses the gap to the overall {label}."
        )
    elif (~has_hlp & judged & slices).any():
        notes.append(
            f"Slices without a human-level {label} are ranked by their gap to the overall "
            f"{label} (see priority_basis)."
        )
    n_small = int((small & slices).sum())
    if n_small:
        notes.append(
            f"{n_small} slice(s) under {min_size:,} rows are listed last and not ranked "
            "(too small to rank)."
        )
    return notes


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    """Ranked slices by priority (then size), then the unranked ones by size."""
    key = frame.assign(
        _ranked=frame["priority"].notna(), _p=frame["priority"].fillna(-np.inf)
    ).sort_values(["_ranked", "_p", "size"], ascending=False, kind="stable")
    return key.drop(columns=["_ranked", "_p"]).reset_index(drop=True)


def fairness_gaps(
    table: SliceTable, columns: list[str], min_size: int | None = None
) -> pd.DataFrame:
    """Per sensitive column: worst and best slice on the table's metric and worst/best ratio.

    The ratio is min/max of the metric over the column's slices with at least ``min_size``
    rows (default: the table's minimum slice size; 1 = parity; below 0.8 is the
    "four-fifths" warning level).

    Examples
    --------
    >>> f = pd.DataFrame({"column": ["g", "g", "g"], "value": ["a", "b", "c"],
    ...                   "size": [50, 50, 5], "accuracy": [0.9, 0.6, 0.1]})
    >>> t = SliceTable(f, "accuracy", 0.75, None, None, "none", 105, [], min_size=30)
    >>> fairness_gaps(t, ["g"])[["worst", "best", "ratio"]].to_dict("records")
    [{'worst': 'b', 'best': 'a', 'ratio': 0.6666666666666666}]
    """
    cols = ["column", "slices", "worst", "worst_metric", "best", "best_metric", "ratio"]
    rows = []
    lower = table.metric in LOWER_IS_BETTER
    least = table.min_size if min_size is None else min_size
    m = table.metric
    for c in columns:
        f = table.frame[(table.frame["column"] == c) & (table.frame["size"] >= least)]
        f = f[f[m].notna()]
        if len(f) < 2:
            rows.append(dict.fromkeys(cols) | {"column": c, "slices": len(f)})
            continue
        f = f.sort_values(m, ascending=lower, kind="stable")
        best, worst = f.iloc[0], f.iloc[-1]
        hi, lo = max(best[m], worst[m]), min(best[m], worst[m])
        rows.append(
            {
                "column": c,
                "slices": len(f),
                "worst": worst["value"],
                "worst_metric": worst[m],
                "best": best["value"],
                "best_metric": best[m],
                "ratio": lo / hi if hi > 0 else None,
            }
        )
    return pd.DataFrame(rows, columns=cols)
