"""What a gate reads, found by name: the project, a reference dataset, a candidate (a file
ingested as a new dataset version, or a stored dataset). Every miss raises
:class:`~core.gates.result.GateError` naming the input and what to do."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from core.db import datasets as datasets_db
from core.db import projects as projects_db
from core.db.database import Database
from core.db.datasets import DatasetRow
from core.db.projects import ProjectRow
from core.gates.result import GateError

CANDIDATE_PREFIX = "gate_"  # a file checked by the data gate is stored under this prefix


def find_project(store: Database, name: str) -> ProjectRow:
    project = next((p for p in projects_db.list_projects(store) if p.name == name), None)
    if project is None:
        names = ", ".join(repr(p.name) for p in projects_db.list_projects(store)) or "none"
        raise GateError(f"--project: no project named {name!r} in {store.path} "
                        f"(projects: {names}).")
    return project


def find_reference(store: Database, project: ProjectRow, name: str | None) -> DatasetRow:
    """The named dataset, else the project's first training dataset."""
    if name:
        return _by_name(store, project, name, "--reference")
    train = datasets_db.list_datasets(store, project.id, role="training")
    if not train:
        raise GateError(f"{project.name!r} has no training dataset to use as the reference; "
                        "name one with --reference.")
    return train[0]


def _by_name(store: Database, project: ProjectRow, name: str, option: str) -> DatasetRow:
    datasets = {d.name: d for d in datasets_db.list_datasets(store, project.id)}
    if name not in datasets:
        raise GateError(f"{option}: {name!r} is neither a file nor a dataset of "
                        f"{project.name!r}.")
    return datasets[name]


def find_candidate(store: Database, project: ProjectRow, candidate: str, actor: str
                   ) -> DatasetRow:
    """A CSV or Parquet file ingested as a new dataset (role "other", named
    ``gate_<file>_<time>``), or a stored dataset by name. A file that cannot be read
    raises before anything is stored."""
    from core.data import ingest_path
    from core.data.datasets import free_name

    path = Path(candidate)
    if not path.exists():
        return _by_name(store, project, candidate, "--candidate")
    if not path.is_file():
        raise GateError(f"--candidate: {candidate!r} is a folder; give a CSV or Parquet file.")
    taken = {d.name for d in datasets_db.list_datasets(store, project.id)}
    name = free_name(f"{CANDIDATE_PREFIX}{path.stem}_{datetime.now():%Y%m%d%H%M%S}", taken,
                     "{base}_{n}")
    result = ingest_path(store, project.id, path, name=name, actor=actor, role="other",
                         note=f"Candidate data checked by the data gate ({path.name}).")
    return datasets_db.require_dataset(store, result.dataset_id)
