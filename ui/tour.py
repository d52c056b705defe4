"""The guided tour for demos: on the Overview, the project's story stop by stop (what to look
at on each page, its numbers and figures), one click to the next. Read-only: while the tour
runs the Overview shows nothing but the tour and its three buttons (back, next, end)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core.charts import governance as gcharts
from core.db.database import Database
from core.db.projects import ProjectRow
from core.governance.facts import ProjectFacts, collect_facts
from core.governance.tour import TourStop, tour_stops

STEP = "tour.step"  # session key: the stop shown (absent: no tour)
FACTS = "tour.facts"  # session key: (project id, facts) read once when the tour starts


def active() -> bool:
    return STEP in st.session_state


def start_button(store: Database, project: ProjectRow) -> None:
    """The button that starts the tour on the picked project."""
    if st.button("Start the guided tour", key="home.tour", icon=":material/tour:",
                 help="A read-only walk through this project's story, page by page: what to "
                      "look at on each, one click to the next."):
        with st.spinner("Reading the project's stored results…"):
            st.session_state[FACTS] = (project.id, collect_facts(store, project.id))
        st.session_state[STEP] = 0
        st.rerun()


def _facts(store: Database, project: ProjectRow) -> ProjectFacts:
    held = st.session_state.get(FACTS)
    if held is None or held[0] != project.id:  # the project changed while touring
        held = (project.id, collect_facts(store, project.id))
        st.session_state[FACTS] = held
        st.session_state[STEP] = 0
    return held[1]


def _end() -> None:
    st.session_state.pop(STEP, None)
    st.session_state.pop(FACTS, None)


def _move(delta: int, n: int) -> None:
    st.session_state[STEP] = min(max(st.session_state.get(STEP, 0) + delta, 0), n - 1)


def render(store: Database, project: ProjectRow) -> None:
    """The tour's current stop, then back / next / end."""
    f = _facts(store, project)
    stops = tour_stops(f)
    i = min(int(st.session_state.get(STEP, 0)), len(stops) - 1)
    stop = stops[i]
    st.progress((i + 1) / len(stops), text=f"Guided tour · stop {i + 1} of {len(stops)}")
    st.header(f"{stop.page}: {stop.title}")
    st.info(stop.look_at, icon=":material/visibility:")
    _SHOW[stop.key](f, stop)
    back, nxt, end = st.columns([1, 1, 4])
    back.button("← Back", key="tour.back", disabled=i == 0, on_click=_move, args=(-1, len(stops)))
    if i < len(stops) - 1:
        nxt.button("Next →", key="tour.next", type="primary", on_click=_move,
                   args=(1, len(stops)))
    end.button("End the tour", key="tour.end", on_click=_end)


# -------------------------------------------------------------- what each stop shows
def _overview(f: ProjectFacts, _: TourStop) -> None:
    for col, step in zip(st.columns(len(f.lifecycle)), f.lifecycle, strict=True):
        with col.container(border=True):
            st.markdown(f"**{step.step}**  \n{step.status}")
            st.caption(step.evidence)


def _scope(f: ProjectFacts, _: TourStop) -> None:
    from core.scoping import contract_frame

    if f.brief is None:
        return
    b = f.brief.brief
    st.markdown(f"**Problem.** {b.problem}\n\n**Decision.** {b.decision}")
    st.dataframe(contract_frame(b.contract), hide_index=True)


def _data(f: ProjectFacts, _: TourStop) -> None:
    if len(f.datasets):
        st.dataframe(f.datasets.drop(columns=["created"], errors="ignore"), hide_index=True)


def _labels(f: ProjectFacts, _: TourStop) -> None:
    if not f.labels:
        return
    lab = f.labels
    c = st.columns(3)
    c[0].metric("Reviewers agree", f"{100 * (lab['observed'] or 0):.0f}%")
    c[1].metric("Fleiss' κ", "—" if lab["fleiss_kappa"] is None else f"{lab['fleiss_kappa']:.2f}")
    c[2].metric("Human-level accuracy", f"{lab['hlp']:.2f}")
    st.dataframe(lab["per_annotator"], hide_index=True)


def _training(f: ProjectFacts, _: TourStop) -> None:
    if f.metrics.empty:
        return
    st.plotly_chart(gcharts.metrics_figure(f.metrics), key="tour.metrics")


def _slices(f: ProjectFacts, _: TourStop) -> None:
    if f.slices.empty:
        return
    st.plotly_chart(gcharts.slices_figure(f.slices, f.slice_metric, f.slice_overall),
                    key="tour.slices")
    if not f.fairness.empty:
        st.dataframe(f.fairness, hide_index=True)


def _deploy(f: ProjectFacts, _: TourStop) -> None:
    from core.charts.deploy import timeline_figure

    if not f.rehearsals:
        return
    frame = pd.DataFrame([{k: r[k] for k in ("name", "decision", "errors exposed", "extra wrong")}
                          for r in f.rehearsals])
    st.plotly_chart(gcharts.rehearsals_figure(frame), key="tour.rehearsals")
    shown = next((r for r in reversed(f.rehearsals) if r["story"]), f.rehearsals[-1])
    sim = shown["sim"]
    if shown["story"]:
        st.caption(shown["story"])
    st.plotly_chart(timeline_figure(sim.timeline, sim.checks, sim.events, sim.name),
                    key="tour.timeline")


def _monitor(f: ProjectFacts, _: TourStop) -> None:
    if not f.monitoring:
        return
    alerts = f.monitoring["alerts"]
    if len(alerts):
        st.dataframe(alerts[["window_label", "severity", "policy", "message"]], hide_index=True)


def _update(f: ProjectFacts, _: TourStop) -> None:
    for g in f.approvals:
        st.markdown(f"- **{g.label}:** {g.sentence()}")
    if f.limitations is not None:
        st.markdown(f"**Limitations (the team's words).** {f.limitations.text}")


_SHOW = {"overview": _overview, "scope": _scope, "data": _data, "labels": _labels,
         "training": _training, "slices": _slices, "deploy": _deploy, "monitor": _monitor,
         "update": _update}
