"""The data gate: a candidate dataset (a new batch or data version) against the reference.

Checks, each stated with its rule (the thresholds are :class:`DataGateSettings`):

* **schema** - every reference column is in the candidate (the target may be absent: an
  unlabelled batch; its label balance is then not applicable); extra columns are listed
  and do not fail (``strict_extra`` makes them fail).
* **types** - per shared column, the kind of values (``core.db.types``: integer and float
  count as one numeric family) is the reference's; a retyped column fails and its other
  checks are not applicable.
* **range** - per numeric column, at most ``max_out_of_range`` of its values lie outside the
  reference's [min, max] widened by ``range_tolerance`` x (max - min) on each side.
* **nulls** - per column, the null rate rises by at most ``null_rate_increase`` over the
  reference's (the monitoring default).
* **categories** - per categorical column, at most ``unseen_max`` of the values are
  categories the reference never had (the monitoring default).
* **drift** - per column, the project's drift method and threshold (the Monitoring page's
  code: profiles of both sides, ``core.monitoring.drift``); a column whose drift could not
  be computed is not judged. The dataset fails when the share of drifted columns reaches
  the project's "dataset drift" policy threshold (default 0.5).
* **labels** - when the target is in both: no reference class missing, no new class, and the
  Jensen-Shannon distance of the class shares (``core.monitoring.drift.js_distance``) below
  its drift threshold (0.1); a numeric target (a regression) by its drift, as a column's.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from core.db import datasets as datasets_db
from core.db import gates as gates_db
from core.db.database import Database
from core.db.datasets import DatasetRow
from core.db.types import NUMERIC_KINDS, column_kind
from core.gates.result import (
    FAILED,
    NOT_APPLICABLE,
    NOT_JUDGED,
    PASSED,
    Check,
    GateError,
    GateResult,
    judged,
)
from core.monitoring.settings import MonitorSettings

_DEFAULTS = MonitorSettings()


@dataclass(frozen=True)
class DataGateSettings:
    """The data gate's tolerances (shares are 0..1)."""

    range_tolerance: float = 0.1  # of the reference span, added below min and above max
    max_out_of_range: float = 0.01  # share of a column's values allowed outside that range
    null_rate_increase: float = _DEFAULTS.null_rate_increase
    unseen_max: float = _DEFAULTS.unseen_max
    label_distance_max: float = 0.1  # Jensen-Shannon distance of the class shares
    strict_extra: bool = False  # extra columns fail the schema check


def run_data_gate(store: Database, project_id: int, project: str, reference: DatasetRow,
                  candidate: DatasetRow, settings: DataGateSettings | None = None,
                  actor: str = "scheduler") -> GateResult:
    """Check ``candidate`` against ``reference`` with the project's column roles and drift
    methods; nothing is stored here (``core.gates.store.save_gate_run`` stores a result)."""
    from core.monitoring.run import monitored_columns
    from core.monitoring.settings import with_column_roles
    from core.projects import column_roles

    s = settings or DataGateSettings()
    if candidate.n_rows == 0:
        raise GateError(f"--candidate: {candidate.name!r} has no rows; nothing to check.")
    roles = column_roles(store, project_id)
    ref_schema = dict(datasets_db.dataset_schema(store, reference.id))
    cand_schema = dict(datasets_db.dataset_schema(store, candidate.id))
    checks = _schema_checks(ref_schema, cand_schema, roles.target, s)
    retyped = {c for c in ref_schema if c in cand_schema
               and _family(ref_schema[c]) != _family(cand_schema[c])}
    checks += _type_checks(ref_schema, cand_schema)
    ms = with_column_roles(replace(_DEFAULTS, window="all"), roles)
    monitored = [c for c in monitored_columns(store, reference.id, cand_schema, ms, None)
                 if c not in retyped]
    numeric = [c for c in monitored if column_kind(ref_schema[c]) in NUMERIC_KINDS]
    checks += _range_checks(store, reference.id, candidate.id, numeric, s)
    report = _drift_report(store, reference.id, candidate.id, actor)
    cells = {c.column: c for c in report.columns if c.column in monitored}
    checks += _null_and_category_checks(cells, monitored, s)
    checks += _drift_checks(cells, monitored, _dataset_drift_share(store, project_id))
    checks += _label_checks(store, reference, candidate, roles.target, retyped, s,
                            {c.column: c for c in report.columns})
    notes = [f"{c}: retyped, so its range, nulls, categories and drift are not checked."
             for c in sorted(retyped)]
    return GateResult(
        "data", project_id, project,
        f"dataset {candidate.name!r} (#{candidate.id}) vs {reference.name!r} (#{reference.id})",
        {"candidate_dataset_id": candidate.id, "candidate_hash": candidate.content_hash,
         "reference_dataset_id": reference.id, "reference_hash": reference.content_hash},
        tuple(checks), asdict(s), tuple(notes))


def _family(dtype: str) -> str:
    """integer and float are one numeric family; every other kind is its own."""
    kind = column_kind(dtype)
    return "numeric" if kind in NUMERIC_KINDS else kind


def _schema_checks(ref: dict[str, str], cand: dict[str, str], target: str | None,
                   s: DataGateSettings) -> list[Check]:
    missing = [c for c in ref if c not in cand and c != target]
    extra = [c for c in cand if c not in ref]
    out = [Check("schema", "missing columns", judged(not missing), float(len(missing)), 0.0,
                 ("missing: " + ", ".join(missing)) if missing
                 else "every reference column is present")]
    out.append(Check("schema", "extra columns",
                     FAILED if extra and s.strict_extra else PASSED, float(len(extra)),
                     0.0 if s.strict_extra else None,
                     ("extra: " + ", ".join(extra) + ("" if s.strict_extra
                                                      else " (listed, not failed)"))
                     if extra else "no extra column"))
    return out


def _type_checks(ref: dict[str, str], cand: dict[str, str]) -> list[Check]:
    out = []
    for c in (c for c in ref if c in cand):
        same = _family(ref[c]) == _family(cand[c])
        out.append(Check("types", c, judged(same), None, None,
                         f"{ref[c]} -> {cand[c]}" if ref[c] != cand[c] else ref[c]))
    return out


def _range_checks(store: Database, ref_id: int, cand_id: int, columns: list[str],
                  s: DataGateSettings) -> list[Check]:
    frame = gates_db.range_violations(store, ref_id, cand_id, columns, s.range_tolerance)
    out = []
    for r in frame.itertuples(index=False):
        if r.ref_min is None or pd.isna(r.ref_min):
            out.append(Check("range", str(r.column), NOT_JUDGED, None, s.max_out_of_range,
                             "the reference has no value in this column"))
            continue
        if not r.n:
            out.append(Check("range", str(r.column), NOT_APPLICABLE, None, s.max_out_of_range,
                             "no value in the candidate (see nulls)"))
            continue
        share = float(r.outside) / float(r.n)
        out.append(Check(
            "range", str(r.column), judged(share <= s.max_out_of_range), share,
            s.max_out_of_range,
            f"{int(r.outside):,} of {int(r.n):,} values outside [{r.low:.6g}, {r.high:.6g}] "
            f"(reference [{r.ref_min:.6g}, {r.ref_max:.6g}] ± {s.range_tolerance:g} x span); "
            f"candidate [{r.cand_min:.6g}, {r.cand_max:.6g}]"))
    return out


def _drift_report(store: Database, ref_id: int, cand_id: int, actor: str) -> Any:
    """Both sides profiled (the reference's profile is stored once and reused) and the
    drift of every profiled column, as a monitoring run computes it."""
    from core.monitoring import drift
    from core.monitoring.profile_store import get_profile, profile_dataset

    ref_pid = profile_dataset(store, ref_id, actor=actor)
    cand_pid = profile_dataset(store, cand_id, reference_profile_id=ref_pid, actor=actor)
    return drift.compute_drift(get_profile(store, ref_pid), get_profile(store, cand_pid), None)


def _null_and_category_checks(cells: dict[str, Any], columns: list[str],
                              s: DataGateSettings) -> list[Check]:
    out = []
    for col in columns:
        c = cells.get(col)
        if c is None:
            out.append(Check("nulls", col, NOT_JUDGED, None, s.null_rate_increase,
                             "the column was not profiled"))
            continue
        rise = c.null_rate_current - c.null_rate_reference
        out.append(Check(
            "nulls", col, judged(None if np.isnan(rise) else rise <= s.null_rate_increase),
            None if np.isnan(rise) else float(rise), s.null_rate_increase,
            f"null rate {c.null_rate_current:.2%} vs {c.null_rate_reference:.2%} in the "
            "reference"))
        if c.kind == "categorical":
            u = c.unseen_share
            out.append(Check(
                "categories", col, judged(None if np.isnan(u) else u <= s.unseen_max),
                None if np.isnan(u) else float(u), s.unseen_max,
                f"{u:.2%} of the values are categories the reference never had"
                if not np.isnan(u) else "not computed: " + (c.reason or "no values")))
    return out


def _dataset_drift_share(store: Database, project_id: int) -> float:
    from core.monitoring.drift import DRIFT_SHARE
    from core.monitoring.policy_store import project_policies

    cfg = project_policies(store, project_id).get("dataset drift")
    return float(cfg.threshold) if cfg is not None and cfg.threshold is not None else DRIFT_SHARE


def _drift_checks(cells: dict[str, Any], columns: list[str], share_max: float) -> list[Check]:
    out, drifted, computed = [], 0, 0
    for col in columns:
        c = cells.get(col)
        if c is None or c.status != "computed":
            out.append(Check("drift", col, NOT_JUDGED, None, c.threshold if c else None,
                             "not computed: " + (c.reason if c else "the column was not "
                                                 "profiled")))
            continue
        computed += 1
        drifted += bool(c.drifted)
        p = "p-value" if c.method in ("ks", "chisquare") else "statistic"
        value = c.p_value if p == "p-value" else c.statistic
        out.append(Check("drift", col, judged(not c.drifted), float(value), c.threshold,
                         f"{c.method} {p} {value:.4g} (drift when "
                         f"{'<' if p == 'p-value' else '≥'} {c.threshold:g})"))
    share = drifted / computed if computed else None
    out.append(Check(
        "drift", "share of drifted columns", judged(None if share is None else
                                                    share < share_max),
        share, share_max,
        f"{drifted} of {computed} columns drifted (the project's dataset-drift policy fails "
        f"at ≥ {share_max:g})" if computed else "no column's drift could be computed"))
    return out


def _label_checks(store: Database, reference: DatasetRow, candidate: DatasetRow,
                  target: str | None, retyped: set[str], s: DataGateSettings,
                  cells: dict[str, Any]) -> list[Check]:
    from core.data import class_balance
    from core.errors import StoreError
    from core.monitoring.drift import js_distance

    name = f"label balance ({target})" if target else "label balance"
    ref_cols = {c for c, _ in datasets_db.dataset_schema(store, reference.id)}
    cand_cols = {c for c, _ in datasets_db.dataset_schema(store, candidate.id)}
    if not target or target not in ref_cols or target not in cand_cols or target in retyped:
        why = ("the project has no target column" if not target else
               f"{target!r} is retyped" if target in retyped else
               f"{target!r} is not in both datasets (an unlabelled batch)")
        return [Check("labels", name, NOT_APPLICABLE, None, None, why)]
    try:
        ref, cand = (class_balance(store, reference.id, target),
                     class_balance(store, candidate.id, target))
    except StoreError:  # a numeric target (a regression): not class labels
        return [_target_drift(target, cells.get(target))]
    if not sum(cand.counts):
        return [Check("labels", name, NOT_JUDGED, None, s.label_distance_max,
                      f"no labelled row in {candidate.name!r}")]
    classes = list(dict.fromkeys([*map(str, ref.classes), *map(str, cand.classes)]))
    p = np.array([dict(zip(map(str, ref.classes), ref.counts, strict=True)).get(k, 0)
                  for k in classes], dtype=float)
    q = np.array([dict(zip(map(str, cand.classes), cand.counts, strict=True)).get(k, 0)
                  for k in classes], dtype=float)
    new = [k for k, a, b in zip(classes, p, q, strict=True) if a == 0 and b > 0]
    gone = [k for k, a, b in zip(classes, p, q, strict=True) if a > 0 and b == 0]
    if len(classes) > 50:  # a numeric target with few enough values for class_balance
        return [_target_drift(target, cells.get(target))]
    d = js_distance(p, q)
    shares = ", ".join(f"{k}: {a / p.sum():.1%} -> {b / q.sum():.1%}"
                       for k, a, b in zip(classes, p, q, strict=True))
    why = ([f"new class {', '.join(new)}"] if new else []) + (
        [f"class {', '.join(gone)} absent"] if gone else [])
    ok = not new and not gone and d < s.label_distance_max
    return [Check("labels", name, PASSED if ok else FAILED, d, s.label_distance_max,
                  f"Jensen-Shannon distance {d:.4f}; {shares}" + (
                      "; " + "; ".join(why) if why else ""))]


def _target_drift(target: str, cell: Any) -> Check:
    """A numeric target's distribution judged as a column's drift (the project's method)."""
    name = f"label distribution ({target})"
    if cell is None or cell.status != "computed":
        return Check("labels", name, NOT_JUDGED, None, cell.threshold if cell else None,
                     "not computed: " + (cell.reason if cell else "the target was not profiled"))
    p_value = cell.method in ("ks", "chisquare")
    value = cell.p_value if p_value else cell.statistic
    return Check("labels", name, judged(not cell.drifted), float(value), cell.threshold,
                 f"{cell.method} {'p-value' if p_value else 'statistic'} {value:.4g} (drift "
                 f"when {'<' if p_value else '≥'} {cell.threshold:g})")
