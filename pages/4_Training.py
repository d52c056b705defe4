"""Training: tracked runs on a stored split, learning curves, searches, comparison, registry."""

import streamlit as st

from core import scoping, training
from core.data import splits as data_splits
from core.training import metrics as M
from core.training import registry
from ui import gates as gates_ui
from ui import session
from ui import training as ui
from ui import training_jobs as jobs

ctx = session.page(
    "Training",
    ":material/model_training:",
    "Build the model iteratively: start from a baseline, train on a stored split, judge each run "
    "on per-class and business metrics against the baselines and the scoping targets, learn how "
    "much more data helps, tune, compare, and register the champion.",
)
store, project, user = ctx.store, ctx.project, ctx.user
splits = data_splits.list_splits(store, project.id)
if not splits:
    st.info("This project has no split yet: design a train/dev/test split on the Data page first.")
    st.stop()
contract = scoping.get_contract(store, project.id)
if contract is None:
    st.caption("No scoping brief: the pass / fail column will say 'no target set'.")

gates_ui.gate_runs(store, project.id, project.name, "model")

tabs = st.tabs(["Train", "Runs", "Learning curve", "Search", "Compare", "Registry"])

with tabs[0]:
    spec, name = ui.run_form(store, splits, contract)
    clicked = st.button("Train", key="training.train", type="primary", icon=":material/play_arrow:")
    jobs.train(store, project.id, spec, name, user, clicked)
    if "training.last_run" in st.session_state:
        ui.run_summary(store, st.session_state["training.last_run"])

with tabs[1]:
    part = st.radio(
        "Metrics on", ["dev", "test", "train"], horizontal=True, key="training.table_part"
    )
    show_children = st.toggle("Show search and learning-curve trials", key="training.children")
    table = training.runs_table(store, project.id, part, include_children=show_children)
    if table.empty:
        st.info("No run yet: train one in the Train tab.")
    else:
        shown = ui.filter_runs(table)
        st.dataframe(
            shown,
            hide_index=True,
            key="training.runs_table",
            column_config={
                m: st.column_config.NumberColumn(M.label(m), format="%.4f")
                for m in (*M.CLASSIFICATION_HEADLINE, *M.REGRESSION_HEADLINE)
            },
        )
        st.subheader("Run report")
        ids = shown["run"].tolist() or table["run"].tolist()
        if st.session_state.get("training.run") not in ids:  # default: the champion's report
            champion = registry.get_champion(store, project.id)
            st.session_state["training.run"] = (
                champion.run_id if champion and champion.run_id in ids else ids[0]
            )
        run_id = st.selectbox(
            "Run",
            ids,
            key="training.run",
            format_func=lambda i: f"#{i} {table.set_index('run').at[i, 'name']}",
        )
        ui.run_detail(store, run_id, contract, user)

with tabs[2]:
    ui.learning_curve_panel(store, project.id, spec, contract, user)

with tabs[3]:
    ui.search_panel(store, project.id, spec, contract, user)

with tabs[4]:
    ui.compare_panel(store, project.id, contract)

with tabs[5]:
    ui.registry_panel(store, project.id, user)
