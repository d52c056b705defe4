"""Error analysis: per-slice metrics with HLP-gap priority, slice discovery, error tagging,
per-slice actions, slice oversampling and run comparison."""

import streamlit as st

from core import analysis as S
from core.charts import analysis as C
from core.db import analysis as analysis_db
from core.db import training as training_db
from core.errors import StoreError
from core.training import registry
from ui import error_analysis as view
from ui import session

ctx = session.page(
    "Error analysis",
    ":material/troubleshoot:",
    "Which slices of the data does the model get wrong, and which are worth working on? "
    "Priority = gap to human-level performance × share of the data (Andrew Ng's table).",
)
store, project, user = ctx.store, ctx.project, ctx.user

runs = [r for r in training_db.list_runs(store, project.id, status="done") if r.get("dataset_id") is not None]
if not runs:
    st.info("No finished training run yet: train a model on the Training page first.")
    st.stop()
names = {r["id"]: f"#{r['id']} {r['name']}" for r in runs}
c1, c2 = st.columns([3, 1])
champion = registry.get_champion(store, project.id)
ids = list(names)
start = ids.index(champion.run_id) if champion and champion.run_id in ids else 0
names = {i: n + (" · champion" if champion and i == champion.run_id else "") for i, n in names.items()}
run_id = c1.selectbox("Run", ids, index=start, format_func=names.get, key="errors.run")
part = c2.radio(
    "Part",
    ["dev", "test"],
    horizontal=True,
    key="errors.part",
    help="Analyse errors on dev; look at test only to confirm.",
)
run = training_db.get_run(store, run_id)
try:
    src = S.source_for_run(store, run_id, part)
except S.SliceError as exc:
    st.error(str(exc))
    st.stop()

ctx = S.scoping_context(store, project.id)
available = [c for c, _ in analysis_db.slice_columns(store, src) if c != run.get("target")]
default = [c for c in (run.get("features") or []) + ctx["sensitive"] if c in available]
with st.expander("Columns and bins", icon=":material/tune:"):
    columns = st.multiselect(
        "Slice by",
        available,
        default=list(dict.fromkeys(default)),
        key="errors.columns",
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
        st.error(str(exc))
        st.stop()

table = S.compute_slice_metrics(
    store,
    src,
    plan.specs,
    metric=ctx["primary"],
    hlp=ctx["hlp"],
    hlp_metric=ctx["hlp_metric"],
)
found = S.latest_discovery(store, run_id, part)
choices = {f"{r.column} = {r.value}": r.predicate for r in table.frame.itertuples() if r.predicate}
if found is not None:
    choices |= {f"found #{r.rank}: {r.label}": r.slice for r in found.slices.itertuples()}

t_slices, t_find, t_errors, t_actions, t_over, t_cmp = st.tabs(
    ["Slices", "Discover", "Errors & tags", "Actions", "Oversample", "Compare runs"]
)

with t_slices:
    view.slice_table(table, plan, ctx)

with t_find:
    with st.form("errors.discover_form"):
        f = st.columns(4)
        alpha = f[0].number_input(
            "alpha",
            0.5,
            1.0,
            0.95,
            0.01,
            key="errors.alpha",
            help="Weight of error over size in the SliceLine score.",
        )
        support = f[1].number_input(
            "Min support (% of rows)", 0.1, 50.0, 2.0, 0.5, key="errors.support"
        )
        top_k = f[2].number_input("Top-k", 1, 50, 10, key="errors.top_k")
        level = f[3].number_input("Max predicates", 1, 3, 3, key="errors.level")
        if st.form_submit_button("Find problem slices", type="primary"):
            try:
                with st.spinner("Searching conjunctions of predicates in DuckDB…"):
                    res = S.discover_slices(
                        store,
                        src,
                        plan.specs,
                        alpha=alpha,
                        min_support=support / 100,
                        top_k=int(top_k),
                        max_level=int(level),
                    )
                    S.save_discovery(store, src, res, user)
                st.rerun()
            except StoreError as exc:
                st.error(str(exc))
    if found is None:
        st.info("No search stored for this run and part yet: run one above.")
    elif found.slices.empty:
        st.info(
            "The last search found no slice scoring above zero: lower alpha's size "
            "penalty (raise alpha) or the minimum support."
        )
    else:
        st.caption(
            f"Last search by {found.stats.get('created_by')} on "
            f"{found.stats.get('created_at'):%Y-%m-%d %H:%M}: "
            f"{int(found.stats.get('evaluated', 0)):,} slices evaluated in "
            f"{found.stats.get('seconds', 0):.2f} s, {found.params}."
        )
        st.dataframe(found.slices.drop(columns=["slice"]), hide_index=True, key="errors.found")
        st.plotly_chart(
            C.discovery_chart(found, found.stats["errors"] / found.stats["n"]),
            key="errors.found_chart",
        )

pick = st.sidebar.selectbox(
    "Slice to work on",
    list(choices),
    key="errors.slice",
    help="Used by the Errors, Actions and Oversample tabs.",
)
preds = choices.get(pick, [])

with t_errors:
    st.markdown(f"**Slice:** {S.slice_label(preds)}")
    only = st.toggle("Only the errors", True, key="errors.only_errors")
    n_rows, rows = S.slice_errors(
        store, src, preds, columns=[s.column for s in plan.specs], only_errors=only
    )
    st.caption(f"{n_rows:,} rows; the first {len(rows):,} are shown, worst first.")
    st.dataframe(rows, hide_index=True, key="errors.rows")
    with st.form("errors.tag_form"):
        ids = st.multiselect("Rows to tag", rows["row_id"].tolist(), key="errors.tag_rows")
        tag = st.text_input(
            "Tag", placeholder="blurry, new product, ambiguous label", key="errors.tag"
        )
        if st.form_submit_button("Tag rows"):
            try:
                S.tag_rows(store, src, ids, tag, user)
                st.rerun()
            except StoreError as exc:
                st.error(str(exc))
    tags = S.list_tags(store, src)
    if len(tags):
        st.dataframe(tags, hide_index=True, key="errors.tags")
    if S.relabel_link(store, src) is not None and st.button(
        "Send these rows to the relabel queue",
        key="errors.relabel",
        disabled=rows.empty,
    ):
        try:
            st.success(
                f"{S.send_to_relabel(store, src, rows, user)} item(s) queued on the Labeling page."
            )
        except StoreError as exc:
            st.error(str(exc))

with t_actions:
    view.actions(store, project.id, run_id, preds, user)

with t_over:
    view.oversample(store, run_id, preds, user)

with t_cmp:
    view.compare(store, runs, names, run_id, part, plan, table)
