"""The stored facts of a project that the model card and the stakeholder report show,
gathered once: brief, data versions and their quality, the model and its recipe, test
metrics with confidence intervals beside baselines and targets, slices and sensitive
columns, labels and human-level performance, rehearsals, monitoring, approvals, and the
limitations the team wrote.

A part that cannot be read (no champion yet, no labels, a stored result that no longer
loads) is left empty and the reason goes into ``ProjectFacts.missing``: the card says
"not available" with that reason rather than inventing a number.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pandas as pd

from core import projects as core_projects
from core.db import approvals as approvals_db
from core.db import projects as projects_db
from core.db import training as training_db
from core.db.database import Database
from core.db.projects import ProjectRow
from core.errors import StoreError
from core.governance.approvals import GateStatus, gate_status
from core.governance.intervals import classification_intervals, regression_intervals
from core.scoping import BriefVersion, get_brief

TOP_SLICES = 8


def num(v: Any, digits: int = 2) -> str:
    """A fact's number as the tour and the report write it: ``digits`` decimals, "—" when
    it is missing or not a number.

    >>> num(0.8123), num(None), num(float("nan")), num(81.2, 0)
    ('0.81', '—', '—', '81')
    """
    try:
        x = float(v)
    except (TypeError, ValueError):
        return "—"
    return "—" if math.isnan(x) else f"{x:.{digits}f}"


@dataclass(frozen=True)
class Limitations:
    """The team's own words on what the model must not be used for, and where it is weak."""

    version: int
    text: str
    saved_at: datetime
    saved_by: str


@dataclass
class ProjectFacts:
    """Everything the card and the report show, read from the store at ``generated_at``."""

    project: ProjectRow
    generated_at: datetime
    brief: BriefVersion | None = None
    lifecycle: list[Any] = field(default_factory=list)
    datasets: pd.DataFrame = field(default_factory=pd.DataFrame)
    model: dict[str, Any] = field(default_factory=dict)  # version, run, recipe
    metrics: pd.DataFrame = field(default_factory=pd.DataFrame)  # vs baselines, with CIs
    slices: pd.DataFrame = field(default_factory=pd.DataFrame)
    slice_metric: str = ""
    slice_overall: float | None = None
    fairness: pd.DataFrame = field(default_factory=pd.DataFrame)
    labels: dict[str, Any] = field(default_factory=dict)
    rehearsals: list[dict[str, Any]] = field(default_factory=list)
    monitoring: dict[str, Any] = field(default_factory=dict)
    approvals: list[GateStatus] = field(default_factory=list)
    limitations: Limitations | None = None
    missing: dict[str, str] = field(default_factory=dict)  # part -> why it is not shown


# ----------------------------------------------------------------- limitations
def save_limitations(store: Database, project_id: int, text: str, actor: str) -> int:
    """Store the team's limitations for the model card (a new version); returns it."""
    text = str(text or "").replace("\r\n", "\n").strip()
    if not text:
        raise StoreError("Limitations: write at least one sentence (what the model must not "
                         "be used for, where it is known to be weak).")
    return approvals_db.insert_card_note(store, project_id, text, actor)


def get_limitations(store: Database, project_id: int) -> Limitations | None:
    row = approvals_db.get_card_note(store, project_id)
    return Limitations(*row) if row else None


# ----------------------------------------------------------------------- parts
def _datasets(store: Database, f: ProjectFacts) -> None:
    from core.data import get_report, list_datasets

    rows = []
    for d in list_datasets(store, f.project.id):
        report = get_report(store, d.id)
        rows.append({"name": d.name, "role": d.role, "rows": d.n_rows, "columns": d.n_cols,
                     "data version": d.content_hash, "derived from": d.parent_id,
                     "quality issues": None if report is None else len(report.issues),
                     "created": d.created_at})
    f.datasets = pd.DataFrame(rows)


def _model_run(store: Database, project_id: int) -> tuple[Any, Any]:
    """The champion and its run; else the newest finished run with predictions."""
    from core.training import get_run, list_runs, registry

    champion = registry.get_champion(store, project_id)
    if champion is not None:
        return champion, get_run(store, champion.run_id)
    done = [r for r in list_runs(store, project_id) if r.status == "done" and r.parent_id is None]
    return None, (done[0] if done else None)


def _model(store: Database, f: ProjectFacts) -> None:
    from core.training import metric_comparison

    champion, run = _model_run(store, f.project.id)
    if run is None:
        f.missing["model"] = "no finished training run is stored yet"
        return
    f.model = {"version": champion.version if champion else None,
               "alias": "champion" if champion else "newest run (no champion yet)",
               "run": run, "sha256": run.artifact_sha256}
    contract = f.brief.brief.contract if f.brief else None
    comparison = metric_comparison(store, run.id, "test", contract)
    preds = training_db.run_predictions(store, run.id, ["test"])
    if preds.empty:
        f.missing["intervals"] = f"run #{run.id} stored no test predictions"
        f.metrics = comparison
        return
    if run.task_type == "regression":
        ci = regression_intervals(preds["y_true"], preds["y_pred"])
    else:
        ci = classification_intervals(preds["y_true"], preds["y_pred"], preds["score"],
                                      str(run.positive_class))
    f.metrics = comparison.merge(ci[["metric", "low", "high", "n", "method"]], on="metric",
                                 how="left")


def _slices(store: Database, f: ProjectFacts) -> None:
    from core import analysis as S

    run = f.model.get("run")
    if run is None:
        f.missing["slices"] = "no model to analyse"
        return
    src = S.source_for_run(store, run.id, "test")
    ctx = S.scoping_context(store, f.project.id)
    _, default = S.column_choices(store, src, list(ctx.sensitive))
    plan = S.plan_columns(store, src, default)
    task = "regression" if run.task_type == "regression" else "classification"
    metric, _ = S.choose_metric(task, ctx.primary)  # as the Error analysis page opens
    table = S.compute_slice_metrics(store, src, plan.specs, metric=metric, hlp=ctx.hlp,
                                    hlp_metric=ctx.hlp_metric)
    f.slice_metric, f.slice_overall = table.metric, float(table.overall)
    f.slices = table.frame.drop(columns=["predicate"], errors="ignore").head(TOP_SLICES)
    if ctx.sensitive:
        f.fairness = S.fairness_gaps(table, list(ctx.sensitive))


def _labels(store: Database, f: ProjectFacts) -> None:
    from core import labeling as L

    sets = L.list_label_sets(store, f.project.id)
    if not sets:
        f.missing["labels"] = "no annotators' labels are stored"
        return
    ls = sets[-1]
    agreement = L.compute_agreement(L.label_frame(store, ls.id))
    hlp = L.hlp_for_set(store, ls)
    f.labels = {"set": ls.name, "n_items": agreement.n_items,
                "n_annotators": agreement.n_annotators,
                "fleiss_kappa": agreement.fleiss_kappa if agreement.defined else None,
                "krippendorff_alpha": agreement.krippendorff_alpha if agreement.defined else None,
                "observed": agreement.observed if agreement.defined else None,
                "hlp": hlp.hlp, "hlp_reference": hlp.reference,
                "per_annotator": hlp.per_annotator}


def _rehearsals(store: Database, f: ProjectFacts) -> None:
    from core import deploy as D

    frame = D.simulations_frame(store, f.project.id)
    if frame.empty:
        f.missing["rehearsals"] = "no rollout rehearsal is stored"
        return
    for sim_id in frame["id"].tolist()[::-1]:  # oldest first: the story's order
        sim = D.load_simulation(store, int(sim_id))
        f.rehearsals.append({
            "id": sim.id, "name": sim.name, "pattern": sim.pattern, "decision": sim.decision,
            "story": D.rollback_story(sim.summary, sim.settings),
            "metrics": [(m.label, m.value) for m in D.summary_metrics(sim.summary, sim.settings)],
            "errors exposed": sim.summary.get("errors_exposed"),
            "extra wrong": sim.summary.get("excess_wrong"),
            "reasons": list(sim.summary.get("reasons") or []),
            "sim": sim,
        })


def _monitoring(store: Database, f: ProjectFacts) -> None:
    from core import monitoring as M

    run = M.latest_run(store, f.project.id)
    if run is None:
        f.missing["monitoring"] = "no monitoring run is stored"
        return
    alerts = M.run_alerts(store, f.project.id, run.id)
    status, evidence, _ = M.monitor_step(store, f.project.id)
    f.monitoring = {"run": run, "alerts": alerts, "status": status, "evidence": evidence,
                    "results": M.run_results(store, run.id),
                    "open": int((alerts["status"] == "open").sum()) if len(alerts) else 0}


_PARTS: tuple[tuple[str, Callable[[Database, ProjectFacts], None]], ...] = (
    ("datasets", _datasets), ("model", _model), ("slices", _slices), ("labels", _labels),
    ("rehearsals", _rehearsals), ("monitoring", _monitoring),
)


def collect_facts(store: Database, project_id: int) -> ProjectFacts:
    """Read every part the card and the report show; a part that cannot be read is named in
    ``missing`` with the reason (its message), the others are still collected."""
    from core.db.clock import utcnow

    project = projects_db.get_project(store, project_id)
    if project is None:
        raise StoreError("That project does not exist (any more).")
    f = ProjectFacts(project, utcnow())
    try:
        f.brief = get_brief(store, project_id)
    except StoreError as exc:
        f.missing["brief"] = str(exc)
    if f.brief is None and "brief" not in f.missing:
        f.missing["brief"] = "no project brief is saved"
    f.lifecycle = core_projects.lifecycle(store, project_id)
    for name, part in _PARTS:
        try:
            part(store, f)
        except (StoreError, ValueError, KeyError) as exc:
            f.missing[name] = str(exc) or type(exc).__name__
    f.approvals = gate_status(store, project_id)
    f.limitations = get_limitations(store, project_id)
    return f
