"""Data: load a dataset, check its column types and quality, then its balance and splits."""

import streamlit as st

from core import data
from ui import data_ingest, data_quality, data_splits, gates, overview, session, state
from ui.data_ingest import DATASET, FLASH

ctx = session.page(
    "Data",
    ":material/table:",
    "Load data straight into the workbench's DuckDB file, check each column's type and the "
    "data's quality, standardize inconsistent spellings into a new version, then look at the "
    "class balance and design the train/dev/test split.",
)
store, project, user = ctx.store, ctx.project, ctx.user


if state.can_edit():
    data_ingest.render_add_data(
        store, project, user, expanded=not data.list_datasets(store, project.id)
    )
if FLASH in st.session_state:
    headline, notes = st.session_state.pop(FLASH)
    st.success(headline, icon=":material/check_circle:")
    for note in notes:
        st.info(note, icon=":material/info:")

all_datasets = data.list_datasets(store, project.id)
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
parent = by_id.get(ds.parent_id) if ds.parent_id is not None else None
st.caption(
    f"Source: {ds.source}"
    + (f" · derived from **{parent.name}**" if parent else "")
    + (f" · {ds.note}" if ds.note else "")
)

gates.gate_runs(store, project.id, project.name, "data")
report = data_quality.report_or_stop(store, ds, user)
cols_tab, quality_tab, balance_tab, splits_tab = st.tabs(
    ["Columns", "Quality", "Balance", "Splits"]
)
with cols_tab:
    data_quality.render_columns(store, ds, report, user)
    overview.column_roles_editor(store, project.id, user, key="data")
    data_quality.render_distribution(store, ds, report)
with quality_tab:
    data_quality.render_quality(store, ds, report, user)
with balance_tab:
    data_splits.render_balance(store, project, ds)
with splits_tab:
    data_splits.render_splits(store, project, ds)
