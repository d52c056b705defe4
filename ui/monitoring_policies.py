"""The Monitoring page's Policies tab: the project's alert policies, edited one at a time,
and each policy's count on the stored runs recomputed after a save (streamlit here, the
rules in core.monitoring.policies)."""

from __future__ import annotations

import streamlit as st

from core import monitoring as monitor
from core.charts import monitoring as charts
from core.db.database import Database
from core.errors import StoreError
from core.monitoring import MonitorRunRow, PolicyConfig
from ui import state

KEY = "monitoring"
PICK, ON, THRESHOLD, PERSISTENCE = (f"{KEY}.policy_pick", f"{KEY}.policy_on",
                                    f"{KEY}.policy_threshold", f"{KEY}.policy_persistence")
RECOUNT = f"{KEY}.policy_recount"
SAVED = f"{KEY}.policy_saved"


def render_policies(store: Database, project_id: int, run: MonitorRunRow, user: str) -> None:
    """This run's counts, the project's policies, the editor and the recount."""
    counts = run.summary.get("policy_counts", {})
    if counts:
        st.plotly_chart(charts.policy_figure(counts), key=f"{KEY}.policies")
    table = monitor.policies_frame(store, project_id)
    table.insert(5, "alerts on this run", table["policy"].map(
        lambda p: counts.get(p) if p in counts else None))
    st.dataframe(table, hide_index=True, key=f"{KEY}.policy_table", column_config={
        "alerts on this run": st.column_config.NumberColumn(format="%d"),
        "rule": st.column_config.TextColumn("rule", width="large"),
    })
    st.caption("Policies belong to the project: the next runs alert with them. A run keeps "
               "the alerts it raised; saving recounts each policy on the stored runs from "
               "their stored results (nothing is rescanned).")
    _editor(store, project_id, user)
    if SAVED in st.session_state:
        st.success(st.session_state.pop(SAVED))
    if st.session_state.get(RECOUNT):
        _recount(store, project_id)


def _load(store: Database, project_id: int, name: str) -> None:
    """Put the stored setting of policy ``name`` into the editor's widgets."""
    c = monitor.project_policies(store, project_id)[name]
    st.session_state[ON] = c.enabled
    st.session_state[THRESHOLD] = "" if c.threshold is None else f"{c.threshold:g}"
    st.session_state[PERSISTENCE] = int(c.persistence)


def _editor(store: Database, project_id: int, user: str) -> None:
    names = [p.name for p in monitor.POLICIES]
    if PICK not in st.session_state or ON not in st.session_state:
        st.session_state.setdefault(PICK, names[0])
        _load(store, project_id, st.session_state[PICK])
    with st.container(border=True):
        st.markdown("**Edit a policy**")
        c1, c2, c3, c4 = st.columns([3, 1, 2, 2])
        name = c1.selectbox("Policy", names, key=PICK,
                            on_change=lambda: _load(store, project_id, st.session_state[PICK]))
        policy = next(p for p in monitor.POLICIES if p.name == name)
        c2.checkbox("On", key=ON, help="Off: counted on each run, not alerted.")
        c3.text_input("Threshold", key=THRESHOLD, disabled=not policy.threshold_label,
                      help=policy.threshold_label or "This policy takes no threshold.",
                      placeholder="empty: the run's own")
        c4.number_input("Windows in a row", 1, 12, key=PERSISTENCE,
                        help="How many windows in a row the signal must hold before it alerts.")
        st.caption(f"{policy.description} Threshold: {policy.threshold_label or 'none'}.")
        if st.button("Save policy", key=f"{KEY}.policy_save", type="primary",
                     disabled=not state.may("update", "alert_policies")):
            _save(store, project_id, name, user)


def _save(store: Database, project_id: int, name: str, user: str) -> None:
    text = str(st.session_state.get(THRESHOLD) or "").strip().replace(",", ".")
    try:
        threshold = float(text) if text else None
    except ValueError:
        st.error(f"{name}: the threshold {text!r} is not a number; write e.g. 0.4, or leave "
                 "it empty for the run's own thresholds.")
        return
    config = PolicyConfig(bool(st.session_state[ON]), threshold,
                          int(st.session_state[PERSISTENCE]))
    try:
        monitor.save_policies(store, project_id, {name: config}, user)
    except StoreError as exc:
        st.error(str(exc))
        return
    st.session_state[RECOUNT] = True
    st.session_state[SAVED] = f"Saved {name!r}: the next runs use it. Counts on the stored runs below."
    st.rerun()  # the table above was drawn before the save


def _recount(store: Database, project_id: int) -> None:
    counts = monitor.recount_policies(store, project_id)
    if counts.empty:
        return
    st.markdown("**Each policy on the stored runs, with the project's policies now**")
    show = counts.drop(columns=["run_id"])
    st.dataframe(show, hide_index=True, key=f"{KEY}.policy_recount_table", column_config={
        "counted then": st.column_config.NumberColumn("counted when run", format="%d"),
        "count now": st.column_config.NumberColumn("count now", format="%d"),
        "alerts now": st.column_config.NumberColumn("would alert now", format="%d"),
    })
    changed = counts[counts["counted then"].fillna(-1) != counts["count now"]]
    st.caption(f"{len(changed)} of {len(counts)} counts differ from when the runs were made."
               if len(counts) else "")

