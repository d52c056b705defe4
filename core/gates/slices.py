"""The model gate's slice floors: the brief's sensitive columns and the slices the team
marked on the Error analysis page, judged with the analysis stage's own per-slice code."""

from __future__ import annotations

from typing import Any

import pandas as pd

from core.db.database import Database
from core.gates.result import NOT_APPLICABLE, NOT_JUDGED, Check, judged

MAX_SLICE_ROWS = 10_000_000


def slice_checks(store: Database, project_id: int, source: Any, contract: Any,
                 targets: dict[str, float], overall: dict[str, float],
                 slice_tolerance: float) -> list[Check]:
    """One check per sensitive column (its worst slice) and per marked slice."""
    from core.analysis import SliceError, choose_metric, default_min_size

    wanted = contract.primary.name if contract is not None and contract.primary else None
    metric, _ = choose_metric("regression" if source.regression else "classification", wanted)
    floor = _floor(metric, targets, overall, slice_tolerance)
    try:
        min_rows = default_min_size(store, source).rows
    except SliceError as exc:
        return [Check("slices", "slices", NOT_JUDGED, None, None, str(exc))]
    sensitive = list(getattr(contract, "sensitive_columns", []) or [])
    out = [_sensitive_check(store, source, c, metric, floor, min_rows) for c in sensitive]
    out += _marked_checks(store, project_id, source, metric, floor, min_rows)
    if not out:
        out.append(Check("slices", "sensitive and marked slices", NOT_APPLICABLE, None, None,
                         "the brief names no sensitive column and no slice is marked"))
    return out


def _floor(metric: str, targets: dict[str, float], overall: dict[str, float],
           tolerance: float) -> tuple[float | None, str]:
    """The value every big-enough slice must reach, and where it comes from."""
    from core.analysis import LOWER_IS_BETTER

    base, where = targets.get(metric), "the brief's threshold"
    if base is None:
        base, where = overall.get(metric), "the overall test value"
    if base is None:
        return None, "no threshold"
    sign = 1 if metric in LOWER_IS_BETTER else -1
    return base + sign * tolerance, f"{where} {base:.4g} with tolerance {tolerance:g}"


def _meets(metric: str, value: float, floor: float) -> bool:
    from core.analysis import LOWER_IS_BETTER

    return value <= floor if metric in LOWER_IS_BETTER else value >= floor


def _sensitive_check(store: Database, source: Any, column: str, metric: str,
                     floor: tuple[float | None, str], min_rows: int) -> Check:
    from core.analysis import SliceError, compute_slice_metrics, plan_columns

    name = f"sensitive: {column}"
    try:
        plan = plan_columns(store, source, [column])
        if not plan.specs:
            return Check("slices", name, NOT_JUDGED, None, floor[0],
                         "; ".join(plan.notes) or f"{column!r} cannot be sliced")
        table = compute_slice_metrics(store, source, plan.specs, metric=metric,
                                      per_slice_hlp=False, min_size=min_rows)
    except SliceError as exc:
        return Check("slices", name, NOT_JUDGED, None, floor[0], str(exc))
    f = table.frame
    big = f[(f["column"] == column) & (f["size"] >= min_rows) & f[metric].notna()]
    small = int(((f["column"] == column) & (f["size"] < min_rows)).sum())
    if big.empty or floor[0] is None:
        return Check("slices", name, NOT_JUDGED, None, floor[0],
                     f"no slice of {column!r} has {min_rows}+ rows" if big.empty
                     else "no threshold for the slice metric")
    from core.analysis import LOWER_IS_BETTER

    worst = big.sort_values(metric, ascending=metric not in LOWER_IS_BETTER).iloc[0]
    value = float(worst[metric])
    return Check("slices", name, judged(_meets(metric, value, floor[0])), value, floor[0],
                 f"worst slice {worst['value']!r} ({int(worst['size'])} rows): {metric} "
                 f"{value:.4g}; floor from {floor[1]}; {len(big)} slice(s) judged"
                 + (f", {small} under {min_rows} rows not judged" if small else ""))


def _marked_checks(store: Database, project_id: int, source: Any, metric: str,
                   floor: tuple[float | None, str], min_rows: int) -> list[Check]:
    """Slices with an open or done action other than "ignore" (duplicates once)."""
    from core.analysis import list_actions

    seen: dict[str, list[dict[str, Any]]] = {}
    for a in list_actions(store, project_id):
        if a.action != "ignore" and a.status in ("open", "done") and a.slice:
            seen.setdefault(a.label, a.slice)
    return [_marked_check(store, source, label, preds, metric, floor, min_rows)
            for label, preds in seen.items()]


def _marked_check(store: Database, source: Any, label: str, preds: list[dict[str, Any]],
                  metric: str, floor: tuple[float | None, str], min_rows: int) -> Check:
    from core.analysis import SliceError, compute_slice_metrics, frame_source, slice_errors

    name = f"marked: {label}"
    try:
        n, rows = slice_errors(store, source, preds, columns=[], only_errors=False,
                               limit=MAX_SLICE_ROWS)
    except SliceError as exc:
        return Check("slices", name, NOT_JUDGED, None, floor[0], str(exc))
    if n < min_rows or floor[0] is None:
        return Check("slices", name, NOT_JUDGED, None, floor[0],
                     f"{n} rows in the test part (fewer than {min_rows})" if n < min_rows
                     else "no threshold for the slice metric")
    part = pd.DataFrame({"y_true": rows["y_true"], "y_pred": rows["y_pred"],
                         "score": rows["score"]})
    if source.regression:
        part["y_true"], part["y_pred"] = part["y_true"].astype(float), part["y_pred"].astype(float)
    table = compute_slice_metrics(store, frame_source(part, source.positive_class,
                                                      source.regression),
                                  [], metric=metric, per_slice_hlp=False)
    return Check("slices", name, judged(_meets(metric, table.overall, floor[0])),
                 table.overall, floor[0],
                 f"{n} rows: {metric} {table.overall:.4g}; floor from {floor[1]}")
