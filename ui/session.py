"""Page bootstrap: the cached store (with its job runner and the scheduler's spool), demo
seeding on first start, login gate, menu, project.

Every page starts with ``store, project = ui.session.start("Title")``.
"""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from core import access, config, demo, projects
from core import jobs as core_jobs
from core.access import Actor
from core.db.database import Database
from core.db.projects import ProjectRow
from core.errors import StoreError
from core.monitoring import spool
from ui import nav, state


def _release(store: Database) -> None:
    """Stop draining the spool, let running jobs finish (queued ones are dropped), then
    close the database."""
    spool.stop_spool(store)
    core_jobs.stop_runner(store, wait=True)
    store.close()


@st.cache_resource(show_spinner=False, on_release=_release)
def _open_store(path: str) -> Database:
    store = Database(path)
    spool.start_spool(store)
    return store


def get_store() -> Database:
    """The server's one Store; a clear message and a stop when the file cannot be opened."""
    path = str(config.resolve_path("WORKBENCH_DB"))
    try:
        return _open_store(path)
    except StoreError as exc:
        st.error(str(exc), icon=":material/database:")
        st.stop()
        raise  # unreachable: st.stop raises


def _ensure_demo(store: Database) -> None:
    """First start (or a stopped one): seed the steps the Overview needs now, with a
    progress bar; the rest is :func:`seed_rest`'s job."""
    if config.get("WORKBENCH_SEED_DEMO") != "1":
        return
    if not demo.OVERVIEW_STEPS.intersection(demo.steps_to_seed(store)):
        return
    with st.status("First start: preparing the demo project…", expanded=True) as status:
        bar = st.progress(0.0)

        def progress(fraction: float, message: str) -> None:
            bar.progress(min(max(fraction, 0.0), 1.0), text=message)

        demo.prepare_demo(store, actor="workbench", progress=progress)
        status.update(label="Demo project ready to browse", state="complete", expanded=False)


def seed_rest(store: Database) -> None:
    """The demo's remaining steps (training, rehearsals, monitoring) as a job, unless one
    runs already or nothing is missing (:func:`core.demo.ensure_demo`)."""
    if config.get("WORKBENCH_SEED_DEMO") == "1" and demo.missing_steps(store):
        demo.ensure_demo(store, actor="workbench")


def demo_job(store: Database) -> core_jobs.Job | None:
    """The demo's seeding job while it is queued or running, else None."""
    found = core_jobs.list_jobs(store, kind=demo.JOB_KIND, active_only=True, limit=1)
    return found[0] if found else None


def _gate_login() -> None:
    """Pages are gated when an [auth] section is configured in secrets.toml; a hosted
    instance (WORKBENCH_MODE=hosted) without one serves nobody."""
    if not state.auth_configured():
        if access.hosted():
            st.title("ML Production Workbench")
            st.error(
                "This instance runs in hosted mode (WORKBENCH_MODE=hosted), which requires a "
                "login: add an [auth] section for your OpenID Connect provider to "
                ".streamlit/secrets.toml and install streamlit[auth], or set WORKBENCH_MODE=local.",
                icon=":material/lock:",
            )
            st.stop()
        return
    if st.user.get("is_logged_in"):
        return
    st.title("ML Production Workbench")
    st.info("This workbench is shared by a team: log in to continue.")
    st.button("Log in", on_click=st.login, key="session.login")
    st.stop()


def _who() -> None:
    """The sidebar line naming the user and their role (and what a viewer may not do)."""
    user = state.current_user()
    if state.auth_configured():
        st.sidebar.caption(f"Signed in as {user.name} · role: {user.role.label}")
        st.sidebar.button("Log out", on_click=st.logout, key="session.logout")
    else:
        st.sidebar.caption(f"Local user {user.name} · role: {user.role.label}")
    if not access.can_edit(user):
        st.sidebar.info("You can look at everything but not change it (viewer role).",
                        icon=":material/visibility:")


def pick_project(store: Database) -> ProjectRow | None:
    """The sidebar project picker; the choice survives page switches in PROJECT_ID."""
    found = projects.list_projects(store)
    if not found:
        return None
    ids = [p.id for p in found]
    if st.session_state.get(state.PROJECT_ID) not in ids:
        st.session_state[state.PROJECT_ID] = ids[0]
    # widget state is dropped on a page switch, so the widget mirrors a plain key
    st.session_state[state.PROJECT_PICKER] = st.session_state[state.PROJECT_ID]
    names = {p.id: p.name for p in found}

    def _picked() -> None:
        st.session_state[state.PROJECT_ID] = st.session_state[state.PROJECT_PICKER]

    st.sidebar.selectbox(
        "Project", ids, format_func=lambda i: names[i], key=state.PROJECT_PICKER,
        on_change=_picked, help="Every page works on this project.",
    )
    return next(p for p in found if p.id == st.session_state[state.PROJECT_ID])


def start(title: str, icon: str = ":material/science:", defer_seeding: bool = False
          ) -> tuple[Database, ProjectRow | None]:
    """Frame every page the same way: config, login, store, demo, menu, project picker.

    ``defer_seeding``: the page calls :func:`seed_rest` itself once it is drawn (the
    Overview, so that the first page a new user sees is not slowed by the seeding job)."""
    st.set_page_config(page_title=f"{title} · ML Production Workbench", page_icon=icon, layout="wide")
    _gate_login()
    store = get_store()
    _ensure_demo(store)
    if not defer_seeding:
        seed_rest(store)
    nav.render_menu()
    seeding = demo_job(store)
    if seeding is not None:
        st.sidebar.progress(seeding.fraction, text=f"Demo: {seeding.message or 'starting'}")
    project = pick_project(store)
    _who()
    return store, project


@dataclass(frozen=True)
class Page:
    """What a stage page works with: the database, the picked project and the user."""

    store: Database
    project: ProjectRow
    user: Actor  # a str (the name) carrying the role that core checks on every write


def page(title: str, icon: str, caption: str, heading: str | None = None) -> Page:
    """Every stage page's header: frame, require a project, then its title and caption."""
    store, project = start(title, icon)
    project = require_project(project)
    st.title(heading or title)
    st.caption(caption)
    return Page(store, project, state.current_user())


def require_project(project: ProjectRow | None) -> ProjectRow:
    if project is None:
        st.info("There is no project yet: create one on the Overview page.")
        st.page_link("app.py", label="Go to the Overview", icon=":material/home:")
        st.stop()
    return project
