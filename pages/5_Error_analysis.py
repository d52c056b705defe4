"""Error analysis: per-slice metrics with HLP-gap priority, slice discovery, error tagging,
per-slice actions, slice oversampling and run comparison."""

import streamlit as st

from core import analysis as S
from core.training import registry
from ui import error_analysis as view
from ui import session
from ui.text import message

ctx = session.page(
    "Error analysis",
    ":material/troubleshoot:",
    "Which slices of the data does the model get wrong, and which are worth working on? "
    "Priority = gap to human-level performance × share of the data (Andrew Ng's table), "
    "all on one metric; slices too small to judge are listed but not ranked.",
)
store, project, user = ctx.store, ctx.project, ctx.user

runs = S.analysable_runs(store, project.id)
if not runs:
    st.info("No finished training run yet: train a model on the Training page first.")
    st.stop()
names = {r.id: r.label for r in runs}
c1, c2 = st.columns([3, 1])
champion = registry.get_champion(store, project.id)
ids = list(names)
start = ids.index(champion.run_id) if champion and champion.run_id in ids else 0
names = {
    i: n + (" · champion" if champion and i == champion.run_id else "") for i, n in names.items()
}
run_id = c1.selectbox("Run", ids, index=start, format_func=names.__getitem__, key="errors.run")
part = c2.radio(
    "Part",
    ["dev", "test"],
    horizontal=True,
    key="errors.part",
    help="Analyse errors on dev; look at test only to confirm.",
)
try:
    src = S.source_for_run(store, run_id, part)
except S.SliceError as exc:
    st.error(message(exc))
    st.stop()

brief = S.scoping_context(store, project.id)
metric, min_size = view.judging(store, src, brief, f"{run_id}.{part}")
available, default = S.column_choices(store, src, list(brief.sensitive))
with st.expander("Columns and bins", icon=":material/tune:"):
    columns = st.multiselect(
        "Slice by", available, default=default, key=f"errors.columns.{src.dataset_id}"
    )
    bins = st.number_input("Quantile bins per numeric column", 2, 20, 4, key="errors.bins")
    try:
        plan = S.plan_columns(store, src, columns, bins=int(bins))
        edges = {}
        for spec in [s for s in plan.specs if s.kind == "num"]:
            text = st.text_input(
                f"Bin edges of {spec.column}",
                ", ".join(f"{e:g}" for e in spec.edges),
                key=f"errors.edges.{spec.column}.{bins}",
            )
            edges[spec.column] = S.parse_edges(text)
        plan = S.plan_columns(store, src, columns, bins=int(bins), edges=edges)
    except S.SliceError as exc:
        st.error(message(exc))
        st.stop()

table = S.compute_slice_metrics(
    store,
    src,
    plan.specs,
    metric=metric,
    hlp=brief.hlp,
    hlp_metric=brief.hlp_metric,
    min_size=min_size,
)
found = S.latest_discovery(store, run_id, part)
choices = view.slice_choices(table, found)

t_slices, t_find, t_errors, t_actions, t_over, t_cmp = st.tabs(
    ["Slices", "Discover", "Errors & tags", "Actions", "Oversample", "Compare runs"]
)

with t_slices:
    view.slice_table(table, plan, brief)

with t_find:
    view.discover(store, src, plan, found, user, table.min_size)

pick = st.sidebar.selectbox(
    "Slice to work on",
    list(choices),
    key="errors.slice",
    help="Used by the Errors, Actions and Oversample tabs.",
)
preds = choices.get(pick, [])

with t_errors:
    view.errors_and_tags(store, src, plan, preds, user)

with t_actions:
    view.actions(store, project.id, run_id, preds, user)

with t_over:
    view.oversample(store, run_id, preds, user)

with t_cmp:
    view.compare(store, runs, names, run_id, part, plan, table)
