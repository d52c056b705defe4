"""The Deployment page's rehearsal form: stream and its columns, deciders, patterns,
settings, guardrails; one core call on submit."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, time
from typing import Any

import streamlit as st

from core import deploy
from core.db.database import Database
from core.errors import StoreError
from core.projects import column_roles
from ui import state

NONE = "(none)"
FILE_ORDER = "(file order)"
# the stream's columns the replay reads: (settings field, label, project role, help)
STREAM_COLUMNS = (
    ("time_column", "Time", "time",
     "Requests are replayed in this order. '(file order)': the stream has no time column; "
     "its rows are replayed as stored, in windows of N requests."),
    ("key_column", "Request id", "id", "Canary routing hashes it; none: the row position."),
    ("label_column", "Label (arrives later)", "target",
     "Outcome the guardrails on accuracy, recall, precision… (a regression: MAE, RMSE, "
     "MAPE) are judged against."),
    ("human_column", "Current decision", "incumbent",
     "The incumbent process's decision (a regression: its numeric estimate), when the "
     "incumbent is the human process."),
    ("latency_column", "Latency (ms)", "latency", "Serving latency of each request."),
    ("status_column", "Status code", "status", "500 and above counts as a failed request."),
)


@dataclass(frozen=True)
class Choices:
    incumbent: Any
    candidate: int
    patterns: list[str]


def demo_story(store: Database, project_id: int) -> None:
    """The demo's story box; shown only for the seeded demo project (see ``deploy_story``)."""
    from core.demo.rollouts import deploy_story

    story = deploy_story(store, project_id)
    if story:
        st.info(story, icon=":material/auto_stories:")


def rehearsal_form(
    store: Database,
    project_id: int,
    streams: list,
    names: dict[int, str],
    default_cand: int,
    user: str,
) -> None:
    """Draw the form; on submit run the rehearsal(s) and select the newest one."""
    task = deploy.project_task(store, project_id)
    rails, notes = deploy.default_guardrails(store, project_id, task)
    with st.expander("New rehearsal", icon=":material/play_circle:", expanded=False):
        stream = st.selectbox(
            "Production stream", streams, key="deploy.stream",
            format_func=lambda d: f"{d.name} ({d.role}, {d.n_rows:,} rows)",
        )
        if stream is None:
            return
        with st.form("deploy.form"):
            choices = _deciders(store, project_id, stream.id, names, default_cand)
            columns = _stream_columns(store, project_id, stream.id)
            base = _settings(stream)
            base = replace(base, **_task_inputs(store, project_id, task))
            edited = _guardrails_editor(rails, notes, task)
            run = st.form_submit_button(
                "Run the rehearsal", type="primary", icon=":material/play_arrow:",
                disabled=not state.can_edit()
            )
    if run:
        _run(store, project_id, stream, choices, replace(base, **columns), edited, rails, user)


def _deciders(
    store: Database, project_id: int, dataset_id: int, names: dict[int, str], default_cand: int
) -> Choices:
    """Incumbent (default: the human process when the stream records its decisions, else
    the champion), candidate and patterns."""
    inc = deploy.incumbent_choices(store, project_id, dataset_id)
    c1, c2 = st.columns(2)
    options = list(inc.options)
    incumbent = c1.selectbox(
        "Incumbent (serves today)", options, index=options.index(inc.default),
        key=f"deploy.incumbent.{dataset_id}", format_func=lambda x: inc.options[x],
        help="Shadow and canary compare the candidate with it. " + inc.note,
    )
    candidate = c2.selectbox(
        "Candidate", list(names), format_func=lambda i: names[i], key="deploy.candidate",
        index=list(names).index(default_cand),
    )
    patterns = st.multiselect(
        "Patterns (several = compared on the same stream)", list(deploy.PATTERNS),
        default=["canary"], key="deploy.patterns", format_func=lambda p: deploy.PATTERNS[p],
    )
    return Choices(incumbent, int(candidate), patterns)


def _stream_columns(store: Database, project_id: int, dataset_id: int) -> dict[str, str]:
    """One picker per column the replay reads, defaulting to the project's column roles;
    "(none)" is "" (no such column), so the project's role does not fill it back in."""
    st.markdown("**Stream columns** (defaults: the project's column roles)")
    columns = deploy.stream_columns(store, dataset_id)
    roles = column_roles(store, project_id).as_dict()
    picked: dict[str, str] = {}
    for col, (field, label, role, help_text) in zip(
        st.columns(3) * 2, STREAM_COLUMNS, strict=True
    ):
        options = [FILE_ORDER if field == "time_column" else NONE, *columns]
        default = roles.get(role)
        index = options.index(default) if default in options else 0
        value = col.selectbox(label, options, index=index, help=help_text,
                              key=f"deploy.col.{dataset_id}.{field}")
        picked[field] = "" if value in (NONE, FILE_ORDER) else value
    picked["order"] = "file" if not picked["time_column"] else "time"
    if picked["order"] == "file":
        st.caption("No time column: the stream is replayed in **file order** (its rows as "
                   "stored), in windows of the number of requests set below.")
    return picked


def _settings(stream: Any) -> deploy.RolloutSettings:
    c1, c2, c3, c4, c5 = st.columns(5)
    window = c1.text_input("Window", "7D", key="deploy.window",
                           help="How often guardrails are judged: a duration such as 1D, 12h or "
                           "7D (time order).")
    per_window = c2.number_input(
        "Window in file order (requests)", 1, 10**7, max(50, int(stream.n_rows) // 20),
        key=f"deploy.window_requests.{stream.id}",
        help="Used when the stream has no time column and is replayed in file order: the "
        "guardrails are judged every this many requests.",
    )
    start = c3.date_input("Start of the replay", None, key="deploy.start",
                          help="Empty: from the first request of the stream (time order only).")
    switch = c4.date_input("Blue-green switch", None, key="deploy.switch",
                           help="Empty: at the start.")
    seed = c5.number_input("Seed", 0, 10**6, 0, key="deploy.seed",
                           help="Routing salt and latency jitter.")
    c1, c2 = st.columns(2)
    schedule = c1.text_input("Canary schedule (%)", "5, 25, 50, 100", key="deploy.schedule")
    healthy = c2.number_input("Healthy windows per step", 1, 50, 2, key="deploy.healthy")
    c1, c2, c3, c4 = st.columns(4)
    overhead = c1.number_input("Serving overhead (ms)", 0.0, 10_000.0, 25.0, key="deploy.overhead")
    jitter = c2.number_input("Jitter (ms, mean)", 0.0, 10_000.0, 10.0, key="deploy.jitter")
    timeout = c3.number_input("Timeout (ms)", 1.0, 60_000.0, 1000.0, key="deploy.timeout")
    delay = c4.number_input("Label delay (days)", 0.0, 365.0, 0.0, key="deploy.delay",
                            help="Label guardrails judge the latest window whose labels have arrived.")
    try:
        steps = deploy.parse_schedule(schedule)
    except deploy.DeployError as exc:
        st.error(str(exc))
        steps = ()
    return deploy.RolloutSettings(
        window=window.strip(), window_requests=int(per_window), start=_midnight(start),
        switch_at=_midnight(switch),
        schedule=steps, healthy_windows=int(healthy),
        overhead_ms=overhead, jitter_ms=jitter, timeout_ms=timeout,
        label_delay_days=delay, seed=int(seed),
    )


TOLERANCE_HELP = (
    "A served prediction whose absolute error |outcome − prediction| exceeds this is a wrong "
    "answer: it counts in 'Errors exposed', in the error-rate guardrail, and two predictions "
    "within it of each other agree. Default: the brief's MAE target; empty: the MAE "
    "guardrail's ceiling."
)


def _task_inputs(store: Database, project_id: int, task: str) -> dict[str, Any]:
    """A classifier's decision threshold and human fallback, or a regression's error
    tolerance (a regression has neither threshold nor confidence)."""
    c1, c2 = st.columns(2)
    if task == "regression":
        c1.caption("**Regression**: the candidate's score is its prediction.")
        tolerance = c2.number_input(
            "Error tolerance (absolute error)", 0.0, None,
            deploy.contract_tolerance(store, project_id), key="deploy.tolerance",
            help=TOLERANCE_HELP,
        )
        return {"tolerance": tolerance or None, "threshold": None, "min_confidence": 0.0}
    threshold = c1.number_input("Decision threshold", 0.0, 1.0, None, key="deploy.threshold",
                                help="Empty: the candidate's own threshold from its training run.")
    min_conf = c2.number_input("Human fallback below confidence", 0.0, 1.0, 0.0, 0.05,
                               key="deploy.fallback",
                               help="max(p, 1-p) below this goes to a human; 0 = no fallback.")
    return {"threshold": threshold, "min_confidence": min_conf}


def _midnight(d: Any) -> datetime | None:
    return datetime.combine(d, time()) if d else None


REGRESSION_RAILS = (
    "Regression guardrails are ceilings, judged per window on the labelled requests: MAE "
    "(mean |outcome − prediction|) and MAPE are breached when the one-sided lower confidence "
    "bound of the mean, mean − z·sd/√n, is above the ceiling; RMSE when the square root of "
    "the same bound on the mean squared error is. Fewer than {n} labelled requests in a "
    "window: not judged (never a pass). Error rate: {error_rate}; agreement: {agreement}."
)


def _guardrails_editor(rails: Any, notes: list[str], task: str = "classification") -> Any:
    st.markdown("**Guardrails** (from the scoping contract; tighten them here)")
    for note in notes:
        st.caption(note)
    if task == "regression":
        st.caption(REGRESSION_RAILS.format(n=deploy.MIN_MEAN_SAMPLE, **deploy.REGRESSION_MEANINGS))
    return st.data_editor(
        deploy.guardrails_frame(rails), num_rows="dynamic", key="deploy.guardrails",
        hide_index=True,
        column_config={
            "metric": st.column_config.SelectboxColumn(
                "metric", options=deploy.guardrail_metrics(task)
            ),
            "threshold": st.column_config.NumberColumn("threshold", format="%.4g"),
        },
    )


def _run(
    store: Database, project_id: int, stream: Any, choices: Choices,
    base: deploy.RolloutSettings, edited: Any, rails: Any, user: str,
) -> None:
    guards: tuple = ()
    try:
        guards = deploy.guardrails_from_frame(edited)
        if not choices.patterns:
            raise deploy.DeployError("Choose at least one pattern.")
        with st.status("Replaying the stream…", expanded=True) as status:
            bar = st.progress(0.0)

            def report(fraction: float, message: str) -> None:
                bar.progress(min(fraction, 1.0), text=message)

            ids = deploy.run_simulation(
                store, project_id, dataset_id=stream.id, incumbent=choices.incumbent,
                candidate=choices.candidate,
                settings=[replace(base, pattern=p, guardrails=guards) for p in choices.patterns],
                actor=user, progress=report,
            )
            status.update(label=f"{len(ids)} rehearsal(s) stored", state="complete",
                          expanded=False)
        st.session_state["deploy.sim"] = ids[-1]
    except (StoreError, ValueError) as exc:
        st.error(f"{exc}", icon=":material/error:")
    for msg in deploy.looser_than_contract(guards, rails):
        st.warning(msg)


# ------------------------------------------------------------------ a stored rehearsal
def rehearsal_picker(store: Database, project_id: int) -> int | None:
    """The stored rehearsal to show (newest by default); None when there is none."""
    sims = deploy.simulations_frame(store, project_id)
    if sims.empty:
        return None
    st.subheader("Rehearsals")
    labels = dict(
        zip(sims["id"], sims["name"] + " · " + sims["pattern"] + " · " + sims["decision"],
            strict=True)
    )
    if st.session_state.get("deploy.sim") not in labels:
        st.session_state["deploy.sim"] = int(sims["id"].iloc[0])
    sim_id = st.selectbox(
        "Show", list(labels), format_func=lambda i: f"#{i} {labels[i]}", key="deploy.sim"
    )
    return None if sim_id is None else int(sim_id)


VERDICT_STYLE = {  # decision -> (box, icon)
    deploy.GO: (st.success, ":material/check_circle:"),
    deploy.NO_GO: (st.warning, ":material/block:"),
    deploy.NOT_JUDGED: (st.info, ":material/help:"),
}


def verdict(sim: deploy.StoredSimulation) -> None:
    """The decision in a coloured box, its reasons and the replay's warnings."""
    summ = sim.summary
    decision = summ.get("decision", deploy.NO_GO)
    box, icon = VERDICT_STYLE.get(decision, VERDICT_STYLE[deploy.NO_GO])
    box(
        f"**{decision.upper()}** — {sim.candidate.get('name')} vs {sim.incumbent.get('name')} "
        f"({sim.pattern.replace('_', '-')})",
        icon=icon,
    )
    for reason in summ.get("reasons", []):
        st.markdown(f"- {reason}")
    for w in summ.get("warnings", []):
        st.warning(w)


def summary_metrics(sim: deploy.StoredSimulation) -> None:
    """The headline numbers, each with what it measures and from when to when; one that
    does not apply reads "—" (or "not known") and says why, under the numbers."""
    metrics = deploy.summary_metrics(sim.summary, sim.settings)
    for col, m in zip(st.columns(len(metrics)), metrics, strict=True):
        col.metric(m.label, m.value, help=m.full_help)
    why = [f"{m.label} reads {m.value}: {m.reason}" for m in metrics
           if m.reason and m.value in ("—", "not known")]
    if why:
        st.caption(" · ".join(why))
    if sim.settings.regression:
        st.caption(f"Regression: a wrong answer is {deploy.wrong_rule(sim.settings, sim.summary.get('error_tolerance'))}; "
                   "guardrails judge MAE, RMSE and MAPE as ceilings (see 'New rehearsal').")
    story = deploy.rollback_story(sim.summary, sim.settings)
    if story:
        st.caption(story)
