"""Data: load a dataset, check its column types and quality, then its balance and splits."""

import streamlit as st

from core.charts import data as charts_data
from core.data import datasets, quality
from core.db import datasets as datasets_db
from core.errors import StoreError
from ui import data_ingest, data_splits, session
from ui.data_ingest import DATASET, FLASH

ctx = session.page(
    "Data",
    ":material/table:",
    "Load data straight into the workbench's DuckDB file, check each column's type and the "
    "data's quality, standardize inconsistent spellings into a new version, then look at the "
    "class balance and design the train/dev/test split.",
)
store, project, user = ctx.store, ctx.project, ctx.user


data_ingest.render_add_data(store, project, user, expanded=not datasets_db.list_datasets(store, project.id))
if FLASH in st.session_state:
    headline, notes = st.session_state.pop(FLASH)
    st.success(headline, icon=":material/check_circle:")
    for note in notes:
        st.info(note, icon=":material/info:")

all_datasets = datasets_db.list_datasets(store, project.id)
if not all_datasets:
    st.info("This project has no dataset yet: upload a CSV or Parquet file or add a sample above.")
    st.stop()
by_id = {d.id: d for d in all_datasets}
if st.session_state.get(DATASET) not in by_id:
    st.session_state[DATASET] = next(
        (d.id for d in all_datasets if d.role == "training"), all_datasets[0].id
    )
st.session_state["data.dataset"] = st.session_state[DATASET]
st.selectbox(
    "Dataset",
    list(by_id),
    key="data.dataset",
    format_func=lambda i: (
        f"{by_id[i].name} · {by_id[i].role} · {by_id[i].n_rows:,} × "
        f"{by_id[i].n_cols} · version {by_id[i].content_hash[:8]}"
    ),
    on_change=lambda: st.session_state.update({DATASET: st.session_state["data.dataset"]}),
)
ds = by_id[st.session_state[DATASET]]
m = st.columns(4)
m[0].metric("Rows", f"{ds.n_rows:,}")
m[1].metric("Columns", ds.n_cols)
m[2].metric("Data version", ds.content_hash[:8], help=f"Content hash {ds.content_hash}")
m[3].metric("Role", ds.role)
parent = by_id.get(ds.parent_id)
st.caption(
    f"Source: {ds.source}"
    + (f" · derived from **{parent.name}**" if parent else "")
    + (f" · {ds.note}" if ds.note else "")
)

report = quality.get_report(store, ds.id)
if report is None:
    if ds.n_rows * max(ds.n_cols, 1) <= 5_000_000 or st.button(
        "Build the quality report", key="data.build_report", type="primary"
    ):
        with st.status("Checking the data's quality…", expanded=True) as status:
            bar = st.progress(0.0)
            report = quality.build_report(
                store, ds.id, user, progress=lambda f, msg: bar.progress(f, text=msg)
            )
            status.update(
                label=f"Quality report ready ({report.seconds:.1f} s)",
                state="complete",
                expanded=False,
            )
    else:
        st.info(f"{ds.name} is large ({ds.n_rows:,} rows): build its quality report when ready.")
        st.stop()

cols_tab, quality_tab, balance_tab, splits_tab = st.tabs(
    ["Columns", "Quality", "Balance", "Splits"]
)
with cols_tab:
    types = datasets.column_types(store, ds.id, user)
    unstructured = [t.column for t in types if not t.structured]
    st.caption(
        f"Structured data: {len(types) - len(unstructured)} column(s)"
        + (f"; unstructured: {', '.join(unstructured)}" if unstructured else "")
        + ". Change a type or state a valid range, then save; the quality report follows."
    )
    frame = datasets.column_types_frame(types).merge(
        report.columns_frame()[["column", "missing", "distinct"]],
        on="column",
        how="left",
    )
    edited = st.data_editor(
        frame,
        key=f"data.types_editor.{ds.id}",
        hide_index=True,
        width="stretch",
        disabled=[
            "column",
            "stored as",
            "detected",
            "rule",
            "structure",
            "missing",
            "distinct",
        ],
        column_config={
            "type": st.column_config.SelectboxColumn(
                "type", options=datasets.COLUMN_TYPES, required=True
            ),
            "low": st.column_config.NumberColumn(
                "valid from", help="Stated range: lowest valid value"
            ),
            "high": st.column_config.NumberColumn(
                "valid to", help="Stated range: highest valid value"
            ),
            "missing": st.column_config.NumberColumn("missing", format="percent"),
        },
    )
    if st.button("Save types and ranges", key="data.save_types", icon=":material/save:"):
        try:
            changed = datasets.save_column_settings(store, ds.id, edited, user)
        except StoreError as exc:
            st.error(str(exc))
        else:
            st.session_state[FLASH] = (f"{changed} column(s) changed.", [])
            st.rerun()
    column = st.selectbox(
        "Distribution of",
        [c["column"] for c in report.columns],
        key=f"data.dist_column.{ds.id}",
    )
    st.plotly_chart(charts_data.distribution_figure(report, column), key="data.dist_chart")

with quality_tab:
    counts = report.counts()
    q = st.columns(5)
    q[0].metric("Errors", counts["errors"])
    q[1].metric("Warnings", counts["warnings"])
    q[2].metric("Exact duplicate rows", f"{counts['exact_duplicates']:,}")
    q[3].metric("Near-duplicate rows", f"{counts['near_duplicates']:,}")
    q[4].metric("Missing cells", f"{counts['missing_cells']:,}")
    st.caption(
        f"Computed in {report.seconds:.1f} s for data version {report.content_hash}; "
        "stored, and rebuilt when the data, the column types, ranges or splits change."
    )
    issues = report.issues_frame()
    if issues.empty:
        st.success("No quality issue found.", icon=":material/verified:")
    else:
        st.dataframe(issues, hide_index=True, width="stretch")
    st.plotly_chart(charts_data.null_heatmap_figure(report), key="data.null_heatmap")
    dup = report.duplicates
    groups = [("Exact duplicates", g) for g in dup.get("exact_groups", [])[:1]] + [
        ("Near duplicates", g) for g in dup.get("near_groups", [])[:1]
    ]
    for label, group in groups:
        with st.expander(f"{label}: example rows {', '.join(map(str, group))}"):
            st.dataframe(datasets_db.rows_by_id(store, ds.id, group), hide_index=True)

    st.subheader("Inconsistent spellings")
    if not report.spelling:
        st.caption("No value looks like another spelling of a category.")
    else:
        st.caption(
            "Each value below looks like another spelling of the value it becomes. Edit "
            "the mapping, untick what is wrong, and create a standardized version: the "
            "original dataset is kept."
        )
        mapping = st.data_editor(
            quality.mapping_frame(report.spelling),
            key=f"data.spelling_editor.{ds.id}",
            hide_index=True,
            disabled=["column", "value", "rows"],
            width="stretch",
        )
        std_name = st.text_input(
            "Name of the new version",
            f"{ds.name}_standardized",
            key=f"data.std_name.{ds.id}",
        )
        if st.button("Create standardized version", key="data.standardize", type="primary"):
            try:
                new_id = quality.standardize(
                    store,
                    ds.id,
                    quality.mapping_from_frame(mapping),
                    name=std_name,
                    actor=user,
                )
            except StoreError as exc:
                st.error(str(exc))
            else:
                st.session_state[DATASET] = new_id
                st.session_state[FLASH] = (
                    f"Created {std_name!r}; {ds.name!r} is kept.",
                    [],
                )
                st.rerun()
    if st.button("Recompute the report", key="data.recompute", icon=":material/refresh:"):
        quality.build_report(store, ds.id, user)
        st.rerun()

with balance_tab:
    data_splits.render_balance(store, project, ds)
with splits_tab:
    data_splits.render_splits(store, project, ds)
