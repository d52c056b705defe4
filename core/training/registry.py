"""The model registry: saved models, numbered versions, the champion and the challenger.

DESIGN
------
* A training run saves its fitted scikit-learn ``Pipeline`` with skops (a format that does
  not execute code on load) under ``WORKBENCH_ARTIFACTS/<project_id>/``; the file's SHA-256
  goes into the store with it. File names carry the hash, so two databases (a test copy, a
  second instance) never overwrite each other's models.
* Registering a run makes it the project's next version. Aliases follow MLflow's: one
  ``champion`` and one ``challenger`` at a time; setting an alias moves it off any other
  version. Archiving clears the alias. Every change is one audited store write.
* Loading verifies the hash first and then lets skops build only types from an allow-list
  of scikit-learn and numpy modules, so a swapped or tampered file is refused.
* ``artifact_path`` is stored relative to ``WORKBENCH_ARTIFACTS`` so the data folder can
  move; load a model with ``load_model`` rather than reading the path.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from typing import IO, Any

import pandas as pd

from core import config
from core.db import training as training_db
from core.db.database import Database
from core.db.training import ModelVersionRow
from core.errors import StoreError

ALIASES = ("champion", "challenger")
# skops refuses any type outside its defaults unless trusted explicitly: trust only these.
TRUSTED_MODULE_PREFIXES = ("sklearn.", "numpy.")


class RegistryError(StoreError):
    """A registry action that cannot be done; the message says why and what to do."""


class ArtifactIntegrityError(RegistryError):
    """A saved model whose bytes differ from what the workbench wrote."""


def artifact_root() -> Path:
    return config.resolve_path("WORKBENCH_ARTIFACTS")


def sha256_stream(fh: IO[bytes]) -> str:
    """The SHA-256 (hex) of what is left to read in a binary stream, read 1 MiB at a time."""
    h = hashlib.sha256()
    for block in iter(lambda: fh.read(1 << 20), b""):
        h.update(block)
    return h.hexdigest()


def sha256_file(path: Path) -> str:
    with open(path, "rb") as fh:
        return sha256_stream(fh)


def save_artifact(model: Any, project_id: int, stem: str) -> tuple[str, str]:
    """Save a fitted model with skops; returns (path relative to the artifact root, sha256).

    The file is written under a temporary name and renamed once complete, so a crash never
    leaves a half-written model under a name the store points to.
    """
    import skops.io as sio

    folder = artifact_root() / str(int(project_id))
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(suffix=".skops.part", dir=folder)
        os.close(fd)
        sio.dump(model, tmp)
        digest = sha256_file(Path(tmp))
        name = f"{stem}_{digest[:12]}.skops"
        os.replace(tmp, folder / name)
    except OSError as exc:
        raise RegistryError(
            f"The model could not be saved in {folder} ({exc.strerror or exc}). Check that "
            "WORKBENCH_ARTIFACTS points to a writable folder."
        ) from exc
    return f"{int(project_id)}/{name}", digest


def verified_path(artifact_path: str, expected_sha256: str) -> Path:
    """The artifact's absolute path after checking that its bytes hash as recorded."""
    path = Path(artifact_path)
    path = path if path.is_absolute() else artifact_root() / path
    if not path.is_file():
        raise RegistryError(
            f"The saved model {path} is missing. Was WORKBENCH_ARTIFACTS moved? Point it at "
            "the folder holding the models, or retrain and register the run again."
        )
    actual = sha256_file(path)
    if actual != expected_sha256:
        raise ArtifactIntegrityError(
            f"The saved model {path} does not match the hash recorded when it was written "
            f"(expected {expected_sha256[:12]}…, found {actual[:12]}…): it was changed or "
            "replaced outside the workbench, so it will not be loaded. Retrain the run."
        )
    return path


def load_artifact(artifact_path: str, expected_sha256: str) -> Any:
    """Load a saved model after verifying its hash and that it holds only allowed types."""
    import skops.io as sio

    path = verified_path(artifact_path, expected_sha256)
    untrusted = sio.get_untrusted_types(file=path)
    refused = [t for t in untrusted if not t.startswith(TRUSTED_MODULE_PREFIXES)]
    if refused:
        raise ArtifactIntegrityError(
            f"The saved model {path} holds types outside the allow-list ({', '.join(refused)}); "
            "it will not be loaded."
        )
    return sio.load(path, trusted=untrusted)


def register(store: Database, run_id: int, actor: str, alias: str | None = None) -> int:
    """Register a finished run's saved model as the project's next version; returns its id."""
    run = training_db.get_run(store, run_id)
    if run is None:
        raise RegistryError("That run does not exist (any more).")
    if run.status != "done" or not run.artifact_path or not run.artifact_sha256:
        raise RegistryError(
            f"Run #{run_id} has no saved model (status {run.status}); only finished runs "
            "with a model can be registered."
        )
    verified_path(run.artifact_path, run.artifact_sha256)
    for v in training_db.list_model_versions(store, run.project_id):
        if v.run_id == run_id and v.status == "active":
            raise RegistryError(f"Run #{run_id} is registered already as version {v.version}.")
    vid = training_db.insert_model_version(
        store, run.project_id, run_id, run.artifact_path, run.artifact_sha256, actor
    )
    if alias is not None:
        set_alias(store, vid, alias, actor)
    return vid


def get_version(store: Database, version_id: int) -> ModelVersionRow:
    mv = training_db.get_model_version(store, version_id)
    if mv is None:
        raise RegistryError("That model version does not exist (any more).")
    return mv


def set_alias(store: Database, version_id: int, alias: str | None, actor: str) -> None:
    """Give a version the alias ``champion`` or ``challenger`` (moved off any other), or None."""
    if alias is not None and alias not in ALIASES:
        raise RegistryError(f"Unknown alias {alias!r}; use one of {', '.join(ALIASES)}.")
    mv = get_version(store, version_id)
    if alias is not None and mv.status != "active":
        raise RegistryError(
            f"Version {mv.version} is archived; restore it before giving it an alias."
        )
    if alias == "champion" and mv.alias != "champion":
        from core.governance.approvals import check_promotion  # governance reads the registry

        check_promotion(store, mv.project_id, version_id)
    training_db.set_model_version(store, version_id, actor, alias=alias, status=mv.status)


def archive(store: Database, version_id: int, actor: str) -> None:
    """Archive a version; it loses its alias (a project may be left without a champion)."""
    get_version(store, version_id)
    training_db.set_model_version(store, version_id, actor, alias=None, status="archived")


def restore(store: Database, version_id: int, actor: str) -> None:
    get_version(store, version_id)
    training_db.set_model_version(store, version_id, actor, alias=None, status="active")


def load_model(store: Database, version_id: int) -> Any:
    """The fitted sklearn Pipeline of a version (verified); call it on ``frame[features]``."""
    mv = get_version(store, version_id)
    return load_artifact(mv.artifact_path, mv.artifact_sha256)


def _by_alias(store: Database, project_id: int, alias: str) -> ModelVersionRow | None:
    rows = training_db.list_model_versions(store, project_id, alias=alias, status="active")
    return rows[0] if rows else None


def get_champion(store: Database, project_id: int) -> ModelVersionRow | None:
    return _by_alias(store, project_id, "champion")


def get_challenger(store: Database, project_id: int) -> ModelVersionRow | None:
    return _by_alias(store, project_id, "challenger")


def list_versions(store: Database, project_id: int) -> list[ModelVersionRow]:
    return training_db.list_model_versions(store, project_id)


def versions_frame(store: Database, project_id: int) -> pd.DataFrame:
    """The registry as a display table, with each version's run, model and data version."""
    rows = []
    for v in list_versions(store, project_id):
        run = training_db.get_run(store, v.run_id)
        rows.append(
            {
                "version": v.version,
                "alias": v.alias or "",
                "status": v.status,
                "run": v.run_id,
                "run name": run.name if run else None,
                "model": run.model_kind if run else None,
                "data version": f"{run.dataset_hash}/{run.split_hash}" if run else "None/None",
                "sha256": v.artifact_sha256[:12],
                "registered": v.created_at,
                "by": v.created_by,
                "id": v.id,
            }
        )
    return pd.DataFrame(rows)
