"""The model gate: a candidate model (a finished training run, or a model file scored on
the champion's split) against the brief and the champion.

Checks, each with its rule (tolerances are :class:`ModelGateSettings`):

* **metric** - every metric the brief sets (the primary's target, the secondary floors), on
  the stored test part (``core.training`` metrics), met in the metric's direction; a metric
  the run lacks is not judged.
* **champion** - the same metrics (the primary only when the brief sets none) no worse than
  the champion's on the *same* test rows beyond ``tolerance`` (the champion is scored on the
  candidate's test part when it was trained on another split). Not applicable when there
  is no champion or the candidate is the champion.
* **slices** - on the brief's sensitive columns and on the slices the team marked (an open
  or done action on the Error analysis page, other than "ignore"): the slice metric (the
  brief's primary when it is computable per slice, ``core.analysis``) of every slice with at
  least the analysis's minimum size must reach the floor: the brief's threshold for that
  metric (the overall test value when the brief has none) minus ``slice_tolerance``.
* **latency** - with a p95 latency budget in the brief: ``latency_requests`` single-row
  predictions (one request each, after a warm-up) timed on test rows; their p95 within the
  budget.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd

from core.db.database import Database
from core.db.training import ModelVersionRow, RunRow
from core.gates.result import NOT_APPLICABLE, NOT_JUDGED, Check, GateError, GateResult, judged
from core.gates.scoring import score_on_test


@dataclass(frozen=True)
class ModelGateSettings:
    tolerance: float = 0.01  # how much worse than the champion a metric may be
    slice_tolerance: float = 0.05  # how far below the floor a slice may fall
    latency_requests: int = 200
    threshold: float | None = None  # a model file's positive-class cut (None: most likely)


@dataclass(frozen=True)
class _Candidate:
    """What the gate judges: the recipe (a run), the model, its test metrics and slices."""

    label: str
    ref: dict[str, Any]
    recipe: RunRow
    split_id: int
    model: Any
    metrics: dict[str, float]
    source: Any  # the analysis's slice base of the test part
    run_id: int | None  # None for a model file


def run_model_gate(store: Database, project_id: int, project: str, *, run_id: int | None = None,
                   model_file: str | None = None, settings: ModelGateSettings | None = None
                   ) -> GateResult:
    """Judge a finished run (``run_id``) or a model file (``model_file``)."""
    from core.scoping import get_contract
    from core.training import registry

    s = settings or ModelGateSettings()
    if (run_id is None) == (model_file is None):
        raise GateError("Give either --run ID or --model FILE.")
    champion = registry.get_champion(store, project_id)
    cand = (_from_run(store, project_id, int(run_id)) if run_id is not None
            else _from_file(store, project_id, str(model_file), champion, s))
    contract = get_contract(store, project_id)
    targets = _targets(contract)
    checks = _metric_checks(cand.metrics, targets)
    checks += _champion_checks(store, cand, champion, targets or _primary(cand), s)
    checks += _slice_checks(store, project_id, cand, contract, targets, s)
    checks += [_latency_check(store, cand, contract, s)]
    return GateResult("model", project_id, project, cand.label, cand.ref, tuple(checks),
                      asdict(s))


def _from_run(store: Database, project_id: int, run_id: int) -> _Candidate:
    from core.analysis import SliceError, source_for_run
    from core.db import training as training_db
    from core.training import overall_metrics, registry

    run = training_db.get_run(store, run_id)
    if run is None or run.project_id != project_id:
        raise GateError(f"--run {run_id}: no such training run in this project.")
    if run.status != "done" or run.split_id is None or not run.artifact_path:
        raise GateError(f"--run {run_id}: run {run.name!r} is {run.status} or has no saved "
                        "model; pick a finished run.")
    wide = overall_metrics(store, [run.id], "test")
    if run.id not in wide.index:
        raise GateError(f"--run {run_id}: the run has no metrics on a test part; train it "
                        "on a split with a test part.")
    try:
        source = source_for_run(store, run.id, "test")
    except SliceError as exc:
        raise GateError(f"--run {run_id}: {exc}") from exc
    metrics = {str(k): float(v) for k, v in wide.loc[run.id].items() if pd.notna(v)}
    model = registry.load_artifact(str(run.artifact_path), str(run.artifact_sha256))
    return _Candidate(f"run #{run.id} {run.name!r} ({run.model_kind})",
                      {"run_id": run.id, "dataset_hash": run.dataset_hash,
                       "split_hash": run.split_hash, "artifact_sha256": run.artifact_sha256},
                      run, int(run.split_id), model, metrics, source, run.id)


def _from_file(store: Database, project_id: int, path: str, champion: ModelVersionRow | None,
               s: ModelGateSettings) -> _Candidate:
    """A model file scored on the champion's test part with the champion's recipe."""
    from pathlib import Path

    from core.analysis import frame_source
    from core.training import get_run, registry

    p = Path(path)
    if not p.is_file():
        raise GateError(f"--model: {path!r} is not a file; give a model saved with skops.")
    if champion is None:
        raise GateError("--model FILE is scored on the champion's test part with its "
                        "features: the project has no champion; use --run ID instead.")
    recipe = get_run(store, champion.run_id)
    digest = registry.sha256_file(p)
    try:
        model = registry.load_artifact(str(p.resolve()), digest)
    except Exception as exc:  # noqa: BLE001 - any unreadable file is the user's input
        raise GateError(f"--model: {path!r} cannot be loaded as a skops model ({exc}).") from exc
    if not hasattr(model, "predict"):
        raise GateError(f"--model: {path!r} holds no model (nothing to predict with).")
    try:
        scored = score_on_test(store, model, recipe, int(recipe.split_id or 0), s.threshold)
    except (ValueError, KeyError, TypeError) as exc:
        raise GateError(f"--model: {path!r} cannot score the champion's features "
                        f"({', '.join(recipe.features)}): {exc}") from exc
    source = frame_source(scored.frame, scored.positive_class, scored.regression)
    return _Candidate(f"model file {p.name} (sha256 {digest[:12]}) on the champion's test part",
                      {"model_file": str(p), "artifact_sha256": digest,
                       "split_hash": recipe.split_hash},
                      recipe, int(recipe.split_id or 0), model, scored.metrics, source, None)


def _targets(contract: Any) -> dict[str, float]:
    from core.training import contract_targets

    return contract_targets(contract)


def _primary(cand: _Candidate) -> dict[str, float]:
    from core.training import default_metric

    m = default_metric(cand.recipe.task_type)
    return {m: float("nan")}


def _metric_checks(metrics: dict[str, float], targets: dict[str, float]) -> list[Check]:
    from core.training import metrics as M

    if not targets:
        return [Check("metric", "brief targets", NOT_APPLICABLE, None, None,
                      "the brief sets no metric target or floor")]
    out = []
    for name, target in targets.items():
        value = metrics.get(name)
        sign = "≥" if M.higher_is_better(name) else "≤"
        out.append(Check("metric", f"{M.label(name)} {sign} {target:g}",
                         judged(M.meets(name, value, target)), value, target,
                         f"test part: {value:.4g}" if value is not None
                         else "the run has no such metric on its test part"))
    return out


def _champion_checks(store: Database, cand: _Candidate, champion: ModelVersionRow | None,
                     metrics: dict[str, float], s: ModelGateSettings) -> list[Check]:
    from core.training import metrics as M

    if champion is None:
        return [Check("champion", "no regression", NOT_APPLICABLE, None, None,
                      "the project has no champion yet")]
    if cand.run_id is not None and champion.run_id == cand.run_id:
        return [Check("champion", "no regression", NOT_APPLICABLE, None, None,
                      f"the candidate is the champion (v{champion.version})")]
    theirs, where = _champion_metrics(store, cand, champion)
    out = []
    for name in metrics:
        mine, ref = cand.metrics.get(name), theirs.get(name)
        if mine is None or ref is None:
            out.append(Check("champion", M.label(name), NOT_JUDGED, mine, ref,
                             "the metric is missing for the candidate or the champion"))
            continue
        up = M.higher_is_better(name)
        floor = ref - s.tolerance if up else ref + s.tolerance
        out.append(Check("champion", M.label(name), judged(M.meets(name, mine, floor)), mine,
                         floor, f"candidate {mine:.4g} vs champion v{champion.version} "
                         f"{ref:.4g} {where} (tolerance {s.tolerance:g})"))
    return out


def _champion_metrics(store: Database, cand: _Candidate, champion: ModelVersionRow
                      ) -> tuple[dict[str, float], str]:
    """The champion's test metrics on the candidate's test rows: stored when it was trained
    on the same split, else scored there now."""
    from core.training import get_run, overall_metrics, registry
    from core.training.spec import THRESHOLD_PARAM

    run = get_run(store, champion.run_id)
    if run.split_id == cand.split_id:
        wide = overall_metrics(store, [run.id], "test")
        row = wide.loc[run.id] if run.id in wide.index else pd.Series(dtype=float)
        return {str(k): float(v) for k, v in row.items() if pd.notna(v)}, "(same test part)"
    model = registry.load_model(store, champion.id)
    cut = run.params.get(THRESHOLD_PARAM)
    scored = score_on_test(store, model, run, cand.split_id,
                           float(cut) if isinstance(cut, int | float) else None)
    return scored.metrics, "(champion scored on the candidate's test part)"


def _latency_check(store: Database, cand: _Candidate, contract: Any,
                   s: ModelGateSettings) -> Check:
    budget = getattr(contract, "p95_latency_ms", None) if contract is not None else None
    if not budget:
        return Check("latency", "p95 latency (ms)", NOT_APPLICABLE, None, None,
                     "the brief sets no latency budget")
    rows = _test_rows(store, cand, s.latency_requests)
    if rows.empty:
        return Check("latency", "p95 latency (ms)", NOT_JUDGED, None, float(budget),
                     "no test row to time")
    predict = getattr(cand.model, "predict_proba", None) or cand.model.predict
    for i in range(min(5, len(rows))):  # warm-up: first calls pay for lazy imports
        predict(rows.iloc[[i]])
    times = []
    for i in range(len(rows)):
        t0 = time.perf_counter()
        predict(rows.iloc[[i]])
        times.append((time.perf_counter() - t0) * 1000)
    p95 = float(np.percentile(times, 95))
    return Check("latency", "p95 latency (ms)", judged(p95 <= float(budget)), p95,
                 float(budget), f"{len(times)} single-row predictions on this machine: p50 "
                 f"{np.percentile(times, 50):.2f} ms, p95 {p95:.2f} ms")


def _test_rows(store: Database, cand: _Candidate, n: int) -> pd.DataFrame:
    from core.db import splits as splits_db

    frame = splits_db.split_frame(store, cand.split_id, columns=list(cand.recipe.features))
    test = frame[frame["__part"] == "test"]
    return test[list(cand.recipe.features)].head(n).reset_index(drop=True)


def _slice_checks(store: Database, project_id: int, cand: _Candidate, contract: Any,
                  targets: dict[str, float], s: ModelGateSettings) -> list[Check]:
    from core.gates.slices import slice_checks

    return slice_checks(store, project_id, cand.source, contract, targets, cand.metrics,
                        s.slice_tolerance)
