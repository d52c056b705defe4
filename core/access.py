"""Who may write what: the actor of a write, its role, and the one rule table every write of
the database is checked against (in :meth:`core.db.database.Database.write`).

DESIGN
------
* Three roles, ordered: ``viewer`` (reads) < ``editor`` (creates and changes a project's
  work) < ``admin`` (also deletes a project and changes its alert policies).
* An :class:`Actor` is a ``str`` (the name written to the audit log and to ``created_by``
  columns) that carries its role, so every stage function that takes ``actor: str`` passes
  the role through unchanged to the database, which checks it before the transaction starts.
  A page that forgot to hide a button still gets a :class:`PermissionDenied`.
* Roles come from settings (``WORKBENCH_ROLES`` names people, ``WORKBENCH_ADMIN_GROUPS`` /
  ``WORKBENCH_EDITOR_GROUPS`` name groups of the login's groups claim,
  ``WORKBENCH_DEFAULT_ROLE`` is the role of anyone else who logged in).
* Without login (a local instance) the person at the keyboard owns the machine: the local
  user is an admin unless ``WORKBENCH_ROLES`` names them. A plain name handed to a write
  (command-line tools, demo seeding, start-up repairs) is such a server-side process and is
  resolved the same way.

Examples
--------
>>> viewer = Actor("ann@example.org", Role.VIEWER)
>>> viewer, viewer.role.label, may(viewer, "save", "brief")
('ann@example.org', 'viewer', False)
>>> required_role("delete", "project").label
'admin'
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import IntEnum
from typing import Any

from core import config
from core.errors import StoreError


class Role(IntEnum):
    """A role; a larger value may do everything a smaller one may."""

    VIEWER = 1
    EDITOR = 2
    ADMIN = 3

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, text: str, setting: str) -> Role:
        """The role named ``text``; a StoreError naming the setting when it is unknown."""
        try:
            return cls[text.strip().upper()]
        except KeyError:
            raise StoreError(
                f"{setting}: {text.strip()!r} is not a role; use viewer, editor or admin."
            ) from None


class PermissionDenied(StoreError):
    """The actor's role does not allow the write; the message says who, what and why."""


class Actor(str):
    """A person or process writing to the store: its name (the string) and its role."""

    role: Role

    def __new__(cls, name: str, role: Role) -> Actor:
        self = super().__new__(cls, name)
        self.role = role
        return self

    @property
    def name(self) -> str:
        return str.__str__(self)

    def __reduce__(self) -> tuple[Any, ...]:
        return (Actor, (self.name, self.role))


# (action, entity) -> least role allowed; anything not listed needs an editor. Viewers may
# store only what a page derives from stored data the first time it is shown.
RULES: dict[tuple[str, str], Role] = {
    ("delete", "project"): Role.ADMIN,
    ("update", "alert_policies"): Role.ADMIN,
    ("set", "user_roles"): Role.ADMIN,
    ("detect", "column_types"): Role.VIEWER,
    ("create", "quality_report"): Role.VIEWER,
    ("create", "column_profile"): Role.VIEWER,
    ("export", "project"): Role.VIEWER,  # reads; the audit row records who took a copy
}
DEFAULT_RULE = Role.EDITOR


def required_role(action: str, entity: str) -> Role:
    """The least role that may do ``action`` on ``entity``."""
    return RULES.get((action, entity), DEFAULT_RULE)


def may(actor: str, action: str, entity: str) -> bool:
    """Whether ``actor`` may do ``action`` on ``entity`` (for hiding buttons)."""
    return as_actor(actor).role >= required_role(action, entity)


def can_edit(actor: str) -> bool:
    """Whether ``actor`` may change a project's work (the editor's writes)."""
    return as_actor(actor).role >= Role.EDITOR


def check(actor: str, action: str, entity: str) -> Actor:
    """The actor of a write when its role allows it, else :class:`PermissionDenied`."""
    who = as_actor(actor)
    need = required_role(action, entity)
    if who.role < need:
        raise PermissionDenied(
            f"{who.name} has the {who.role.label} role and may not {action} "
            f"{entity.replace('_', ' ')}: that needs the {need.label} role. Ask an admin to add you to "
            "WORKBENCH_ROLES (or to a group in WORKBENCH_EDITOR_GROUPS / "
            "WORKBENCH_ADMIN_GROUPS). Nothing was changed."
        )
    return who


# ---------------------------------------------------------------------- who is who
def configured_roles() -> dict[str, Role]:
    """``WORKBENCH_ROLES`` as {name (lower case): role}.

    >>> import os; before = os.environ.get("WORKBENCH_ROLES")
    >>> os.environ["WORKBENCH_ROLES"] = "Ann@x.org=admin; bo=viewer"
    >>> {k: v.label for k, v in configured_roles().items()}
    {'ann@x.org': 'admin', 'bo': 'viewer'}
    >>> _ = os.environ.pop("WORKBENCH_ROLES") if before is None else os.environ.update(
    ...     WORKBENCH_ROLES=before)
    """
    text = config.get("WORKBENCH_ROLES")
    roles: dict[str, Role] = {}
    for entry in text.replace(";", ",").replace("\n", ",").split(","):
        if not entry.strip():
            continue
        name, sep, role = entry.partition("=")
        if not sep or not name.strip():
            raise StoreError(
                f"WORKBENCH_ROLES: {entry.strip()!r} is not 'name=role'; write e.g. "
                "'ann@example.org=admin, bo@example.org=viewer'."
            )
        roles[name.strip().lower()] = Role.parse(role, "WORKBENCH_ROLES")
    return roles


def _groups(setting: str) -> set[str]:
    return {g.strip() for g in config.get(setting).split(",") if g.strip()}


def role_for(names: Iterable[str], groups: Iterable[str] = ()) -> Role | None:
    """The role settings give one of ``names`` or ``groups`` (the highest), None if none."""
    listed = configured_roles()
    found = [listed[n.lower()] for n in names if n and n.lower() in listed]
    member = set(groups)
    if member & _groups("WORKBENCH_ADMIN_GROUPS"):
        found.append(Role.ADMIN)
    if member & _groups("WORKBENCH_EDITOR_GROUPS"):
        found.append(Role.EDITOR)
    return max(found) if found else None


def login_actor(user: Mapping[str, Any]) -> Actor:
    """The actor of a logged-in user from the login's claims (``email``, ``name`` and the
    groups claim named by ``WORKBENCH_GROUPS_CLAIM``)."""
    email = str(user.get("email") or "")
    name = email or str(user.get("name") or user.get("sub") or "user")
    claim = user.get(config.get("WORKBENCH_GROUPS_CLAIM"))
    groups = [claim] if isinstance(claim, str) else [str(g) for g in claim or []]
    role = role_for([email, name], groups)
    if role is None:
        role = Role.parse(config.get("WORKBENCH_DEFAULT_ROLE"), "WORKBENCH_DEFAULT_ROLE")
    return Actor(name, role)


def local_actor(name: str | None = None) -> Actor:
    """The actor without login: the local user (or a server-side process named ``name``),
    an admin unless ``WORKBENCH_ROLES`` names them."""
    who = name or config.current_user()
    return Actor(who, role_for([who]) or Role.ADMIN)


def as_actor(actor: str) -> Actor:
    """``actor`` itself when it is an :class:`Actor`, else the local actor of that name."""
    return actor if isinstance(actor, Actor) else local_actor(actor)


def hosted() -> bool:
    """Whether this is a shared (hosted) instance, where pages require a login."""
    return "WORKBENCH_MODE" in config.SETTINGS and config.get("WORKBENCH_MODE") == "hosted"
