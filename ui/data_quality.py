"""Data page widgets: the quality report (built on first view), the Columns tab (types and
stated ranges, editable; a column's distribution; the page puts the project's column
roles between them) and the Quality tab (findings, missing values, duplicates,
inconsistent spellings)."""

from __future__ import annotations

import streamlit as st

from core import data
from core.charts import data as charts_data
from core.data import DatasetRow, QualityReport
from core.db.database import Database
from core.errors import StoreError
from ui import state
from ui.data_ingest import DATASET, FLASH

AUTO_REPORT_CELLS = 5_000_000  # larger datasets build their report on request


def report_or_stop(store: Database, ds: DatasetRow, user: str) -> QualityReport:
    """The stored report of the dataset; built now when small enough or asked for, else the
    page stops with a note."""
    report = data.get_report(store, ds.id)
    if report is not None:
        return report
    if ds.n_rows * max(ds.n_cols, 1) > AUTO_REPORT_CELLS and not st.button(
        "Build the quality report", key="data.build_report", type="primary"
    ):
        st.info(f"{ds.name} is large ({ds.n_rows:,} rows): build its quality report when ready.")
        st.stop()
    with st.status("Checking the data's quality…", expanded=True) as status:
        bar = st.progress(0.0)

        def progress(fraction: float, message: str) -> None:
            bar.progress(fraction, text=message)

        report = data.build_report(store, ds.id, user, progress=progress)
        status.update(
            label=f"Quality report ready ({report.seconds:.1f} s)",
            state="complete",
            expanded=False,
        )
    return report


# ------------------------------------------------------------------------------ columns
def render_columns(store: Database, ds: DatasetRow, report: QualityReport, user: str) -> None:
    """Each column's type and stated range (editable)."""
    types = data.column_types(store, ds.id, user)
    unstructured = [t.column for t in types if not t.structured]
    st.caption(
        f"Structured data: {len(types) - len(unstructured)} column(s)"
        + (f"; unstructured: {', '.join(unstructured)}" if unstructured else "")
        + ". Change a type or state a valid range, then save; the quality report follows."
    )
    frame = data.column_types_frame(types).merge(
        report.columns_frame()[["column", "missing", "distinct"]],
        on="column",
        how="left",
    )
    edited = st.data_editor(
        frame,
        key=f"data.types_editor.{ds.id}",
        hide_index=True,
        width="stretch",
        disabled=["column", "stored as", "detected", "rule", "structure", "missing", "distinct"],
        column_config={
            "type": st.column_config.SelectboxColumn(
                "type", options=data.COLUMN_TYPES, required=True
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
    for note in report.notes()[:1]:  # the distinct counts shown above
        st.caption(note)
    if st.button("Save types and ranges", key="data.save_types", icon=":material/save:",
                 disabled=not state.can_edit()):
        try:
            changed = data.save_column_settings(store, ds.id, edited, user)
        except StoreError as exc:
            st.error(str(exc))
        else:
            st.session_state[FLASH] = (f"{changed} column(s) changed.", [])
            st.rerun()


def render_distribution(store: Database, ds: DatasetRow, report: QualityReport) -> None:
    """One column's distribution; opens on the target or the first numeric/categorical one."""
    names = [c["column"] for c in report.columns]
    first = data.default_distribution_column(store, ds.id)
    column = st.selectbox(
        "Distribution of",
        names,
        index=names.index(first) if first in names else 0,
        key=f"data.dist_column.{ds.id}",
        help="Opens on the target, else the first numeric or categorical column.",
    )
    if column is not None:
        st.plotly_chart(charts_data.distribution_figure(report, column), key="data.dist_chart")


# ------------------------------------------------------------------------------ quality
def render_quality(store: Database, ds: DatasetRow, report: QualityReport, user: str) -> None:
    """Headline counts, the findings, missing values by row range, example duplicates and
    the spelling groups; the report can be recomputed."""
    _headline(report)
    issues = report.issues_frame()
    if issues.empty:
        st.success("No quality issue found.", icon=":material/verified:")
    else:
        st.dataframe(issues, hide_index=True, width="stretch")
    st.plotly_chart(charts_data.null_heatmap_figure(report), key="data.null_heatmap")
    _duplicate_examples(store, ds, report)
    st.subheader("Inconsistent spellings")
    _spellings(store, ds, report, user)
    if st.button("Recompute the report", key="data.recompute", icon=":material/refresh:",
                 disabled=not state.can_edit()):
        data.build_report(store, ds.id, user)
        st.rerun()


def _headline(report: QualityReport) -> None:
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
        + "".join(f" {note}" for note in report.notes())
    )


def _duplicate_examples(store: Database, ds: DatasetRow, report: QualityReport) -> None:
    dup = report.duplicates
    groups = [("Exact duplicates", g) for g in dup.get("exact_groups", [])[:1]] + [
        ("Near duplicates", g) for g in dup.get("near_groups", [])[:1]
    ]
    for label, group in groups:
        with st.expander(f"{label}: example rows {', '.join(map(str, group))}"):
            st.dataframe(data.example_rows(store, ds.id, group), hide_index=True)


def _spellings(store: Database, ds: DatasetRow, report: QualityReport, user: str) -> None:
    """The proposed mapping, editable, and the button that creates the standardized version."""
    if not report.spelling:
        st.caption("No value looks like another spelling of a category.")
        return
    st.caption(
        "Each value below looks like another spelling of the value it becomes. Edit "
        "the mapping, untick what is wrong, and create a standardized version: the "
        "original dataset is kept."
    )
    mapping = st.data_editor(
        data.mapping_frame(report.spelling),
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
    if not st.button("Create standardized version", key="data.standardize", type="primary",
                     disabled=not state.can_edit()):
        return
    try:
        new_id = data.standardize(
            store, ds.id, data.mapping_from_frame(mapping), name=std_name, actor=user
        )
    except StoreError as exc:
        st.error(str(exc))
    else:
        st.session_state[DATASET] = new_id
        st.session_state[FLASH] = (f"Created {std_name!r}; {ds.name!r} is kept.", [])
        st.rerun()
