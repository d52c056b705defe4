"""Roles are enforced in core: every write of the database checks its actor's role.

The meta-tests below find every ``write(`` call in ``core/db`` (so a new write path is
covered the day it is added) and every statement that changes stored data, and prove that a
viewer is refused on each before anything is written.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

from core import access
from core.access import Actor, PermissionDenied, Role
from core.db import datasets as datasets_db
from core.db import monitoring as monitoring_db
from core.db import projects as projects_db
from core.db import scoping as scoping_db
from core.db.database import Database
from core.errors import WorkbenchError

ROOT = Path(__file__).resolve().parents[2]
VIEWER = Actor("vera@example.org", Role.VIEWER)
EDITOR = Actor("ed@example.org", Role.EDITOR)
ADMIN = Actor("ada@example.org", Role.ADMIN)
# derived results a page stores the first time it shows a dataset (a viewer may view it)
VIEWER_ALLOWED = {("detect", "column_types"), ("create", "quality_report"),
                  ("create", "column_profile"), ("export", "project")}
ADMIN_ONLY = {("delete", "project"), ("update", "alert_policies")}


@dataclass(frozen=True)
class WriteSite:
    module: str
    line: int
    function: str
    actor: ast.expr
    actions: tuple[str, ...]  # the literal actions the call can write ("*": not literal)
    entity: str


def _literals(node: ast.expr, function: ast.FunctionDef) -> tuple[str, ...]:
    """The strings an argument can hold: a literal, or every string assigned to the name."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return (node.value,)
    if isinstance(node, ast.Name):
        found = [
            c.value
            for a in ast.walk(function)
            if isinstance(a, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == node.id for t in a.targets)
            for c in ast.walk(a.value)
            if isinstance(c, ast.Constant) and isinstance(c.value, str)
        ]
        if found:
            return tuple(found)
    return ("*",)


def write_sites() -> list[WriteSite]:
    sites = []
    for path in sorted((ROOT / "core" / "db").glob("*.py")):
        if path.name == "database.py":
            continue
        tree = ast.parse(path.read_text())
        for function in [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)]:
            for call in ast.walk(function):
                if (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute)
                        and call.func.attr == "write" and len(call.args) >= 3):
                    entity = call.args[2]
                    assert isinstance(entity, ast.Constant), (path.name, call.lineno)
                    sites.append(WriteSite(path.name, call.lineno, function.name, call.args[0],
                                           _literals(call.args[1], function), str(entity.value)))
    return sites


SITES = write_sites()


def test_the_write_sites_are_found():
    assert len(SITES) >= 30
    assert {"project", "brief", "dataset", "model_version", "slice_tag", "alert"} <= {
        s.entity for s in SITES}


@pytest.mark.parametrize("site", SITES, ids=lambda s: f"{s.module}:{s.line}:{s.function}")
def test_every_write_path_refuses_a_viewer(store: Database, site: WriteSite):
    # the actor comes from the caller (never a literal name that would skip the caller's role)
    assert not isinstance(site.actor, ast.Constant), "a write's actor must be passed in"
    before = store.rows("SELECT count(*) FROM audit_log")[0][0]
    for action in site.actions:
        pair = (action, site.entity)
        if pair in VIEWER_ALLOWED:
            continue
        ran = []
        with pytest.raises(PermissionDenied) as info:
            with store.write(VIEWER, action, site.entity, project_id=1) as (cur, _):
                ran.append(cur)
        assert not ran, "the body of a refused write must not run"
        assert "vera@example.org has the viewer role" in str(info.value)
        assert isinstance(info.value, WorkbenchError)
        need = access.required_role(action, site.entity)
        assert need == (Role.ADMIN if pair in ADMIN_ONLY else Role.EDITOR)
    assert store.rows("SELECT count(*) FROM audit_log")[0][0] == before


# COPY (query) TO file only reads; COPY table FROM file writes
MUTATING = re.compile(r"^\s*(INSERT|UPDATE|DELETE|CREATE|DROP|ALTER)\b|^\s*COPY\s+[^(\s]", re.I)


def _sql_text(node: ast.expr) -> str:
    return "".join(c.value for c in ast.walk(node)
                   if isinstance(c, ast.Constant) and isinstance(c.value, str))


# statements that change no user's stored data, so neither checked nor audited:
BOOKKEEPING = {
    # a job's own status and progress, written by the runner for a job whose submission was
    # a checked write (core.db.jobs.insert_job)
    ("jobs.py", "start_job"), ("jobs.py", "set_progress"),
    # after a failed load: an empty table created and dropped in one transaction so the
    # checkpoint gives the failed load's blocks back to the file (leaves no data behind)
    ("ingest.py", "give_back_space"),
}


def test_every_change_to_stored_data_runs_inside_a_checked_write():
    """A statement that changes stored tables sits in a ``with db.write(...)`` block, or in a
    helper handed that block's cursor (first parameter ``cur``); sliceline's scratch tables
    are TEMP tables of one cursor, never stored."""
    outside = []
    for path in sorted((ROOT / "core" / "db").glob("*.py")):
        if path.name in ("database.py", "sliceline.py"):
            continue
        tree = ast.parse(path.read_text())
        parents = {c: n for n in ast.walk(tree) for c in ast.iter_child_nodes(n)}
        for call in ast.walk(tree):
            if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute)
                    and call.func.attr in ("execute", "sql") and call.args
                    and MUTATING.match(_sql_text(call.args[0]))):
                continue
            node, ok = call, False
            while node in parents and not ok:
                node = parents[node]
                ok = isinstance(node, ast.With) and any(
                    isinstance(i.context_expr, ast.Call)
                    and isinstance(i.context_expr.func, ast.Attribute)
                    and i.context_expr.func.attr == "write" for i in node.items)
                if isinstance(node, ast.FunctionDef) and node.args.args[:1] and \
                        node.args.args[0].arg == "cur":
                    ok = True
                if isinstance(node, ast.FunctionDef) and (path.name, node.name) in BOOKKEEPING:
                    ok = True
            if not ok:
                outside.append(f"{path.name}:{call.lineno}")
    assert not outside


# ------------------------------------------------------------------ real write paths
def _frame() -> pd.DataFrame:
    return pd.DataFrame({"length": [1.0, 2.0, 3.0], "kind": ["a", "b", "a"]})


def test_repository_writes_check_the_callers_role(store: Database):
    with pytest.raises(PermissionDenied, match="may not create project"):
        projects_db.create_project(store, "Ferns", VIEWER)
    pid = projects_db.create_project(store, "Ferns", EDITOR)
    calls = [
        lambda who: datasets_db.insert_dataset(store, pid, "leaves", _frame(), source="test",
                                               role="training", actor=who),
        lambda who: scoping_db.insert_brief_version(store, pid, "{}", "first", who),
        lambda who: projects_db.set_column_roles(store, pid, {"target": "kind"}, who),
    ]
    for call in calls:
        with pytest.raises(PermissionDenied):
            call(VIEWER)
        call(EDITOR)
    with pytest.raises(PermissionDenied, match="needs the admin role"):
        monitoring_db.save_alert_policies(store, pid, [("dataset_drift", True, 0.5, 1)], EDITOR)
    monitoring_db.save_alert_policies(store, pid, [("dataset_drift", True, 0.5, 1)], ADMIN)
    with pytest.raises(PermissionDenied, match="ed@example.org has the editor role .* needs the admin role"):
        projects_db.delete_project(store, pid, EDITOR)
    assert projects_db.get_project(store, pid) is not None
    audit = projects_db.list_audit(store)
    assert "vera@example.org" not in set(audit["actor"])  # refused writes leave no trace
    assert {"ed@example.org", "ada@example.org"} <= set(audit["actor"])
    projects_db.delete_project(store, pid, ADMIN)
    assert projects_db.get_project(store, pid) is None


# ------------------------------------------------------------------------ settings
def test_roles_from_settings(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("WORKBENCH_ROLES", "Ann@Example.org=admin, bo@example.org=editor")
    monkeypatch.setenv("WORKBENCH_ADMIN_GROUPS", "ml-admins")
    monkeypatch.setenv("WORKBENCH_EDITOR_GROUPS", "ml-team")
    login = access.login_actor
    assert login({"email": "ann@example.org", "is_logged_in": True}).role == Role.ADMIN
    assert login({"email": "bo@example.org"}).role == Role.EDITOR
    assert login({"email": "cy@example.org"}).role == Role.VIEWER  # the default role
    assert login({"email": "cy@example.org", "groups": ["ml-team"]}).role == Role.EDITOR
    assert login({"email": "bo@example.org", "groups": ["x", "ml-admins"]}).role == Role.ADMIN
    monkeypatch.setenv("WORKBENCH_GROUPS_CLAIM", "roles")
    assert login({"email": "cy@example.org", "roles": "ml-admins"}).role == Role.ADMIN
    monkeypatch.setenv("WORKBENCH_DEFAULT_ROLE", "editor")
    assert login({"name": "Cy"}) == "Cy" and login({"name": "Cy"}).role == Role.EDITOR


def test_the_local_user_is_an_admin_unless_listed(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("WORKBENCH_USER", "bench")
    assert access.local_actor().role == Role.ADMIN
    assert access.as_actor("nightly-cron").role == Role.ADMIN  # a server-side process
    monkeypatch.setenv("WORKBENCH_ROLES", "bench=viewer")
    assert access.local_actor() == "bench" and access.local_actor().role == Role.VIEWER


@pytest.mark.parametrize("value, field", [
    ("ann=owner", "'owner' is not a role"), ("ann", "is not 'name=role'"),
])
def test_a_bad_roles_setting_names_the_setting(monkeypatch, value, field):
    monkeypatch.setenv("WORKBENCH_ROLES", value)
    with pytest.raises(WorkbenchError, match=f"WORKBENCH_ROLES: .*{field}"):
        access.configured_roles()
    monkeypatch.delenv("WORKBENCH_ROLES")
    monkeypatch.setenv("WORKBENCH_DEFAULT_ROLE", "boss")
    with pytest.raises(WorkbenchError, match="WORKBENCH_DEFAULT_ROLE: 'boss' is not a role"):
        access.login_actor({"email": "x@y"})


def test_an_actor_is_its_name_everywhere_a_name_goes():
    import json
    import pickle

    assert json.dumps({"by": EDITOR}) == '{"by": "ed@example.org"}'
    assert pickle.loads(pickle.dumps(EDITOR)).role == Role.EDITOR
    assert f"{ADMIN}" == "ada@example.org" and ADMIN.name == "ada@example.org"
