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
from dataclasses import dataclass
from pathlib import Path

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
