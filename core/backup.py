"""Backup and restore of one project: export it as a single zip archive, import it into
another workbench under new ids, checked by hash.

DESIGN
------
* The archive holds ``manifest.json`` and, under it, the project's rows of every table keyed
  by project (``tables/<table>.parquet``: catalog, brief versions, column roles, alert
  policies, labels, runs, metrics, predictions, registry, rehearsals, monitoring…), each
  dataset's rows (``datasets/<id>.parquet``) and the model files its runs saved
  (``models/<file>.skops``). The manifest lists every file with its SHA-256 and size.
* An import reads nothing it has not checked: the manifest must be this format, every file
  in the zip must be listed with the hash it has, and every listed file present; a model
  file must also hash as its run recorded. A failed check refuses the whole archive with a
  message and stores nothing. Member names come from the manifest and must match a fixed
  pattern, so no file is ever written outside a temporary folder.
* A model file is never loaded at import (skops files are loaded only when their hash
  matches, as everywhere in the workbench).
* Hashes detect a damaged or edited archive, not a forger who rewrites the manifest too:
  import archives from people you trust.

Command line::

    python -m core.backup export --project "Claims triage (demo)" --out claims.zip
    python -m core.backup import claims.zip [--name "Claims (copy)"]
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import sys
import tempfile
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from core import config
from core.access import Actor, local_actor
from core.db import backup as backup_db
from core.db import projects as projects_db
from core.db.database import Database
from core.errors import StoreError
from core.training.registry import artifact_root, sha256_file, sha256_stream

FORMAT = "ml-workbench-project"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
MEMBER = re.compile(r"^(tables/[a-z_][a-z0-9_]*|datasets/[0-9]+)\.parquet$|^models/[\w.\-]+$")


class BackupError(StoreError):
    """An archive that cannot be imported, or a project that cannot be exported."""


@dataclass(frozen=True)
class ImportResult:
    project_id: int
    name: str
    tables: int
    datasets: int
    models: int


# ------------------------------------------------------------------------------ export
def export_project(store: Database, project_id: int, dest: Path | IO[bytes],
                   actor: str = "") -> dict[str, Any]:
    """Write project ``project_id`` as one zip archive to ``dest``; returns its manifest."""
    project = projects_db.get_project(store, project_id)
    if project is None:
        raise BackupError("That project does not exist (any more).")
    with tempfile.TemporaryDirectory(prefix="wb-export-") as tmp:
        folder = Path(tmp)
        written = backup_db.export_rows(store, project_id, folder)
        models = _copy_models(written["artifacts"], folder / "models", project.name)
        files = {
            p.relative_to(folder).as_posix(): {"sha256": sha256_file(p), "bytes": p.stat().st_size}
            for p in sorted(folder.rglob("*")) if p.is_file()
        }
        manifest = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "schema": store.applied_migrations(),
            "project": {"name": project.name, "description": project.description},
            "exported_by": str(actor or local_actor()),
            "tables": written["tables"],
            "datasets": written["datasets"],
            "models": models,
            "files": files,
        }
        with zipfile.ZipFile(dest, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            zf.writestr(MANIFEST, json.dumps(manifest, indent=1, default=str))
            for name in files:
                zf.write(folder / name, name)
    backup_db.record_export(store, project_id, actor or local_actor(), {
        "tables": len(written["tables"]), "datasets": len(written["datasets"]),
        "models": len(models)})
    return manifest


def _copy_models(paths: list[str], folder: Path, project: str) -> dict[str, str]:
    """Copy the project's model files into the archive folder; {stored path: member}."""
    folder.mkdir(parents=True, exist_ok=True)
    out = {}
    for rel in paths:
        src = Path(rel) if Path(rel).is_absolute() else artifact_root() / rel
        if not src.is_file():
            raise BackupError(
                f"The model file {src} of project {project!r} is missing, so the project "
                "cannot be exported whole. Restore the file into WORKBENCH_ARTIFACTS, or "
                "archive the runs that use it."
            )
        member = f"models/{src.name}"
        shutil.copyfile(src, folder / src.name)
        out[rel] = member
    return out


def archive_name(project_name: str) -> str:
    """A file name for a project's archive.

    >>> archive_name("Claims triage (demo)")
    'claims-triage-demo.workbench.zip'
    """
    stem = re.sub(r"[^a-z0-9]+", "-", project_name.lower()).strip("-") or "project"
    return f"{stem}.workbench.zip"


def export_project_bytes(store: Database, project_id: int, actor: str = "") -> bytes:
    """The archive as bytes (for a download button)."""
    import io

    buf = io.BytesIO()
    export_project(store, project_id, buf, actor)
    return buf.getvalue()


# ------------------------------------------------------------------------------ import
def _refuse(label: str, what: str) -> BackupError:
    return BackupError(
        f"{label} cannot be imported: {what}. Export the project again from its workbench "
        "and import that file. Nothing was imported."
    )


def read_manifest(zf: zipfile.ZipFile, label: str) -> dict[str, Any]:
    """The archive's manifest after checking its format and every member's hash."""
    try:
        manifest = json.loads(zf.read(MANIFEST))
    except KeyError:
        raise _refuse(label, "it has no manifest.json, so it is not a workbench project "
                      "archive") from None
    except ValueError:
        raise _refuse(label, "its manifest.json is not valid JSON") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise _refuse(label, "its manifest is not a workbench project manifest")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise _refuse(label, f"it is format version {manifest.get('format_version')!r}; this "
                      f"workbench reads version {FORMAT_VERSION}")
    files = manifest.get("files")
    if not isinstance(files, dict) or not all(isinstance(k, str) and MEMBER.match(k)
                                              for k in files):
        raise _refuse(label, "its manifest lists files with unexpected names")
    members = {i.filename for i in zf.infolist() if not i.is_dir()} - {MANIFEST}
    if members - set(files):
        raise _refuse(label, f"it holds files its manifest does not list "
                      f"({', '.join(sorted(members - set(files))[:3])}): it was changed")
    if set(files) - members:
        raise _refuse(label, f"files listed in its manifest are missing "
                      f"({', '.join(sorted(set(files) - members)[:3])})")
    for name, meta in files.items():
        with zf.open(name) as fh:
            digest = sha256_stream(fh)
        if not isinstance(meta, dict) or digest != meta.get("sha256"):
            raise _refuse(label, f"{name} does not match the SHA-256 in its manifest: the "
                          "archive was changed or damaged")
    return manifest


def import_project(store: Database, archive: Path | IO[bytes], actor: str,
                   name: str | None = None, label: str | None = None) -> ImportResult:
    """Import an archive made by :func:`export_project` as a new project with new ids."""
    label = label or (f"The file {archive.name}" if isinstance(archive, Path) else "The archive")
    try:
        zf = zipfile.ZipFile(archive)
    except (zipfile.BadZipFile, OSError) as exc:
        raise _refuse(label, f"it is not a zip archive ({exc})") from None
    with zf, tempfile.TemporaryDirectory(prefix="wb-import-") as tmp:
        manifest = read_manifest(zf, label)
        unknown = sorted(set(manifest.get("schema") or []) - set(store.applied_migrations()))
        if unknown:
            raise _refuse(label, f"it was exported by a newer workbench (schema "
                          f"{unknown[-1]}; this one has {store.applied_migrations()[-1]})")
        folder = Path(tmp)
        for member in manifest["files"]:
            target = folder / member
            target.parent.mkdir(parents=True, exist_ok=True)
            with zf.open(member) as src, open(target, "wb") as out:
                shutil.copyfileobj(src, out)
        tables = sorted(manifest.get("tables") or {})
        if any(f"tables/{t}.parquet" not in manifest["files"] for t in tables):
            raise _refuse(label, "its manifest names tables whose files it does not list")
        models = manifest.get("models") or {}
        _check_models(folder, models, label)
        placed: list[Path] = []

        def place(project_id: int) -> None:
            placed.append(artifact_root() / str(project_id))
            _place_models(folder, models, project_id)

        try:
            pid, final, datasets = backup_db.import_rows(
                store, folder, dict(manifest.get("project") or {}), tables, actor, name, place)
        except OSError as exc:
            raise BackupError(
                f"The imported project's model files could not be written to "
                f"{artifact_root()} ({exc}); nothing was imported. Check that "
                "WORKBENCH_ARTIFACTS is writable."
            ) from exc
        finally:
            if placed and projects_db.get_project(store, int(placed[0].name)) is None:
                shutil.rmtree(placed[0], ignore_errors=True)
    return ImportResult(pid, final, len(tables), len(datasets), len(models))


def _check_models(folder: Path, models: dict[str, str], label: str) -> None:
    """Each model file must hash as the run that saved it recorded."""
    recorded = {}
    for table in ("runs", "model_versions"):
        path = folder / "tables" / f"{table}.parquet"
        if path.exists():
            import pyarrow.parquet as pq

            frame = pq.read_table(path, columns=["artifact_path", "artifact_sha256"])
            for rel, digest in zip(frame["artifact_path"].to_pylist(),
                                   frame["artifact_sha256"].to_pylist(), strict=True):
                if rel:
                    recorded[rel] = digest
    for rel, member in models.items():
        if not isinstance(member, str) or not MEMBER.match(member) or rel not in recorded:
            raise _refuse(label, f"its model list names {rel!r}, which no run records")
        if sha256_file(folder / member) != recorded[rel]:
            raise _refuse(label, f"the model file {member} does not hash as its run recorded")


def _place_models(folder: Path, models: dict[str, str], project_id: int) -> None:
    target = artifact_root() / str(int(project_id))
    if models:
        target.mkdir(parents=True, exist_ok=True)
    for member in models.values():
        shutil.copyfile(folder / member, target / Path(member).name)


# ------------------------------------------------------------------------ command line
def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m core.backup", description=(
        "Export a project as one zip archive, or import such an archive as a new project."))
    parser.add_argument("--db", help="database file (default: WORKBENCH_DB)")
    sub = parser.add_subparsers(dest="command", required=True)
    exp = sub.add_parser("export", help="write a project to an archive")
    exp.add_argument("--project", required=True, help="the project's name")
    exp.add_argument("--out", required=True, help="the archive to write (.zip)")
    imp = sub.add_parser("import", help="import an archive as a new project")
    imp.add_argument("archive", help="an archive written by export")
    imp.add_argument("--name", help="the new project's name (default: the exported name)")
    args = parser.parse_args(argv)
    actor: Actor = local_actor()
    try:
        store = Database(args.db or config.resolve_path("WORKBENCH_DB"))
        try:
            return _run(store, args, actor)
        finally:
            store.close()
    except StoreError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


def _run(store: Database, args: argparse.Namespace, actor: Actor) -> int:
    if args.command == "export":
        found = [p for p in projects_db.list_projects(store) if p.name == args.project]
        if not found:
            raise BackupError(f"--project: no project is named {args.project!r}.")
        manifest = export_project(store, found[0].id, Path(args.out), actor)
        print(f"exported {args.project!r} to {args.out}: {len(manifest['tables'])} tables, "
              f"{len(manifest['datasets'])} datasets, {len(manifest['models'])} model files")
        return 0
    path = Path(args.archive)
    if not path.is_file():
        raise BackupError(f"{path}: no such file.")
    result = import_project(store, path, actor, args.name)
    print(f"imported {path} as project {result.name!r} (id {result.project_id}): "
          f"{result.tables} tables, {result.datasets} datasets, {result.models} model files")
    return 0


if __name__ == "__main__":
    sys.exit(main())
