"""Widgets of the Error analysis page (pages/5_Error_analysis.py) that are not the page."""

from __future__ import annotations

from typing import Any

import streamlit as st

from core import analysis as S
from core.charts import analysis as C
from core.db import datasets as datasets_db
from core.db.database import Database
from core.errors import StoreError


def slice_table(table: S.SliceTable, plan: S.ColumnPlan, ctx: dict[str, Any]) -> None:
    """Headline numbers, notes, fairness gaps, the per-slice table and its charts."""
    m = st.columns(4)
    m[0].metric(f"Overall {S.M.label(table.metric)}", f"{table.overall:.3f}")
    m[1].metric("Rows", f"{table.n:,}")
    m[2].metric(
        f"HLP ({S.M.label(table.hlp_metric or table.metric)})",
        "—" if table.hlp_value is None else f"{table.hlp_value:.3f}",
    )
    m[3].metric("HLP source", table.hlp_source)
    for note in [*plan.notes, *table.notes]:
        st.caption(f":material/info: {note}")
    if ctx["sensitive"]:
        st.subheader("Sensitive columns (fairness gap)")
        st.dataframe(
            S.fairness_gaps(table, ctx["sensitive"]),
            hide_index=True,
            column_config={
                "ratio": st.column_config.NumberColumn(
                    "worst/best",
                    format="%.3f",
                    help="1 = parity; below 0.8 deserves a look",
                )
            },
        )
    st.subheader("Slices by priority")
    shown = table.frame.drop(columns=["predicate"])
    top = set(shown.index[:5])
    st.dataframe(
        shown.style.apply(
            lambda r: ["background-color: #fff3cd" if r.name in top else ""] * len(r),
            axis=1,
        ),
        hide_index=True,
        key="errors.table",
        column_config={
            "share": st.column_config.ProgressColumn(
                "share", format="percent", min_value=0, max_value=1
            ),
            "metric": st.column_config.NumberColumn(S.M.label(table.metric), format="%.3f"),
            "gap_to_hlp": st.column_config.NumberColumn("gap to HLP", format="%.3f"),
            "gap_to_overall": st.column_config.NumberColumn("gap to overall", format="%.3f"),
            "priority": st.column_config.NumberColumn(
                "priority", format="%.4f", help="max(gap to HLP, 0) × share"
            ),
        },
    )
    st.plotly_chart(C.priority_chart(table), key="errors.priority_chart")
    by = st.selectbox(
        "Metric by values of",
        [s.column for s in plan.specs] + ["tag"],
        key="errors.by_column",
    )
    st.plotly_chart(C.column_chart(table, by), key="errors.column_chart")


def actions(store: Database, project_id: int, run_id: int, preds: list, user: str) -> None:
    """Record an action for the chosen slice; list actions and close open ones."""
    with st.form("errors.action_form"):
        st.markdown(f"**Slice:** {S.slice_label(preds)}")
        action = st.radio(
            "Action",
            list(S.ACTIONS),
            format_func=S.ACTIONS.get,
            horizontal=True,
            key="errors.action",
        )
        note = st.text_area("Note", key="errors.action_note", height=70)
        if st.form_submit_button("Record action", disabled=not preds):
            S.record_action(store, project_id, run_id, preds, action, note, user)
            st.rerun()
    acts = S.list_actions(store, project_id)
    if acts:
        st.dataframe(
            [
                {
                    "id": a.id,
                    "slice": a.label,
                    "action": a.action_label,
                    "note": a.note,
                    "status": a.status,
                    "by": a.created_by,
                    "at": a.created_at,
                }
                for a in acts
            ],
            hide_index=True,
            key="errors.actions",
        )
        open_ids = [a.id for a in acts if a.status == "open"]
        if open_ids:
            a1, a2, a3 = st.columns([2, 1, 1])
            aid = a1.selectbox("Open action", open_ids, key="errors.open_action")
            if a2.button("Mark done", key="errors.action_done"):
                S.close_action(store, aid, user, "done")
                st.rerun()
            if a3.button("Drop", key="errors.action_drop"):
                S.close_action(store, aid, user, "dropped")
                st.rerun()


def oversample(store: Database, run_id: int, preds: list, user: str) -> None:
    """Oversample the chosen slice's training rows into a new dataset version."""
    st.markdown(
        f"**Slice:** {S.slice_label(preds)} — its *training* rows are oversampled into "
        "a new dataset version (the original is kept) with a matching split."
    )
    o = st.columns(3)
    method = o[0].radio(
        "Method",
        ["smote", "random"],
        key="errors.os_method",
        format_func={
            "smote": "SMOTE-style interpolation",
            "random": "Random copies",
        }.get,
    )
    factor = o[1].number_input(
        "Add × the slice's training rows", 0.1, 10.0, 1.0, 0.1, key="errors.os_factor"
    )
    seed = o[2].number_input("Seed", 0, 10_000, 0, key="errors.os_seed")
    if st.button("Create oversampled version", key="errors.oversample", disabled=not preds):
        try:
            with st.spinner("Writing the new dataset version and split…"):
                res = S.oversample_slice(
                    store,
                    run_id,
                    preds,
                    factor=factor,
                    method=method,
                    seed=int(seed),
                    actor=user,
                )
            ds = datasets_db.get_dataset(store, res.dataset_id)
            st.success(
                f"Dataset {ds.name!r} (version {ds.content_hash}) holds {res.n_original:,} "
                f"original + {res.n_added:,} synthetic rows; train on its split "
                f"#{res.split_id} on the Training page."
            )
        except StoreError as exc:
            st.error(str(exc))


def compare(
    store: Database,
    runs: list,
    names: dict,
    run_id: int,
    part: str,
    plan: S.ColumnPlan,
    table: S.SliceTable,
) -> None:
    """Run B against run A slice by slice."""
    others = [r for r in runs if r["id"] != run_id]
    if not others:
        st.info("Train a second run to compare slice by slice.")
    else:
        b = st.selectbox(
            "Compare with run B",
            [r["id"] for r in others],
            format_func=names.get,
            key="errors.compare_run",
        )
        try:
            cmp = S.compare_runs(store, run_id, b, part, plan.specs, metric=table.metric)
            better, worse = (
                (cmp["verdict"] == "better").sum(),
                (cmp["verdict"] == "worse").sum(),
            )
            st.caption(
                f"Run B is better on {better} slice(s) and worse on {worse} "
                f"({S.M.label(table.metric)}, A = {names[run_id]})."
            )
            st.plotly_chart(C.compare_chart(cmp, table.metric), key="errors.compare_chart")
            st.dataframe(cmp, hide_index=True, key="errors.compare")
        except StoreError as exc:
            st.error(str(exc))
