"""Error analysis by slice: per-slice metrics, HLP-gap priority, SliceLine discovery, tags,
actions, slice oversampling and run comparison.

DESIGN
------
* A *slice base* is one row per stored prediction of a run's part (dev or test) joined to
  its dataset row; the store computes everything on it in DuckDB. Columns are cut by a
  :class:`ColumnSpec`: categorical values (the most frequent ones, the rest "(other)"),
  calendar months of timestamps, or numeric quantile bins with editable edges. Manual
  tags are slices too.
* The per-slice table follows Andrew Ng's prioritisation: for each slice its share of the
  data, its metric, the gap to the overall metric and to human-level performance (HLP),
  and priority = gap to HLP x share. Per-slice HLP comes from annotators' labels when a
  labels set covers the run's rows, else the scoping brief's global HLP.
* Discovery is SliceLine (Sagadeeva & Boehm, SIGMOD 2021): score
  ``alpha * (slice error rate / mean error rate - 1) - (1 - alpha) * (n / size - 1)``
  over conjunctions of up to three predicates, level by level with minimum support and
  upper-bound pruning against the running top-k, all as GROUP BY GROUPING SETS in DuckDB.
  A slice is not reported when a sub-slice of it scores at least as high (it would only
  restate that better parent).
* Tags are stored per run and row with their author; they are read for every dataset of
  the run's lineage, so they carry to the next run on the same items (oversampling keeps
  the original rows and their row ids first).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from core.db import analysis as analysis_db
from core.db import datasets as datasets_db
from core.db import labeling as labeling_db
from core.db import sliceline as sliceline_db
from core.db import splits as splits_db
from core.db import training as training_db
from core.db.database import Database
from core.errors import StoreError
from core.training import metrics as M

PARTS = ("dev", "test", "train")
ACTIONS = {
    "collect": "Collect more data",
    "augment": "Augment / oversample",
    "relabel": "Relabel",
    "ignore": "Ignore (accept the gap)",
}
MISSING, OTHER = "(missing)", "(other)"
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


class SliceError(StoreError):
    """Bad input for error analysis; the message says what to do."""


@dataclass(frozen=True, eq=False)
class SliceSource:
    """Where the per-row predictions come from: a run's part, or an in-memory frame.

    A frame has ``row_id``, ``y_true``, ``y_pred``, ``score`` and the feature columns.
    """

    run_id: int | None = None
    part: str | None = None
    frame: Any = None
    positive_class: str | None = None
    regression: bool = False
    project_id: int | None = None
    tag_datasets: tuple[int, ...] = ()
    dataset_id: int | None = None


def source_for_run(store: Database, run_id: int, part: str) -> SliceSource:
    """The slice base of a finished run's part; a clear error when it has no predictions."""
    run = training_db.get_run(store, run_id)
    if run is None:
        raise SliceError("That run does not exist (any more).")
    if run["status"] != "done":
        raise SliceError(
            f"Run {run['name']!r} is {run['status']}: only finished runs have predictions."
        )
    if run.get("dataset_id") is None:
        raise SliceError(f"Run {run['name']!r} has no dataset, so its rows cannot be sliced.")
    preds = training_db.prediction_confusion(store, run_id, part)
    if preds.empty:
        raise SliceError(
            f"Run {run['name']!r} has no stored predictions on the {part} part. Pick another "
            "part, or retrain: every finished run stores its per-row predictions."
        )
    return SliceSource(
        run_id=run_id,
        part=part,
        positive_class=run.get("positive_class"),
        regression=run.get("task_type") == "regression",
        project_id=run["project_id"],
        tag_datasets=tuple(datasets_db.dataset_lineage(store, run["dataset_id"])),
        dataset_id=run["dataset_id"],
    )


def frame_source(
    frame: pd.DataFrame, positive_class: str | None = None, regression: bool = False
) -> SliceSource:
    """A slice base from a frame (tests, benchmark): row_id, y_true, y_pred, score, features."""
    need = {"y_true", "y_pred"} - set(frame.columns)
    if need:
        raise SliceError(f"The frame needs the columns {sorted(need)}.")
    import pyarrow as pa

    f = frame.copy()
    if "row_id" not in f:
        f["row_id"] = np.arange(len(f))
    if "score" not in f:
        f["score"] = np.nan
    f["y_true"] = f["y_true"].astype(str)
    f["y_pred"] = f["y_pred"].astype(str)
    return SliceSource(
        frame=pa.Table.from_pandas(f, preserve_index=False),
        positive_class=positive_class,
        regression=regression,
    )


# ------------------------------------------------------------------------ column specs
@dataclass(frozen=True)
class ColumnSpec:
    """How a column is cut: ``kind`` "cat" (listed ``values``, the rest "(other)"), "month"
    (calendar months of a timestamp) or "num" (bins between sorted ``edges``)."""

    column: str
    kind: str
    values: tuple[str, ...] = ()
    edges: tuple[float, ...] = ()

    def to_store(self) -> tuple[str, str, list]:
        return (
            self.column,
            self.kind,
            list(self.edges if self.kind == "num" else self.values),
        )

    def n_codes(self) -> int:
        return len(self.edges) + 2 if self.kind == "num" else len(self.values) + 2

    def label(self, code: int) -> str:
        """The text of a code: 0 is missing; for "num" 1..k+1 are the bins.

        Examples
        --------
        >>> s = ColumnSpec("age", "num", edges=(30.0, 50.0))
        >>> [s.label(c) for c in range(4)]
        ['(missing)', '< 30', '30 – 50', '≥ 50']
        >>> ColumnSpec("region", "cat", values=("N", "S")).label(3)
        '(other)'
        """
        code = int(code)
        if code == 0:
            return MISSING
        if self.kind == "num":
            e = self.edges
            if not e:
                return "all values"
            if code == 1:
                return f"< {_fmt(e[0])}"
            if code == len(e) + 1:
                return f"≥ {_fmt(e[-1])}"
            return f"{_fmt(e[code - 2])} – {_fmt(e[code - 1])}"
        return self.values[code - 1] if code <= len(self.values) else OTHER

    def predicate(self, code: int) -> dict[str, Any]:
        """A stored, self-contained predicate (re-applicable to any data with the column)."""
        code = int(code)
        if code == 0:
            return {
                "column": self.column,
                "op": "missing",
                "numeric": self.kind == "num",
            }
        if self.kind == "num":
            e = self.edges
            lo = e[code - 2] if code >= 2 else None
            hi = e[code - 1] if code - 1 < len(e) else None
            return {"column": self.column, "op": "range", "lo": lo, "hi": hi}
        if code > len(self.values):
            return {"column": self.column, "op": "other", "values": list(self.values)}
        op = "month" if self.kind == "month" else "eq"
        return {"column": self.column, "op": op, "value": self.values[code - 1]}


def _fmt(x: float) -> str:
    x = float(x)
    if x == int(x) and abs(x) < 1e15:
        return f"{int(x):,}".replace(",", " ") if abs(x) >= 10_000 else str(int(x))
    return f"{x:.4g}"


def predicate_label(p: dict[str, Any]) -> str:
    """Human text of a stored predicate.

    Examples
    --------
    >>> predicate_label({"column": "x", "op": "range", "lo": 1, "hi": None})
    'x ≥ 1'
    >>> predicate_label({"column": "region", "op": "eq", "value": "North"})
    'region = North'
    """
    c, op = p.get("column", ""), p.get("op")
    if op == "tag":
        return f"tag = {p['value']}"
    if op == "missing":
        return f"{c} is missing"
    if op == "other":
        return f"{c} = (other)"
    if op == "range":
        lo, hi = p.get("lo"), p.get("hi")
        if lo is None and hi is None:
            return f"{c} (any value)"
        if lo is None:
            return f"{c} < {_fmt(hi)}"
        if hi is None:
            return f"{c} ≥ {_fmt(lo)}"
        return f"{_fmt(lo)} ≤ {c} < {_fmt(hi)}"
    return f"{c} = {p.get('value')}"


def slice_label(preds: list[dict[str, Any]]) -> str:
    return " AND ".join(predicate_label(p) for p in preds) or "all rows"


def _is_numeric(dtype: str) -> bool:
    d = dtype.upper()
    return (
        any(t in d for t in ("INT", "DOUBLE", "FLOAT", "DECIMAL", "REAL", "NUMERIC"))
        and "[]" not in d
    )


def _is_time(dtype: str) -> bool:
    d = dtype.upper()
    return d.startswith("TIMESTAMP") or d == "DATE"


def quantile_edges(quantiles: list[float] | None) -> tuple[float, ...]:
    """Distinct, finite, sorted quantile values (bins never repeat an edge).

    Examples
    --------
    >>> quantile_edges([1.0, 1.0, 2.5, float("nan")])
    (1.0, 2.5)
    """
    if quantiles is None:
        return ()
    vals = [float(q) for q in quantiles if q is not None and np.isfinite(q)]
    return tuple(sorted(set(vals)))


def parse_edges(text: str) -> tuple[float, ...]:
    """Edges typed by a user, e.g. ``"1000, 5000, 20000"``.

    Examples
    --------
    >>> parse_edges("5000, 1000; 1000")
    (1000.0, 5000.0)
    """
    out = []
    for tok in str(text).replace(";", ",").split(","):
        tok = tok.strip().replace(" ", "")
        if not tok:
            continue
        try:
            v = float(tok)
        except ValueError as exc:
            raise SliceError(
                f"Bin edge {tok!r} is not a number; type edges like 1000, 5000."
            ) from exc
        if not math.isfinite(v):
            raise SliceError("Bin edges must be finite numbers.")
        out.append(v)
    return tuple(sorted(set(out)))


@dataclass(frozen=True)
class ColumnPlan:
    specs: list[ColumnSpec]
    notes: list[str] = field(default_factory=list)  # columns skipped or odd, and why


def plan_columns(
    store: Database,
    source: SliceSource,
    columns: list[str] | None = None,
    *,
    bins: int = 4,
    edges: dict[str, tuple[float, ...]] | None = None,
    max_values: int = 20,
    exclude: tuple[str, ...] = (),
) -> ColumnPlan:
    """Decide how to cut each column: one DuckDB pass for counts, distinct values, quantiles.

    Numeric columns with at most 10 distinct values are treated as categories; numeric
    columns get ``bins`` quantile bins unless ``edges`` gives them by hand; text columns
    keep their ``max_values`` most frequent values; timestamps are cut by month. Columns
    with one value, only nulls, or (almost) one value per row are skipped with a note.
    """
    if bins < 2 or bins > 20:
        raise SliceError("Use between 2 and 20 bins for numeric columns.")
    available = dict(analysis_db.slice_columns(store, source))
    wanted = [c for c in (columns if columns is not None else list(available)) if c not in exclude]
    notes = [f"{c}: not a column of this data." for c in wanted if c not in available]
    wanted = [c for c in wanted if c in available]
    numeric = [c for c in wanted if _is_numeric(available[c])]
    months = [c for c in wanted if _is_time(available[c])]
    other = [c for c in wanted if c not in numeric and c not in months]
    qs = tuple(i / bins for i in range(1, bins))
    n, stats, tops = analysis_db.slice_column_stats(
        store, source, numeric, other, months, top=max(max_values, 11), quantiles=qs
    )
    if n == 0:
        raise SliceError("There are no rows to slice.")
    edges = edges or {}
    specs: list[ColumnSpec] = []
    for row in stats.itertuples(index=False):
        c = row.column
        top = tops[tops["column"] == c]
        if row.n_null == n:
            notes.append(f"{c}: every value is missing; it is shown as one '(missing)' slice.")
        elif row.n_null == 0 and (row.n_distinct <= 1 or (c in months and len(top) <= 1)):
            notes.append(f"{c}: one value only, so it cannot separate slices; skipped.")
            continue
        if c in numeric and c in edges:
            specs.append(ColumnSpec(c, "num", edges=tuple(sorted(set(edges[c])))))
        elif c in numeric and len(top) <= 10 and row.n_distinct <= 10:
            vals = sorted(top["value"], key=lambda v: float(v))
            specs.append(ColumnSpec(c, "cat", values=tuple(vals)))
        elif c in numeric:
            specs.append(ColumnSpec(c, "num", edges=quantile_edges(row.quantiles)))
        else:
            if c in other and row.n_distinct > 0.5 * n and n > 20:
                notes.append(f"{c}: nearly one value per row (an identifier?); skipped.")
                continue
            vals = tuple(top["value"].head(max_values))
            kind = "month" if c in months else "cat"
            if kind == "month":
                vals = tuple(sorted(vals))
            specs.append(ColumnSpec(c, kind, values=vals))
    order = {c: i for i, c in enumerate(wanted)}
    return ColumnPlan(sorted(specs, key=lambda s: order[s.column]), notes)


# --------------------------------------------------------------------- the slice table
@dataclass(frozen=True)
class SliceTable:
    """The per-slice table of a run's part and how it was judged."""

    frame: pd.DataFrame  # one row per slice (see compute_slice_metrics)
    metric: str
    overall: float
    hlp_metric: str | None
    hlp_value: float | None
    hlp_source: str  # "brief", "annotators", or "none"
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


def scoping_context(store: Database, project_id: int) -> dict[str, Any]:
    """Primary metric, HLP baseline and sensitive columns from the scoping brief, if any."""
    out: dict[str, Any] = {
        "primary": None,
        "hlp": None,
        "hlp_metric": None,
        "sensitive": [],
    }
    try:
        from core.scoping import get_contract

        contract = get_contract(store, project_id)
    except (
        ImportError,
        StoreError,
        ValueError,
        KeyError,
        TypeError,
    ):  # no or odd brief
        return out
    if contract is None:
        return out
    if contract.primary is not None:
        out["primary"] = contract.primary.name
    hlp = contract.hlp
    if hlp is not None:
        out["hlp"], out["hlp_metric"] = float(hlp.value), hlp.metric
    out["sensitive"] = list(contract.sensitive_columns or [])
    return out


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


def human_accuracy_by_row(store: Database, source: SliceSource) -> tuple[pd.DataFrame | None, str]:
    """Per row of the run's part: the annotators' mean accuracy against the row's true label.

    Uses a labels set (Labeling page) whose items are rows of the run's dataset or of an
    ancestor version. Returns a frame (row_id, v) or None, and the labels set's name.
    """
    if source.dataset_id is None or source.project_id is None or source.run_id is None:
        return None, ""
    try:
        sets = labeling_db.list_label_sets(store, source.project_id)
    except (
        AttributeError,
        StoreError,
    ):  # labeling not part of this tree: global HLP only
        return None, ""
    lineage = set(source.tag_datasets)
    for ls in sets:
        item_col = ls.get("item_id_column")
        if ls.get("item_dataset_id") not in lineage or not item_col:
            continue
        long = labeling_db.label_frame(store, ls["id"])
        if long.empty:
            continue
        ids = datasets_db.dataset_frame(store, source.dataset_id, [item_col], with_row_id=True)
        ids = pd.DataFrame({"row_id": ids["__row_id"], "item_id": ids[item_col].astype(str)})
        preds = training_db.run_predictions(store, source.run_id, [source.part or "dev"])
        rows = preds[["row_id", "y_true"]].merge(ids, on="row_id")
        lab = pd.DataFrame(
            {
                "item_id": long["item_id"].astype(str),
                "label": _norm_label(long["label"]),
            }
        )
        joined = lab.merge(rows, on="item_id")
        if joined.empty:
            continue
        joined["v"] = (joined["label"] == _norm_label(joined["y_true"])).astype(float)
        return joined.groupby("row_id", as_index=False)["v"].mean(), str(ls.get("name", ""))
    return None, ""


def _norm_label(values: pd.Series) -> pd.Series:
    """Labels as text with integral numbers without '.0' (1.0 and '1' match)."""

    def one(v: Any) -> Any:
        if v is None or (isinstance(v, float) and math.isnan(v)):
            return None
        t = str(v).strip()
        try:
            f = float(t)
            return str(int(f)) if f == int(f) else t
        except ValueError:
            return t

    return values.map(one)


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
    task = "regression" if source.regression else "classification"
    metric, note = choose_metric(task, metric)
    notes = [note] if note else []
    hmetric = hlp_metric or metric
    if hlp is not None and hmetric not in SLICE_METRICS[task]:
        notes.append(
            f"The HLP is given in {M.label(hmetric)}, which cannot be computed per "
            "slice; the gap to HLP is left empty."
        )
        hlp = None
    hum, set_name = (None, "")
    if per_slice_hlp and not source.regression and hmetric in ("accuracy", "error_rate"):
        hum, set_name = human_accuracy_by_row(store, source)
    agg = analysis_db.slice_aggregates(
        store, source,
        [s.to_store() for s in specs],
        with_auc="roc_auc" in (metric, hmetric),
        row_values=None if hum is None else _arrow(hum),
    )
    whole = agg[agg["col"] == -1]
    if whole.empty or int(whole["n"].iloc[0]) == 0:
        raise SliceError("This run's part holds no predictions to slice.")
    n = int(whole["n"].iloc[0])
    m = len(specs)
    value_of = metric_values(agg, metric)
    overall = float(value_of[agg["col"] == -1].iloc[0])
    names = [
        specs[c].column if 0 <= c < m else ("tag" if c == m else "") for c in agg["col"].astype(int)
    ]
    values = [
        "all rows" if c == -1 else (str(t) if c == m else specs[c].label(k))
        for c, k, t in zip(agg["col"].astype(int), agg["code"].astype(int), agg["tag"], strict=True)
    ]
    preds = [
        []
        if c == -1
        else ([{"column": "", "op": "tag", "value": t}] if c == m else [specs[c].predicate(k)])
        for c, k, t in zip(agg["col"].astype(int), agg["code"].astype(int), agg["tag"], strict=True)
    ]
    frame = pd.DataFrame(
        {
            "column": names,
            "value": values,
            "size": agg["n"].astype(int).to_numpy(),
            "share": (agg["n"] / n).to_numpy(),
            "errors": (
                agg["err"] if source.regression else agg["err"].round().astype(int)
            ).to_numpy(),
            "metric": value_of.to_numpy(),
        }
    )
    if source.regression:
        frame["mae"] = metric_values(agg, "mae").to_numpy()
        frame["rmse"] = metric_values(agg, "rmse").to_numpy()
    else:
        frame["accuracy"] = metric_values(agg, "accuracy").to_numpy()
        frame["error_rate"] = metric_values(agg, "error_rate").to_numpy()
    frame["gap_to_overall"] = shortfall(metric, frame["metric"], overall)
    hvals = metric_values(agg, hmetric).to_numpy()
    slice_hlp = np.full(len(agg), np.nan if hlp is None else float(hlp))
    source_of = np.array(["brief" if hlp is not None else ""] * len(agg), dtype=object)
    hlp_source = "brief" if hlp is not None else "none"
    if hum is not None:
        enough = agg["v_n"].fillna(0).to_numpy() >= min_hlp_items
        h = (agg["v_sum"] / agg["v_n"]).to_numpy()
        h = h if hmetric == "accuracy" else 1 - h
        slice_hlp = np.where(enough, h, slice_hlp)
        source_of = np.where(enough, f"annotators ({set_name})", source_of)
        if enough.any():
            hlp_source = "annotators" if hlp is None else "brief + annotators"
    frame["hlp"] = slice_hlp
    frame["hlp_source"] = source_of
    frame["gap_to_hlp"] = shortfall(hmetric, hvals, slice_hlp)
    if np.isnan(frame["gap_to_hlp"].to_numpy(dtype=float)).all():
        notes.append(
            "No human-level performance is known (scoping brief or annotators), so "
            "priority uses the gap to the overall metric."
        )
        basis = frame["gap_to_overall"]
    else:
        basis = frame["gap_to_hlp"]
    frame["priority"] = basis.clip(lower=0).fillna(0) * frame["share"]
    frame["predicate"] = preds
    for s in specs:
        if s.kind == "num" and not s.edges:
            notes.append(f"{s.column}: too few distinct values for quantile bins (one bin).")
    frame = frame[agg["col"].to_numpy() != -1]  # the whole part is the reference, not a slice
    frame = frame.sort_values(["priority", "size"], ascending=[False, False], kind="stable")
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


def _arrow(frame: pd.DataFrame) -> Any:
    import pyarrow as pa

    return pa.Table.from_pandas(frame, preserve_index=False)


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
    rows = []
    lower = table.metric in LOWER_IS_BETTER
    for c in columns:
        f = table.frame[(table.frame["column"] == c) & (table.frame["size"] >= min_size)]
        f = f[f["metric"].notna()]
        if len(f) < 2:
            rows.append(
                {
                    "column": c,
                    "slices": len(f),
                    "worst": None,
                    "worst_metric": None,
                    "best": None,
                    "best_metric": None,
                    "ratio": None,
                }
            )
            continue
        f = f.sort_values("metric", ascending=lower, kind="stable")
        best, worst = f.iloc[0], f.iloc[-1]
        hi, lo = (
            max(best["metric"], worst["metric"]),
            min(best["metric"], worst["metric"]),
        )
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
    return pd.DataFrame(
        rows,
        columns=[
            "column",
            "slices",
            "worst",
            "worst_metric",
            "best",
            "best_metric",
            "ratio",
        ],
    )


# ----------------------------------------------------------------------- discovery
@dataclass(frozen=True)
class Discovery:
    """Top-k problem slices found by the SliceLine search."""

    slices: (
        pd.DataFrame
    )  # rank, label, level, slice (predicates), size, errors, error_rate, score, lift
    params: dict[str, Any]
    stats: dict[str, float]

    def to_frame(self) -> pd.DataFrame:
        return self.slices


def sliceline_score(size: Any, errors: Any, n: float, total_errors: float, alpha: float) -> Any:
    """SliceLine's score of a slice: error lift weighted by alpha against a size penalty.

    Examples
    --------
    >>> round(sliceline_score(100, 30, 1000, 100, 0.95), 4)  # 3x the mean error rate
    1.45
    >>> sliceline_score(1000, 100, 1000, 100, 0.95)  # the whole data scores 0
    0.0
    """
    ebar = total_errors / n
    return alpha * ((errors / size) / ebar - 1) - (1 - alpha) * (n / size - 1)


def discover_slices(
    store: Database,
    source: SliceSource,
    specs: list[ColumnSpec],
    *,
    alpha: float = 0.95,
    min_support: float = 0.01,
    top_k: int = 10,
    max_level: int = 3,
) -> Discovery:
    """Find the slices (conjunctions of up to ``max_level`` predicates) with the highest
    SliceLine score. ``min_support`` is a row count, or a share of the rows when < 1.
    """
    if not 0 < alpha <= 1:
        raise SliceError("alpha must be in (0, 1]: near 1 favours error over size.")
    if not 1 <= max_level <= 3:
        raise SliceError("Search conjunctions of 1 to 3 predicates.")
    if top_k < 1:
        raise SliceError("Ask for at least one slice (top-k >= 1).")
    if not specs:
        raise SliceError("Pick at least one column to search slices over.")
    import time

    t0 = time.perf_counter()
    n_rows = _count(store, source)
    sigma = math.ceil(min_support * n_rows) if 0 < min_support < 1 else int(min_support)
    sigma = max(sigma, 1)
    found, totals = sliceline_db.slice_lattice(
        store, source,
        [s.to_store() for s in specs],
        alpha=alpha,
        min_support=sigma,
        max_level=max_level,
        top_k=top_k,
    )
    params = {
        "alpha": alpha,
        "min_support": sigma,
        "top_k": top_k,
        "max_level": max_level,
        "columns": [s.column for s in specs],
    }
    stats = {**totals, "seconds": time.perf_counter() - t0}
    cols = [
        "rank",
        "label",
        "level",
        "slice",
        "size",
        "errors",
        "error_rate",
        "score",
        "lift",
    ]
    if found.empty:
        return Discovery(pd.DataFrame(columns=cols), params, stats)
    mean_err = totals["errors"] / totals["n"]
    P = 1024
    slices = []
    for r in found.itertuples(index=False):
        preds = []
        for key in (r.p1, r.p2, r.p3):
            if key is None or pd.isna(key):
                continue
            col, code = int(key) // P - 1, int(key) % P
            preds.append(specs[col].predicate(code))
        slices.append(preds)
    out = pd.DataFrame(
        {
            "rank": np.arange(1, len(found) + 1),
            "label": [slice_label(p) for p in slices],
            "level": found["level"].astype(int).to_numpy(),
            "slice": slices,
            "size": found["size"].astype(int).to_numpy(),
            "errors": found["errors"].astype(float).to_numpy(),
            "error_rate": (found["errors"] / found["size"]).to_numpy(),
            "score": found["score"].astype(float).to_numpy(),
        }
    )
    out["lift"] = out["error_rate"] / mean_err
    return Discovery(out, params, stats)


def _count(store: Database, source: SliceSource) -> int:
    agg = analysis_db.slice_aggregates(store, source, [])
    return int(agg["n"].iloc[0]) if len(agg) else 0


def save_discovery(store: Database, source: SliceSource, found: Discovery, actor: str) -> int:
    """Store a discovery (its inputs and top-k) for the run and part."""
    import json

    frame = found.slices.assign(slice=[json.dumps(s, default=str) for s in found.slices["slice"]])
    return analysis_db.insert_slice_discovery(
        store, int(source.project_id or 0),
        source.run_id,
        source.part,
        found.params,
        frame,
        found.stats,
        actor,
    )


def latest_discovery(store: Database, run_id: int, part: str) -> Discovery | None:
    import json

    got = analysis_db.latest_slice_discovery(store, run_id, part)
    if got is None:
        return None
    meta, frame = got
    frame = frame.assign(slice=[json.loads(s) for s in frame["slice"]])
    n, errors = meta["stats"].get("n", 0), meta["stats"].get("errors", 0)
    frame["lift"] = frame["error_rate"] / (errors / n) if n and errors else np.nan
    stats = {
        **meta["stats"],
        "created_at": meta["created_at"],
        "created_by": meta["created_by"],
    }
    return Discovery(frame, meta["params"], stats)


# ------------------------------------------------------------------ drill-down, tags
def slice_errors(
    store: Database,
    source: SliceSource,
    preds: list[dict[str, Any]],
    *,
    columns: list[str] | None = None,
    only_errors: bool = True,
    limit: int = 500,
) -> tuple[int, pd.DataFrame]:
    """The rows (by default the errors) of a slice with y, ŷ, score, tags, annotator labels."""
    cols = columns if columns is not None else [c for c, _ in analysis_db.slice_columns(store, source)]
    link = relabel_link(store, source)
    if link is not None and link[1] not in cols:
        cols = [
            link[1],
            *cols,
        ]  # the item id: shown, and needed to queue rows for relabelling
    annotations = _annotation_link(store, source)
    try:
        return analysis_db.slice_rows(
            store, source,
            cols,
            preds,
            only_errors=only_errors,
            limit=limit,
            annotations=annotations,
        )
    except StoreError as exc:
        raise SliceError(str(exc)) from exc


def _annotation_link(store: Database, source: SliceSource) -> tuple[int, str, str] | None:
    """(labels table, item column, data column) when annotators labelled this data.

    The Labeling page stores label sets; the raw long labels dataset (item_id, annotator,
    label) is joined on the set's item column.
    """
    if source.project_id is None or source.dataset_id is None:
        return None
    try:
        sets = labeling_db.list_label_sets(store, source.project_id)
    except (AttributeError, StoreError):  # labeling not part of this tree
        return None
    lineage = set(source.tag_datasets)
    for ls in sets:
        if ls.get("item_dataset_id") in lineage and ls.get("item_id_column"):
            for d in datasets_db.list_datasets(store, source.project_id, role="labels"):
                names = {c for c, _ in datasets_db.dataset_schema(store, d.id)}
                if {"item_id", "annotator", "label"} <= names:
                    return d.id, "item_id", ls["item_id_column"]
    return None


def relabel_link(store: Database, source: SliceSource) -> tuple[int, str] | None:
    """(labels set id, item column) to send a slice's rows to the Labeling relabel queue."""
    if source.project_id is None:
        return None
    try:
        from core import labeling as labels

        if not hasattr(labels, "send_to_queue"):
            return None
        sets = labeling_db.list_label_sets(store, source.project_id)
    except (ImportError, AttributeError, StoreError):  # labeling not part of this tree
        return None
    for ls in sets:
        if ls.get("item_dataset_id") in set(source.tag_datasets) and ls.get("item_id_column"):
            return int(ls["id"]), str(ls["item_id_column"])
    return None


def send_to_relabel(store: Database, source: SliceSource, rows: pd.DataFrame, actor: str) -> int:
    """Queue rows (with their data columns) for relabelling; returns how many were queued."""
    link = relabel_link(store, source)
    if link is None:
        raise SliceError(
            "No labels set covers this data: import annotators' labels on the Labeling page first."
        )
    set_id, item_col = link
    if item_col not in rows:
        raise SliceError(f"The rows lack the item column {item_col!r}; show it in the table.")
    from core import labeling as labels

    items = pd.DataFrame(
        {
            "item_id": rows[item_col].astype(str),
            "score": pd.to_numeric(rows.get("score"), errors="coerce"),
        }
    )
    return labels.send_to_queue(
        store,
        set_id,
        items.drop_duplicates("item_id"),
        source="error analysis",
        actor=actor,
    )


def tag_rows(store: Database, source: SliceSource, row_ids: list[int], tag: str, actor: str) -> int:
    """Tag rows of the run's dataset (by row id); tags carry to later runs on those rows."""
    if source.dataset_id is None or source.project_id is None:
        raise SliceError("Only rows of a stored run can be tagged.")
    return analysis_db.insert_slice_tags(
        store, source.project_id, source.run_id, source.dataset_id, row_ids, tag, actor
    )


def untag_rows(store: Database, source: SliceSource, row_ids: list[int], tag: str, actor: str) -> None:
    if source.project_id is None:
        raise SliceError("Only rows of a stored run can be untagged.")
    analysis_db.delete_slice_tags(store, source.project_id, list(source.tag_datasets), row_ids, tag, actor)


def list_tags(store: Database, source: SliceSource) -> pd.DataFrame:
    """Tags visible on this run's rows (its own and those carried from earlier runs)."""
    if source.project_id is None:
        return pd.DataFrame(
            columns=[
                "row_id",
                "tag",
                "run_id",
                "dataset_id",
                "created_at",
                "created_by",
            ]
        )
    return analysis_db.list_slice_tags(store, source.project_id, list(source.tag_datasets))


# ------------------------------------------------------------------------- actions
@dataclass(frozen=True)
class SliceAction:
    id: int
    run_id: int | None
    label: str
    slice: list[dict[str, Any]]
    action: str
    note: str
    status: str
    evidence: dict[str, Any]
    created_at: Any
    created_by: str

    @property
    def action_label(self) -> str:
        return ACTIONS.get(self.action, self.action)


def record_action(
    store: Database,
    project_id: int,
    run_id: int | None,
    preds: list[dict[str, Any]],
    action: str,
    note: str,
    actor: str,
    evidence: dict[str, Any] | None = None,
) -> int:
    """Decide what to do about a slice: collect, augment, relabel or ignore, with a note."""
    if action not in ACTIONS:
        raise SliceError(f"Unknown action {action!r}; use one of {', '.join(ACTIONS)}.")
    return analysis_db.insert_slice_action(
        store, project_id,
        run_id,
        slice_label(preds),
        preds,
        action,
        str(note or "").strip(),
        evidence or {},
        actor,
    )


def list_actions(store: Database, project_id: int, status: str | None = None) -> list[SliceAction]:
    keys = SliceAction.__dataclass_fields__
    return [
        SliceAction(**{k: d[k] for k in keys}) for d in analysis_db.list_slice_actions(store, project_id, status)
    ]


def open_actions(store: Database, project_id: int) -> list[SliceAction]:
    """Actions still open (for the home checklist)."""
    return list_actions(store, project_id, "open")


def close_action(store: Database, action_id: int, actor: str, status: str = "done") -> None:
    if status not in ("done", "dropped", "open"):
        raise SliceError("An action is open, done or dropped.")
    analysis_db.set_slice_action_status(store, action_id, status, actor)


# --------------------------------------------------------------------- oversampling
def oversample_frame(
    rows: pd.DataFrame,
    n_new: int,
    *,
    method: str = "smote",
    numeric: list[str],
    target: str | None = None,
    k: int = 5,
    seed: int = 0,
) -> pd.DataFrame:
    """``n_new`` synthetic rows from ``rows``: copies (``random``) or SMOTE interpolation.

    SMOTE: each new row takes a random base row and one of its ``k`` nearest neighbours
    (standardised numeric columns, same ``target`` class), and moves each numeric value a
    random fraction of the way to the neighbour; other columns are copied from the base.
    Integer columns stay integers.

    Examples
    --------
    >>> r = pd.DataFrame({"x": [0.0, 10.0], "c": ["a", "a"]})
    >>> out = oversample_frame(r, 3, numeric=["x"], seed=1)
    >>> len(out), bool(out["x"].between(0, 10).all()), set(out["c"])
    (3, True, {'a'})
    """
    if rows.empty:
        raise SliceError("The slice has no training rows to oversample.")
    if n_new < 1:
        raise SliceError("Add at least one row.")
    rng = np.random.default_rng(seed)
    base_idx = rng.integers(0, len(rows), n_new)
    out = rows.iloc[base_idx].reset_index(drop=True).copy()
    if method == "random" or not numeric or len(rows) < 2:
        return out
    if method != "smote":
        raise SliceError("Oversample by 'random' copies or 'smote' interpolation.")
    X = rows[numeric].apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)
    mu, sd = np.nanmean(X, axis=0), np.nanstd(X, axis=0)
    Z = np.nan_to_num((X - mu) / np.where(sd > 0, sd, 1.0))
    groups = (
        rows[target].astype(str).to_numpy() if target and target in rows else np.zeros(len(rows))
    )
    neighbour = np.empty(n_new, dtype=int)
    from sklearn.neighbors import NearestNeighbors

    for g in np.unique(groups):
        members = np.flatnonzero(groups == g)
        pick = np.flatnonzero(groups[base_idx] == g)
        if len(pick) == 0:
            continue
        if len(members) < 2:
            neighbour[pick] = base_idx[pick]
            continue
        kk = min(k, len(members) - 1)
        nn = NearestNeighbors(n_neighbors=kk + 1).fit(Z[members])
        pos = {m: i for i, m in enumerate(members)}
        _, ind = nn.kneighbors(Z[members])
        local = np.array([pos[b] for b in base_idx[pick]])
        choice = rng.integers(1, kk + 1, len(pick))
        neighbour[pick] = members[ind[local, choice]]
    lam = rng.uniform(0, 1, (n_new, 1))
    a, b = X[base_idx], X[neighbour]
    new = np.where(np.isnan(b), a, a + lam * (b - a))
    for j, c in enumerate(numeric):
        col = new[:, j]
        if pd.api.types.is_integer_dtype(rows[c]):
            out[c] = np.round(col).astype(rows[c].dtype)
        else:
            out[c] = col
    return out


@dataclass(frozen=True)
class Oversampled:
    dataset_id: int
    split_id: int
    n_original: int
    n_added: int


def oversample_slice(
    store: Database,
    run_id: int,
    preds: list[dict[str, Any]],
    *,
    factor: float = 1.0,
    method: str = "smote",
    seed: int = 0,
    actor: str,
    name: str | None = None,
) -> Oversampled:
    """Oversample a slice's training rows into a new dataset version with its split.

    The new dataset holds every original row first (same row ids) and then
    ``factor`` x (the slice's train rows) synthetic rows; its parent is the run's dataset,
    which is kept unchanged. The new split copies the run's split and puts the synthetic
    rows in train (on their base row's ladder step), so the next run can test the action.
    """
    run = training_db.get_run(store, run_id)
    if run is None or run.get("split_id") is None:
        raise SliceError("Pick a finished run trained on a stored split.")
    if not preds:
        raise SliceError("Pick a slice to oversample (not all rows).")
    if not 0 < factor <= 10:
        raise SliceError("Add between a fraction and 10x the slice's training rows.")
    split = splits_db.get_split(store, run["split_id"])
    ds = datasets_db.get_dataset(store, run["dataset_id"])
    if split is None or ds is None:
        raise SliceError("The run's split or dataset no longer exists.")
    lineage = tuple(datasets_db.dataset_lineage(store, ds.id))
    rows = analysis_db.dataset_slice_frame(store, split.id, preds, ["train"], run["project_id"], lineage)
    if rows.empty:
        raise SliceError("No training rows fall in this slice, so there is nothing to oversample.")
    n_new = max(1, round(factor * len(rows)))
    data_cols = [c for c in rows.columns if c not in ("__row_id", "__ladder")]
    numeric = [
        c
        for c in run.get("features") or data_cols
        if c in rows and pd.api.types.is_numeric_dtype(rows[c]) and c != run.get("target")
    ]
    synth = oversample_frame(
        rows, n_new, method=method, numeric=numeric, target=run.get("target"), seed=seed
    )
    original = datasets_db.dataset_frame(store, ds.id, with_row_id=True).sort_values("__row_id")
    n_orig = len(original)
    if not (original["__row_id"].to_numpy() == np.arange(n_orig)).all():
        raise SliceError("The dataset's row ids are not contiguous; it cannot be versioned here.")
    new = pd.concat([original[data_cols], synth[data_cols]], ignore_index=True)
    for c in data_cols:  # keep the original dtypes (concat may widen them)
        try:
            new[c] = new[c].astype(original[c].dtype)
        except (TypeError, ValueError):
            pass
    label = slice_label(preds)
    name = name or f"{ds.name} + {method} x{factor:g} ({label})"[:120]
    taken = {d.name for d in datasets_db.list_datasets(store, run["project_id"])}
    base_name, i = name, 2
    while name in taken:
        name, i = f"{base_name} #{i}", i + 1
    note = (
        f"{ds.name} with {n_new} synthetic rows ({method}, seed {seed}) appended after row "
        f"{n_orig - 1}, oversampling the training rows of slice: {label}."
    )
    did = datasets_db.insert_dataset(
        store, run["project_id"],
        name,
        new,
        source=f"oversampled from {ds.name}",
        role=ds.role,
        actor=actor,
        parent_id=ds.id,
        note=note,
    )
    assign = splits_db.split_assignment_frame(store, split.id)
    extra = pd.DataFrame(
        {
            "row_id": np.arange(n_orig, n_orig + n_new),
            "part": "train",
            "ladder": synth["__ladder"].to_numpy(),
        }
    )
    sid = splits_db.insert_split(
        store, run["project_id"],
        did,
        f"{split.name} + oversampled #{did}",
        pd.concat([assign, extra], ignore_index=True),
        method=split.method,
        target=split.target,
        params={
            **split.params,
            "oversampled_from_split": split.id,
            "slice": label,
            "method": method,
            "seed": seed,
        },
        actor=actor,
    )
    return Oversampled(did, sid, n_orig, n_new)


# ----------------------------------------------------------------------- comparison
def compare_runs(
    store: Database,
    run_a: int,
    run_b: int,
    part: str,
    specs: list[ColumnSpec] | None = None,
    *,
    metric: str | None = None,
    min_size: int = 1,
) -> pd.DataFrame:
    """Slice by slice, run B against run A on the same cuts: sizes, metrics, change, verdict.

    ``change`` is positive when B is better (in the metric's direction).
    """
    src_a, src_b = (
        source_for_run(store, run_a, part),
        source_for_run(store, run_b, part),
    )
    if specs is None:
        specs = plan_columns(store, src_a).specs
    cols_b = {c for c, _ in analysis_db.slice_columns(store, src_b)}
    specs = [s for s in specs if s.column in cols_b]
    ta = compute_slice_metrics(store, src_a, specs, metric=metric, per_slice_hlp=False)
    tb = compute_slice_metrics(store, src_b, specs, metric=ta.metric, per_slice_hlp=False)
    keep = [
        "column",
        "value",
        "size",
        "metric",
        "error_rate" if "error_rate" in ta.frame else "mae",
    ]
    a = ta.frame[keep].rename(columns={k: f"{k}_a" for k in keep[2:]})
    b = tb.frame[keep].rename(columns={k: f"{k}_b" for k in keep[2:]})
    out = a.merge(b, on=["column", "value"], how="outer")
    out = out[(out["size_a"].fillna(0) >= min_size) | (out["size_b"].fillna(0) >= min_size)]
    out["change"] = -shortfall(ta.metric, out["metric_b"], out["metric_a"])
    tol = 1e-12
    out["verdict"] = np.where(
        out["change"] > tol, "better", np.where(out["change"] < -tol, "worse", "same")
    )
    out.loc[out["change"].isna(), "verdict"] = "n/a"
    return out.sort_values("change", kind="stable", na_position="last").reset_index(drop=True)
