"""Training: tracked runs on a stored split, learning curves, searches, comparison, registry."""

import streamlit as st

from core import scoping, training
from core.charts import training as charts
from core.data import splits as data_splits
from core.errors import StoreError
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
    st.caption(
        "Trains the configuration of the Train tab on each rung of the split's ladder "
        "(e.g. 10%, 25%, 50%, 100% of train) and plots the dev metric against training size."
    )
    clicked = st.button("Run learning curve", key="training.curve", icon=":material/show_chart:")
    jobs.learning_curve(store, project.id, spec, user, clicked)
    curves = training.list_runs(store, project.id, top_level=True, run_type="learning_curve")
    if curves:
        curve = st.selectbox(
            "Curve",
            curves,
            format_func=lambda r: f"#{r.id} {r.name} ({r.status})",
            key="training.curve_pick",
        )
        metric = st.selectbox(
            "Metric",
            [*M.CLASSIFICATION_HEADLINE, *M.REGRESSION_HEADLINE],
            index=[*M.CLASSIFICATION_HEADLINE, *M.REGRESSION_HEADLINE].index(
                training.curve_metric(curve.task_type, contract)
            ),
            format_func=M.label,
            key="training.curve_metric",
        )
        st.plotly_chart(
            charts.learning_curve_figure(
                training.learning_curve_frame(store, curve.id, metric),
                metric,
                hlp=training.hlp_value(contract, metric),
                target=training.contract_targets(contract).get(metric),
            )
        )
    else:
        st.info("No learning curve yet.")

with tabs[3]:
    model = training.MODELS[spec.model_kind]
    st.caption(
        f"Search {model.label} on the Train tab's split, target and features: comma-separated "
        "candidates per hyperparameter (empty = the Train tab's value). Each trial is a tracked child run."
    )
    cols = st.columns(3)
    texts = {
        p.name: cols[i % 3].text_input(
            p.name, key=f"training.s.{model.kind}.{p.name}", placeholder=p.help or "e.g. 1, 2, 3"
        )
        for i, p in enumerate(model.params)
    }
    c1, c2 = st.columns(2)
    method = c1.radio("Method", ["grid", "random"], horizontal=True, key="training.s_method")
    n_trials = c2.number_input("Most trials", 1, training.MAX_TRIALS, 8, key="training.s_trials")
    space = None
    if st.button("Run search", key="training.search", icon=":material/manage_search:"):
        try:
            space = training.parse_space(model.kind, texts)
            training.search_trials(space, method, int(n_trials), spec.seed)
        except StoreError as exc:
            st.error(str(exc))
            space = None
    jobs.search(store, project.id, spec, space, method, int(n_trials), user)
    searches = training.list_runs(store, project.id, top_level=True, run_type="search")
    if searches:
        search = st.selectbox(
            "Search",
            searches,
            format_func=lambda r: f"#{r.id} {r.name}",
            key="training.search_pick",
        )
        trials = training.search_frame(store, search.id)
        metric = search.params.get("metric") or training.default_metric(
            search.task_type, contract=contract
        )
        st.plotly_chart(charts.search_figure(trials, list(search.params.get("space", {})), metric))
        if search.params.get("best_run_id"):
            st.success(f"Best trial: run #{search.params['best_run_id']} (dev {M.label(metric)}).")
        st.dataframe(trials, hide_index=True)

with tabs[4]:
    ui.compare_panel(store, project.id, contract)

with tabs[5]:
    ui.registry_panel(store, project.id, user)
