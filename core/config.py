"""Every setting of the workbench, declared once with its default and help text.

Environment variables are read here and nowhere else. A meta-test checks that every
setting is documented in README.md.

Examples
--------
>>> SETTINGS["WORKBENCH_DB"].default
'data/workbench.duckdb'
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

from core.errors import IngestError, StoreError

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Setting:
    name: str
    default: str
    help: str

    def value(self) -> str:
        """The environment's value when set and non-empty, else the default."""
        return os.environ.get(self.name) or self.default


SETTINGS: dict[str, Setting] = {
    s.name: s
    for s in [
        Setting(
            "WORKBENCH_DB",
            "data/workbench.duckdb",
            "Path of the DuckDB file that holds every project (relative paths are "
            "taken from the project root). One server process per file.",
        ),
        Setting(
            "WORKBENCH_ARTIFACTS",
            "data/artifacts",
            "Folder where trained models are saved (skops files, checked by hash on load).",
        ),
        Setting(
            "WORKBENCH_USER",
            "",
            "Name recorded in the audit log when no login is configured; defaults to the "
            "operating-system user.",
        ),
        Setting(
            "WORKBENCH_SEED_DEMO",
            "1",
            "Seed the demo project on first start when the database holds no project "
            "(set to 0 to start empty).",
        ),
        Setting(
            "WORKBENCH_DEMO_ROWS",
            "20000",
            "Rows of the demo project's training period (the production stream is 1.5x that).",
        ),
        Setting(
            "WORKBENCH_DUCKDB_MEMORY",
            "",
            "DuckDB's memory limit for the workbench process, e.g. '1GB' (empty: DuckDB's "
            "default, 80% of RAM). Large scans spill to disk instead of growing memory.",
        ),
        Setting(
            "WORKBENCH_MODE",
            "local",
            "'local' (one person on this machine; the server binds 127.0.0.1) or 'hosted' "
            "(a shared instance: loading files by server path is off unless "
            "WORKBENCH_DATA_DIRS names folders, and uploads are limited by "
            "WORKBENCH_MAX_UPLOAD_MB).",
        ),
        Setting(
            "WORKBENCH_DATA_DIRS",
            "",
            "Folders whose files may be loaded by their path on the server, separated by "
            f"'{os.pathsep}'. Empty: your home folder in local mode, none in hosted mode. A "
            "path outside them (also through a symlink or '..') is refused.",
        ),
        Setting(
            "WORKBENCH_MAX_UPLOAD_MB",
            "",
            "Largest file accepted by upload, in MB. Empty: 5000 in local mode, 200 in "
            "hosted mode.",
        ),
        Setting(
            "WORKBENCH_RARE_CLASS_SHARE",
            "0.05",
            "A class or category whose share is below this is flagged as rare.",
        ),
        Setting(
            "WORKBENCH_CHROMIUM",
            "chromium",
            "The browser that prints the stakeholder report to PDF, headless: a name on PATH "
            "or a path (Debian: apt-get install chromium).",
        ),
        Setting(
            "WORKBENCH_ROLES",
            "",
            "Who may do what, as 'name=role' pairs separated by commas, e.g. "
            "'ann@example.org=admin, bo@example.org=viewer'; roles are viewer (reads), "
            "editor (changes a project's work) and admin (also deletes projects and edits "
            "alert policies). Names are the login's e-mail (or the local user without login).",
        ),
        Setting(
            "WORKBENCH_DEFAULT_ROLE",
            "viewer",
            "Role of a logged-in user whom WORKBENCH_ROLES and the groups settings do not name.",
        ),
        Setting(
            "WORKBENCH_ADMIN_GROUPS",
            "",
            "Comma-separated groups (from the login's groups claim) whose members are admins.",
        ),
        Setting(
            "WORKBENCH_EDITOR_GROUPS",
            "",
            "Comma-separated groups (from the login's groups claim) whose members are editors.",
        ),
        Setting(
            "WORKBENCH_GROUPS_CLAIM",
            "groups",
            "Name of the login's claim that lists the user's groups (OIDC providers differ).",
        ),
    ]
}


def get(name: str) -> str:
    """Value of a declared setting; unknown names are a programming error."""
    return SETTINGS[name].value()


def get_float(name: str) -> float:
    return float(get(name))


def get_int(name: str) -> int:
    return int(get(name))


def resolve_path(name: str) -> Path:
    """A path setting resolved against the project root when relative."""
    p = Path(get(name)).expanduser()
    return p if p.is_absolute() else ROOT / p


MODES = ("local", "hosted")


def mode() -> str:
    """``local`` or ``hosted`` (WORKBENCH_MODE); anything else is refused with the setting."""
    value = get("WORKBENCH_MODE").strip().lower()
    if value not in MODES:
        raise StoreError(
            f"WORKBENCH_MODE={value!r} is not a mode; set it to 'local' or 'hosted'."
        )
    return value


def data_dirs() -> list[Path]:
    """The folders whose files may be loaded by server path, resolved (symlinks followed).

    Empty WORKBENCH_DATA_DIRS: the home folder in local mode (never the filesystem root, as
    in containers whose home is ``/``), no folder in hosted mode.
    """
    raw = get("WORKBENCH_DATA_DIRS").strip()
    if not raw:
        if mode() == "hosted":
            return []
        home = Path.home().resolve()
        return [] if home == Path(home.anchor) else [home]
    dirs = [Path(p).expanduser() for p in raw.split(os.pathsep) if p.strip()]
    return [(d if d.is_absolute() else ROOT / d).resolve() for d in dirs]


def server_paths_enabled() -> bool:
    """Whether any folder allows loading a file by its path on the server."""
    return bool(data_dirs())


def check_server_path(path: str | Path) -> Path:
    """The real path of a file the user named on the server, when WORKBENCH_DATA_DIRS
    allows it; else a StoreError naming the path and the setting.

    The path is resolved first (``..``, ``~`` and every symlink), so a link inside an
    allowed folder that points outside it is refused; only regular files are read.

    Examples
    --------
    >>> import os
    >>> before = os.environ.get("WORKBENCH_DATA_DIRS")
    >>> os.environ["WORKBENCH_DATA_DIRS"] = "/srv/data"
    >>> check_server_path("/srv/data/../../etc/shadow")
    Traceback (most recent call last):
    ...
    core.errors.IngestError: /srv/data/../../etc/shadow is outside the folders allowed by WORKBENCH_DATA_DIRS (/srv/data). Upload the file instead, or ask whoever runs the workbench to add its folder to WORKBENCH_DATA_DIRS.
    >>> _ = os.environ.pop("WORKBENCH_DATA_DIRS") if before is None else os.environ.update(
    ...     WORKBENCH_DATA_DIRS=before)
    """
    shown = str(path)
    allowed = data_dirs()
    if not allowed:
        raise IngestError(
            f"Loading files by their path on the server is off (WORKBENCH_MODE={mode()}, "
            f"WORKBENCH_DATA_DIRS empty), so {shown} was not read. Upload the file instead, "
            "or ask whoever runs the workbench to set WORKBENCH_DATA_DIRS.",
            "not_allowed",
        )
    real = Path(os.path.realpath(Path(shown).expanduser()))
    if not any(real == d or real.is_relative_to(d) for d in allowed):
        folders = os.pathsep.join(str(d) for d in allowed)
        raise IngestError(
            f"{shown} is outside the folders allowed by WORKBENCH_DATA_DIRS ({folders}). "
            "Upload the file instead, or ask whoever runs the workbench to add its folder "
            "to WORKBENCH_DATA_DIRS.",
            "not_allowed",
        )
    if not real.exists():
        raise IngestError(f"The file {shown} cannot be found. Check the path.", "missing")
    if not stat.S_ISREG(real.stat().st_mode):
        raise IngestError(
            f"{shown} is not a regular file (a folder, device or pipe); name a CSV or "
            "Parquet file.",
            "not_allowed",
        )
    return real


def max_upload_mb() -> int:
    """The largest upload in MB: WORKBENCH_MAX_UPLOAD_MB, else 5000 (local) or 200 (hosted)."""
    raw = get("WORKBENCH_MAX_UPLOAD_MB").strip()
    if not raw:
        return 200 if mode() == "hosted" else 5000
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value <= 0:
        raise StoreError(
            f"WORKBENCH_MAX_UPLOAD_MB={raw!r} is not a positive whole number of MB, e.g. 200."
        )
    return value


def current_user() -> str:
    """The actor for the audit log when no login identity is available."""
    explicit = get("WORKBENCH_USER")
    if explicit:
        return explicit
    try:
        import getpass

        return getpass.getuser()
    except Exception:  # no passwd entry in some containers
        return "local"
