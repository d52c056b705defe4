"""The Gates section of the Data, Training and Deployment pages: the stored runs of that
stage's gate (``python -m core.gate …``, ``python -m core.retrain``) and one run's checks."""

from __future__ import annotations

import streamlit as st

from core import gates
from core.db.database import Database

_COMMANDS = {
    "data": "python -m core.gate data --project {p} --candidate new_batch.parquet",
    "model": "python -m core.gate model --project {p} --run RUN_ID",
    "deploy": "python -m core.gate deploy --project {p} --simulation SIMULATION_ID",
}
_STAGE_KEYS = {"data": "data", "model": "training", "deploy": "deploy"}


def gate_runs(store: Database, project_id: int, project_name: str, gate: str) -> None:
    """An expander with the gate's stored runs (newest first) and the checks of one."""
    key = _STAGE_KEYS[gate]
    runs = gates.gate_runs_frame(store, project_id, gate)
    failed = int((runs["verdict"] == "failed").sum()) if len(runs) else 0
    title = f"Gates: {len(runs)} {gate} gate run(s)" + (f", {failed} failed" if failed else "")
    with st.expander(title, icon=":material/verified:", expanded=False):
        st.caption("A CI pipeline or a scheduler runs the gate; every run is stored here. "
                   "Exit 0 passed, 1 a check failed or was not judged, 2 could not run.")
        st.code(_COMMANDS[gate].format(p=f'"{project_name}"'), language="bash")
        if runs.empty:
            st.info(f"No {gate} gate has run on this project yet.")
            return
        st.dataframe(runs, hide_index=True, key=f"{key}.gate_runs")
        labels = {int(r.id): f"#{r.id} {r.verdict} · {r.subject}"
                  for r in runs.itertuples(index=False)}
        pick = st.selectbox("Checks of gate run", list(labels), format_func=lambda i: labels[int(i)],
                            key=f"{key}.gate_run")
        if pick is not None:
            st.dataframe(gates.gate_run_checks(store, int(pick)), hide_index=True,
                         key=f"{key}.gate_checks")


def retrained_candidate(store: Database, project_id: int, names: dict[int, str]) -> int | None:
    """The challenger ``python -m core.retrain`` left for a canary, announced; or None."""
    pending = gates.pending_canary(store, project_id)
    if pending is None or pending[0] not in names:
        return None
    version_id, verdict = pending
    st.success(f"Continuous training registered {names[version_id]} (its model gate "
               f"{verdict}): it is pre-selected as candidate; open **New rehearsal** and run "
               "its canary.")
    return version_id
