"""The per-slice table (Andrew Ng's prioritisation): size, share, metric, gaps to the overall
metric and to human-level performance, priority; and fairness gaps over sensitive columns."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from core.analysis.columns import ColumnSpec
from core.analysis.hlp import human_accuracy_by_row
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


@dataclass(frozen=True)
class SliceTable:
    """The per-slice table of a run's part and how it was judged."""

    frame: pd.DataFrame  # one row per slice (see compute_slice_metrics)
    metric: str
    overall: float
    hlp_metric: str | None
    hlp_value: float | None
    hlp_source: str  # "brief", "annotators", "brief + annotators" or "none"
    n: int
    notes: list[str]

    def to_frame(self) -> pd.DataFrame:
        return self.frame


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
        f"The primary metric {M.label(wanted)} cannot be computed per slice; "
        f"slices are compared on {M.label(default)}."
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
) -> SliceTable:
    """The per-slice table: size, share, metric, accuracy, error rate, gaps and priority.

    ``metric`` is the scoping primary metric (accuracy / MAE when it is not computable per
    slice). ``hlp`` is the global human-level performance, in ``hlp_metric`` (default: the
    slice metric). Where annotators labelled at least ``min_hlp_items`` rows of a slice,
    their accuracy there is that slice's HLP (when the HLP metric is accuracy or error rate).
    Priority = max(gap to HLP, 0) x share; with no HLP at all it uses the gap to overall.
    Rows: column, value, size, share, errors, metric, accuracy (MAE), error_rate,
    gap_to_overall, hlp, hlp_source, gap_to_hlp, priority, predicate; sorted by priority.
    """
    metric, hmetric, hlp, notes = _judged_metrics(source.regression, metric, hlp, hlp_metric)
    hum, set_name = (None, "")
    if per_slice_hlp and not source.regression and hmetric in ("accuracy", "error_rate"):
        hum, set_name = human_accuracy_by_row(store, source)
    agg = analysis_db.slice_aggregates(
        store,
        source,
        [s.to_store() for s in specs],
        with_auc="roc_auc" in (metric, hmetric),
        row_values=None if hum is None else to_arrow(hum),
    )
    whole = agg["col"].to_numpy() == -1  # the whole part: the reference, not a slice
    if not whole.any() or int(agg["n"][whole].iloc[0]) == 0:
        raise SliceError("This run's part holds no predictions to slice.")
    n = int(agg["n"][whole].iloc[0])
    described = _describe(agg, specs)
    frame = _metric_frame(agg, described, metric, source.regression, n)
    overall = float(frame["metric"][whole].iloc[0])
    frame["gap_to_overall"] = shortfall(metric, frame["metric"], overall)
    slice_hlp, source_of, hlp_source = _slice_hlp(agg, hmetric, hlp, hum, set_name, min_hlp_items)
    frame["hlp"] = slice_hlp
    frame["hlp_source"] = source_of
    frame["gap_to_hlp"] = shortfall(hmetric, metric_values(agg, hmetric).to_numpy(), slice_hlp)
    notes += _add_priority(frame)
    frame["predicate"] = [p for _, _, p in described]
    notes += [
        f"{s.column}: too few distinct values for quantile bins (one bin)."
        for s in specs
        if s.kind == "num" and not s.edges
    ]
    frame = frame[~whole].sort_values(["priority", "size"], ascending=[False, False], kind="stable")
    return SliceTable(
        frame.reset_index(drop=True),
        metric,
        overall,
        hmetric if hlp_source != "none" else None,
        hlp,
        hlp_source,
        n,
        notes,
    )


def _judged_metrics(
    regression: bool, metric: str | None, hlp: float | None, hlp_metric: str | None
) -> tuple[str, str, float | None, list[str]]:
    """The slice metric, the HLP's metric, the HLP (None when its metric cannot be computed
    per slice) and notes on what was changed."""
    task = "regression" if regression else "classification"
    metric, note = choose_metric(task, metric)
    notes = [note] if note else []
    hmetric = hlp_metric or metric
    if hlp is not None and hmetric not in SLICE_METRICS[task]:
        notes.append(
            f"The HLP is given in {M.label(hmetric)}, which cannot be computed per "
            "slice; the gap to HLP is left empty."
        )
        hlp = None
    return metric, hmetric, hlp, notes


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
    """column, value, size, share, errors, metric, then mae and rmse (regression) or
    accuracy and error_rate, one row per aggregate row."""
    frame = pd.DataFrame(
        {
            "column": [c for c, _, _ in described],
            "value": [v for _, v, _ in described],
            "size": agg["n"].astype(int).to_numpy(),
            "share": (agg["n"] / n).to_numpy(),
            "errors": (agg["err"] if regression else agg["err"].round().astype(int)).to_numpy(),
            "metric": metric_values(agg, metric).to_numpy(),
        }
    )
    for name in ("mae", "rmse") if regression else ("accuracy", "error_rate"):
        frame[name] = metric_values(agg, name).to_numpy()
    return frame


def _slice_hlp(
    agg: pd.DataFrame,
    hmetric: str,
    hlp: float | None,
    hum: pd.DataFrame | None,
    set_name: str,
    min_items: int,
) -> tuple[np.ndarray, np.ndarray, str]:
    """Each slice's HLP and where it comes from, and the table's HLP source: the brief's
    global ``hlp``, replaced by the annotators' accuracy (``v_sum / v_n``) on slices where
    they labelled at least ``min_items`` rows."""
    slice_hlp = np.full(len(agg), np.nan if hlp is None else float(hlp))
    source_of = np.array(["brief" if hlp is not None else ""] * len(agg), dtype=object)
    hlp_source = "brief" if hlp is not None else "none"
    if hum is not None:
        enough = agg["v_n"].fillna(0).to_numpy() >= min_items
        h = (agg["v_sum"] / agg["v_n"]).to_numpy()
        h = h if hmetric == "accuracy" else 1 - h
        slice_hlp = np.where(enough, h, slice_hlp)
        source_of = np.where(enough, f"annotators ({set_name})", source_of)
        if enough.any():
            hlp_source = "annotators" if hlp is None else "brief + annotators"
    return slice_hlp, source_of, hlp_source


def _add_priority(frame: pd.DataFrame) -> list[str]:
    """priority = max(gap to HLP, 0) x share, or the gap to overall when no HLP is known
    (then returns a note saying so)."""
    if np.isnan(frame["gap_to_hlp"].to_numpy(dtype=float)).all():
        basis, notes = (
            frame["gap_to_overall"],
            [
                "No human-level performance is known (scoping brief or annotators), so "
                "priority uses the gap to the overall metric."
            ],
        )
    else:
        basis, notes = frame["gap_to_hlp"], []
    frame["priority"] = basis.clip(lower=0).fillna(0) * frame["share"]
    return notes


def fairness_gaps(table: SliceTable, columns: list[str], min_size: int = 30) -> pd.DataFrame:
    """Per sensitive column: worst and best slice on the metric and worst/best ratio.

    The ratio is min/max of the metric over the column's slices with at least ``min_size``
    rows (1 = parity; below 0.8 is the "four-fifths" warning level).

    Examples
    --------
    >>> f = pd.DataFrame({"column": ["g", "g", "g"], "value": ["a", "b", "c"],
    ...                   "size": [50, 50, 5], "metric": [0.9, 0.6, 0.1]})
    >>> t = SliceTable(f, "accuracy", 0.75, None, None, "none", 105, [])
    >>> fairness_gaps(t, ["g"])[["worst", "best", "ratio"]].to_dict("records")
    [{'worst': 'b', 'best': 'a', 'ratio': 0.6666666666666666}]
    """
    cols = ["column", "slices", "worst", "worst_metric", "best", "best_metric", "ratio"]
    rows = []
    lower = table.metric in LOWER_IS_BETTER
    for c in columns:
        f = table.frame[(table.frame["column"] == c) & (table.frame["size"] >= min_size)]
        f = f[f["metric"].notna()]
        if len(f) < 2:
            rows.append(dict.fromkeys(cols) | {"column": c, "slices": len(f)})
            continue
        f = f.sort_values("metric", ascending=lower, kind="stable")
        best, worst = f.iloc[0], f.iloc[-1]
        hi = max(best["metric"], worst["metric"])
        lo = min(best["metric"], worst["metric"])
        rows.append(
            {
                "column": c,
                "slices": len(f),
                "worst": worst["value"],
                "worst_metric": worst["metric"],
                "best": best["value"],
                "best_metric": best["metric"],
                "ratio": lo / hi if hi > 0 else None,
            }
        )
    return pd.DataFrame(rows, columns=cols)
