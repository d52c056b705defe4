"""Projects: the lifecycle checklist derived from what is stored, the project's column
roles, and scikit-learn's bundled sample datasets.

DESIGN: a step's status is never a tick box; it is read from stored results, so it stays
true when results are deleted or recomputed. Column roles (time, id, target, incumbent
decision, latency, status) are stored per project and read by every stage, so no stage
knows a column's name.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

import pandas as pd

from core.data.samples import SAMPLES, load_sample
from core.db import datasets as datasets_db
from core.db import projects as projects_db
from core.db import training as training_db
from core.db.database import Database
from core.db.projects import ProjectRow
from core.errors import StoreError
from core.names import clean_name


def add_sample_dataset(store: Database, project_id: int, name: str, actor: str) -> int:
    """Load one of scikit-learn's bundled data sets into a project."""
    if name not in SAMPLES:
        raise StoreError(f"Unknown sample {name!r}.")
    return datasets_db.insert_dataset(
        store, project_id, f"sklearn_{name}", load_sample(name), source=f"scikit-learn {name}",
        role="training", actor=actor, note=SAMPLES[name],
    )


@dataclass(frozen=True)
class StepStatus:
    step: str
    status: str  # "done", "in progress", "not started"
    evidence: str
    next_action: str


LIFECYCLE = ("Scope", "Data", "Build", "Deploy", "Monitor", "Update")


def lifecycle(store: Database, project_id: int) -> list[StepStatus]:
    """The lifecycle checklist of a project, each status derived from stored results."""
    from core.data.datasets import data_step  # the Data step: datasets, quality, a split
    from core.monitoring import monitor_step, update_step
    from core.scoping import scope_step  # the Scope step is the brief's readiness

    steps = [
        StepStatus("Scope", *scope_step(store, project_id)),
    ]
    data = StepStatus("Data", *data_step(store, project_id))
    steps.append(data)
    steps += [
        StepStatus("Build", *_build_step(store, project_id)),
        StepStatus("Deploy", *_deploy_step(store, project_id)),
        StepStatus("Monitor", *monitor_step(store, project_id)),
        StepStatus("Update", *update_step(store, project_id)),
    ]
    return steps


def _deploy_step(store: Database, project_id: int) -> tuple[str, str, str]:
    """Deploy is done when a stored rollout rehearsal ended in a "go" decision."""
    from core.deploy import deploy_step

    return deploy_step(store, project_id)


def _build_step(store: Database, project_id: int) -> tuple[str, str, str]:
    """Build is done when a champion is registered, in progress once a run is stored."""
    from core.training import registry

    runs = training_db.list_runs(store, project_id)
    champion = registry.get_champion(store, project_id)
    if champion is not None:
        run = training_db.get_run(store, champion.run_id)
        return ("done", f"{len(runs)} run(s); champion v{champion.version} "
                f"({run.model_kind if run else '?'}, run #{champion.run_id}).",
                "Analyse its errors by slice, then rehearse the rollout.")
    if runs:
        done = sum(r.status == "done" for r in runs)
        return ("in progress", f"{len(runs)} run(s), {done} finished; no champion yet.",
                "Register the best run and make it the champion.")
    return ("not started", "No training run is stored.", "Train a first model.")


def open_actions_frame(store: Database, project_id: int) -> pd.DataFrame:
    """Error-analysis actions still open (collect data, augment, relabel), for the Overview."""
    from core.analysis import open_actions

    return pd.DataFrame(
        [
            {"slice": a.label, "action": a.action_label, "note": a.note,
             "run": a.run_id, "since": a.created_at, "by": a.created_by}
            for a in open_actions(store, project_id)
        ],
        columns=["slice", "action", "note", "run", "since", "by"],
    )


# ------------------------------------------------------------------ projects
def list_projects(store: Database) -> list[ProjectRow]:
    return projects_db.list_projects(store)


def is_pristine(store: Database) -> bool:
    """Nothing was ever written to the database (the demo is seeded then)."""
    return projects_db.is_pristine(store)


def create_project(store: Database, name: str, actor: str, description: str = "") -> int:
    """A new, empty project; raises StoreError for an empty, multi-line or taken name."""
    return projects_db.create_project(store, clean_name(name, "project"), actor, description)


def delete_project(store: Database, project_id: int, actor: str) -> None:
    """Delete a project with its datasets and every stored result (one transaction), then
    the model files its runs and versions point to (and their folder once empty). Only
    those files: another database sharing WORKBENCH_ARTIFACTS may use the same project id."""
    from core.db import backup as backup_db
    from core.training.registry import artifact_root

    root = artifact_root()
    files = [root / p for p in backup_db.artifact_paths(store, project_id)]
    projects_db.delete_project(store, project_id, actor)
    for path in files:
        path.unlink(missing_ok=True)
    for folder in {p.parent for p in files}:
        try:
            folder.rmdir()
        except OSError:  # not empty: files this database does not know about
            pass


def audit_log(store: Database, project_id: int, limit: int = 100) -> pd.DataFrame:
    """The project's latest audited writes, newest first."""
    return projects_db.list_audit(store, project_id, limit=limit)


def datasets_frame(store: Database, project_id: int) -> pd.DataFrame:
    """The project's dataset catalog as a display table (empty when it has none)."""
    datasets = datasets_db.list_datasets(store, project_id)
    return pd.DataFrame(
        [
            {
                "name": d.name, "role": d.role, "rows": d.n_rows, "columns": d.n_cols,
                "hash": d.content_hash, "source": d.source, "note": d.note,
                "created": d.created_at, "by": d.created_by,
            }
            for d in datasets
        ]
    )


# --------------------------------------------------------------- column roles
ROLES: dict[str, str] = {
    "time": "When the row happened: monitoring windows, rollout replay order and schedule.",
    "id": "Identifies a request or row: canary routing hashes it, so a request stays on "
    "one side.",
    "target": "The outcome the model predicts; in a production stream, the label that "
    "arrives later.",
    "score": "The score or prediction of a model that runs elsewhere (optional): monitoring "
    "checks its outputs and performance without a model registered here.",
    "incumbent": "The current process's decision (people or the existing system), compared "
    "with the model in shadow mode.",
    "latency": "Per-request serving latency in milliseconds (service-level checks).",
    "status": "Per-request status code; 500 and above counts as a failed request.",
}


@dataclass(frozen=True)
class ColumnRoles:
    """Which column plays which role in a project's data (None: no such column)."""

    time: str | None = None
    id: str | None = None
    target: str | None = None
    score: str | None = None
    incumbent: str | None = None
    latency: str | None = None
    status: str | None = None
    rules: dict[str, str] = field(default_factory=dict, compare=False)  # role -> why

    def as_dict(self) -> dict[str, str | None]:
        return {role: getattr(self, role) for role in ROLES}


def column_roles(store: Database, project_id: int) -> ColumnRoles:
    """The project's stored roles; the target falls back to the brief's y (f(x) = y)."""
    stored = projects_db.get_column_roles(store, project_id)
    why = {r: "saved for this project" for r in ROLES if stored.get(r)}
    if not stored.get("target"):
        from core.scoping import get_contract

        contract = get_contract(store, project_id)
        if contract is not None and contract.target_column:
            stored["target"] = contract.target_column
            why["target"] = "the brief's target (f(x) = y)"
    return ColumnRoles(**{r: stored.get(r) for r in ROLES}, rules=why)


def save_column_roles(
    store: Database, project_id: int, roles: Mapping[str, str | None], actor: str
) -> None:
    """Store roles (None clears one). Raises StoreError for an unknown role or a column used
    for two roles."""
    unknown = sorted(set(roles) - set(ROLES))
    if unknown:
        raise StoreError(f"Unknown column role(s) {', '.join(unknown)}; use {', '.join(ROLES)}.")
    used = [c for c in roles.values() if c]
    twice = sorted({c for c in used if used.count(c) > 1})
    if twice:
        raise StoreError(
            f"The column {twice[0]!r} is given two roles; a column plays one role at most."
        )
    projects_db.set_column_roles(store, project_id, dict(roles), actor)


def suggest_column_roles(store: Database, dataset_id: int) -> ColumnRoles:
    """Roles guessed from a dataset's column types and names, for the user to confirm."""
    from core.data import column_types

    types = column_types(store, dataset_id)
    by_type: dict[str, list[str]] = {}
    for t in types:
        by_type.setdefault(t.type, []).append(t.column)

    def named(*parts: str, kinds: tuple[str, ...] = ("numeric",)) -> str | None:
        return next((t.column for t in types if t.type in kinds
                     and any(p in t.column.lower() for p in parts)), None)

    times = by_type.get("datetime", [])
    ids = by_type.get("identifier", [])
    roles = ColumnRoles(
        time=times[0] if len(times) == 1 else named("time", "date", "_at", kinds=("datetime",)),
        id=ids[0] if len(ids) == 1 else named("request", "id", kinds=("identifier",)),
        target=(by_type.get("target") or [None])[0],
        score=_score_like(store, dataset_id, [t.column for t in types if t.type == "numeric"]),
        latency=named("latency", "duration", "elapsed", "_ms"),
        status=named("status", "http", kinds=("numeric", "categorical")),
    )
    rules = {
        "time": "the only date/time column" if len(times) == 1
        else "a date/time column named like time, date or _at",
        "id": "the only identifier column" if len(ids) == 1
        else "an identifier column named like request or id",
        "target": "the column typed as target (Data page, Columns)",
        "score": "a numeric column with fractions in [0, 1] named like score, prob or "
        "prediction",
        "latency": "a numeric column named like latency, duration, elapsed or _ms",
        "status": "a numeric or categorical column named like status or http",
    }
    return replace(roles, rules={r: w for r, w in rules.items() if getattr(roles, r)})


SCORE_NAMES = ("score", "prob", "pred")


def _score_like(store: Database, dataset_id: int, numeric: list[str]) -> str | None:
    """The first numeric column named like a score whose values are fractions in [0, 1]
    (a suggestion only: the user confirms it), by the column profile type detection
    stored: no scan (the Overview proposes roles on every rerun)."""
    from core.data.stored_profile import column_profile

    named = [c for c in numeric if any(p in c.lower() for p in SCORE_NAMES)]
    if not named:
        return None
    profile = column_profile(store, dataset_id).set_index("column")
    for column in named:
        c = profile.loc[column]
        lo, hi = c.get("min_num"), c.get("max_num")
        if c["kind"] == "float" and pd.notna(lo) and pd.notna(hi) and 0.0 <= lo and hi <= 1.0:
            return column
    return None


def project_columns(store: Database, project_id: int) -> list[str]:
    """Every column name of the project's datasets, first seen first (for role pickers)."""
    seen: dict[str, None] = {}
    for d in datasets_db.list_datasets(store, project_id):
        for column, _ in datasets_db.dataset_schema(store, d.id):
            seen.setdefault(column)
    return list(seen)


def proposed_column_roles(store: Database, project_id: int) -> ColumnRoles:
    """The stored roles, with unset ones guessed from the first training dataset."""
    stored = column_roles(store, project_id)
    datasets = datasets_db.list_datasets(store, project_id)
    source = next((d for d in datasets if d.role == "training"), datasets[0] if datasets else None)
    if source is None:
        return stored
    guess = suggest_column_roles(store, source.id)
    return ColumnRoles(**{r: getattr(stored, r) or getattr(guess, r) for r in ROLES},
                       rules={**guess.rules, **stored.rules})
