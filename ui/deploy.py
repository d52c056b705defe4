"""The Deployment page's rehearsal form: stream, deciders, pattern, settings, guardrails."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, time

import streamlit as st

from core import deploy
from core.db.database import Database
from core.errors import StoreError


def rehearsal_form(
    store: Database,
    project_id: int,
    streams: list,
    names: dict[int, str],
    default_cand: int,
    user: str,
) -> None:
    """Draw the form; on submit run the rehearsal(s) and select the newest one."""
    rails, notes = deploy.default_guardrails(store, project_id)
    with (
        st.expander("New rehearsal", icon=":material/play_circle:", expanded=False),
        st.form("deploy.form"),
    ):
        c1, c2, c3 = st.columns(3)
        stream = c1.selectbox(
            "Production stream",
            streams,
            format_func=lambda d: f"{d.name} ({d.role}, {d.n_rows:,} rows)",
            key="deploy.stream",
        )
        incumbent = c2.selectbox(
            "Incumbent (serves today)",
            ["human", *names],
            key="deploy.incumbent",
            format_func=lambda x: "Human process (recorded decision)" if x == "human" else names[x],
        )
        candidate = c3.selectbox(
            "Candidate",
            list(names),
            format_func=names.get,
            key="deploy.candidate",
            index=list(names).index(default_cand),
        )
        patterns = st.multiselect(
            "Patterns (several = compared on the same stream)",
            list(deploy.PATTERNS),
            default=["canary"],
            key="deploy.patterns",
            format_func=lambda p: deploy.PATTERNS[p],
        )
        c1, c2, c3, c4 = st.columns(4)
        window = c1.text_input(
            "Window",
            "7D",
            key="deploy.window",
            help="How often guardrails are judged: a duration such as 1D, 12h or 7D.",
        )
        start = c2.date_input(
            "Start of the replay",
            None,
            key="deploy.start",
            help="Empty: from the first request of the stream.",
        )
        switch = c3.date_input(
            "Blue-green switch", None, key="deploy.switch", help="Empty: at the start."
        )
        seed = c4.number_input(
            "Seed",
            0,
            10**6,
            0,
            key="deploy.seed",
            help="Routing salt and latency jitter.",
        )
        c1, c2, c3, c4 = st.columns(4)
        schedule = c1.text_input("Canary schedule (%)", "5, 25, 50, 100", key="deploy.schedule")
        healthy = c2.number_input("Healthy windows per step", 1, 50, 2, key="deploy.healthy")
        threshold = c3.number_input(
            "Decision threshold",
            0.0,
            1.0,
            None,
            key="deploy.threshold",
            help="Empty: the candidate's own threshold from its training run.",
        )
        min_conf = c4.number_input(
            "Human fallback below confidence",
            0.0,
            1.0,
            0.0,
            0.05,
            key="deploy.fallback",
            help="max(p, 1-p) below this goes to a human; 0 = no fallback.",
        )
        c1, c2, c3, c4 = st.columns(4)
        overhead = c1.number_input(
            "Serving overhead (ms)", 0.0, 10_000.0, 25.0, key="deploy.overhead"
        )
        jitter = c2.number_input("Jitter (ms, mean)", 0.0, 10_000.0, 10.0, key="deploy.jitter")
        timeout = c3.number_input("Timeout (ms)", 1.0, 60_000.0, 1000.0, key="deploy.timeout")
        delay = c4.number_input(
            "Label delay (days)",
            0.0,
            365.0,
            0.0,
            key="deploy.delay",
            help="Label guardrails judge the latest window whose labels have arrived.",
        )
        st.markdown("**Guardrails** (from the scoping contract; tighten them here)")
        for note in notes:
            st.caption(note)
        edited = st.data_editor(
            deploy.guardrails_frame(rails),
            num_rows="dynamic",
            key="deploy.guardrails",
            hide_index=True,
            column_config={
                "metric": st.column_config.SelectboxColumn(
                    "metric", options=list(deploy.GUARDRAIL_METRICS)
                ),
                "threshold": st.column_config.NumberColumn("threshold", format="%.4g"),
            },
        )
        run = st.form_submit_button(
            "Run the rehearsal", type="primary", icon=":material/play_arrow:"
        )

    if run:
        guards: tuple = ()
        try:
            guards = deploy.guardrails_from_frame(edited)

            def when(d):
                return datetime.combine(d, time()) if d else None

            base = deploy.RolloutSettings(
                window=window.strip(),
                start=when(start),
                switch_at=when(switch),
                schedule=deploy.parse_schedule(schedule),
                healthy_windows=int(healthy),
                threshold=threshold,
                min_confidence=min_conf,
                overhead_ms=overhead,
                jitter_ms=jitter,
                timeout_ms=timeout,
                label_delay_days=delay,
                seed=int(seed),
                guardrails=guards,
            )
            if not patterns:
                raise deploy.DeployError("Choose at least one pattern.")
            with st.status("Replaying the stream…", expanded=True) as status:
                bar = st.progress(0.0)
                ids = deploy.run_simulation(
                    store,
                    project_id,
                    dataset_id=stream.id,
                    incumbent=incumbent,
                    candidate=int(candidate),
                    settings=[replace(base, pattern=p) for p in patterns],
                    actor=user,
                    progress=lambda f, m: bar.progress(min(f, 1.0), text=m),
                )
                status.update(
                    label=f"{len(ids)} rehearsal(s) stored",
                    state="complete",
                    expanded=False,
                )
            st.session_state["deploy.sim"] = ids[-1]
        except (StoreError, ValueError) as exc:
            st.error(f"{exc}", icon=":material/error:")
        for msg in deploy.looser_than_contract(guards, rails):
            st.warning(msg)
