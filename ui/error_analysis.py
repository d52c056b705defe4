"""Widgets of the Error analysis page (pages/5_Error_analysis.py) that are not the page."""

from __future__ import annotations

from typing import Any

import streamlit as st

from core import analysis as S
from core.charts import analysis as C
from core.db.database import Database
from core.errors import StoreError
from core.training import metrics as M
from ui import jobs, state
from ui.text import literal, message

DISCOVER_JOB = "errors.discover_job"


def mlabel(metric: str) -> str:
    """A metric's display name (error_rate included)."""
    return "Error rate" if metric == "error_rate" else M.label(metric)


def judging(
    store: Database, src: S.SliceSource, brief: S.ScopingContext, suffix: str
) -> tuple[str, int]:
    """The metric every slice is judged on (the brief's primary by default) and the
    minimum slice size to rank (the confidence-interval rule by default)."""
    task = "regression" if src.regression else "classification"
    options = list(S.SLICE_METRICS[task])
    default, note = S.choose_metric(task, brief.primary)
    c1, c2 = st.columns(2)
    metric = c1.selectbox(
        "Metric",
        options,
        index=options.index(default),
        format_func=mlabel,
        key=f"errors.metric.{task}",
        help="The brief's primary metric by default. Slices, the overall value and "
        "human-level performance are all judged on this one metric.",
    )
    if note:
        c1.caption(note)
    try:
        rule = S.default_min_size(store, src)
    except S.SliceError as exc:
        st.error(message(exc))
        st.stop()
    size = c2.number_input(
        "Minimum slice size to rank (rows)",
        min_value=1,
        value=rule.rows,
        step=1,
        key=f"errors.min_size.{suffix}",
        help=f"Smaller slices are listed but not ranked. Default: {rule.rule}",
    )
    return str(metric or default), int(size)


def _in_metric(title: str, label: str) -> Any:
    """A column in the slice metric's units (three decimals), headed "title (metric)"."""
    return st.column_config.NumberColumn(f"{title} ({label})", format="%.3f")


def _table_config(table: S.SliceTable) -> dict:
    label = mlabel(table.metric)
    config: dict = {
        name: st.column_config.NumberColumn(mlabel(name), format="%.3f")
        for name in (*S.SLICE_METRICS["classification"], *S.SLICE_METRICS["regression"])
        if name in table.frame
    }
    return config | {
        "share": st.column_config.ProgressColumn(
            "share", format="percent", min_value=0, max_value=1
        ),
        "hlp": _in_metric("HLP", label),
        "gap_to_hlp": _in_metric("gap to HLP", label),
        "gap_to_overall": _in_metric("gap to overall", label),
        "priority": st.column_config.NumberColumn(
            "priority",
            format="%.4f",
            help="max(gap to HLP, 0) × share; the gap to overall where no HLP is known",
        ),
        "priority_basis": st.column_config.TextColumn("ranked by"),
    }


def slice_table(table: S.SliceTable, plan: S.ColumnPlan, brief: S.ScopingContext) -> None:
    """Headline numbers, notes, fairness gaps, the per-slice table and its charts."""
    label = mlabel(table.metric)
    m = st.columns(4)
    m[0].metric(f"Overall {label}", f"{table.overall:.3f}")
    m[1].metric("Rows", f"{table.n:,}")
    m[2].metric(
        f"HLP ({label})",
        "—" if table.hlp_value is None else f"{table.hlp_value:.3f}",
    )
    m[3].metric("HLP source", table.hlp_source)
    rule = table.size_rule
    if not rule.startswith(f"{table.min_size:,} rows"):
        rule = f"{table.min_size:,} rows, set here (the default rule gives {rule})"
    st.caption(f":material/straighten: Minimum slice size to rank: {rule}")
    for note in [*plan.notes, *table.notes]:
        st.caption(f":material/info: {literal(note)}")
    if brief.sensitive:
        st.subheader("Sensitive columns (fairness gap)")
        st.dataframe(
            S.fairness_gaps(table, list(brief.sensitive)),
            hide_index=True,
            column_config={
                "worst_metric": _in_metric("worst", label),
                "best_metric": _in_metric("best", label),
                "ratio": st.column_config.NumberColumn(
                    "worst/best",
                    format="%.3f",
                    help="1 = parity; below 0.8 deserves a look",
                ),
            },
        )
    st.subheader("Slices by priority")
    shown = table.frame.drop(columns=["predicate"])
    top = set(shown.index[: min(5, len(table.ranked))])
    st.dataframe(
        shown.style.apply(
            lambda r: ["background-color: #fff3cd" if r.name in top else ""] * len(r),
            axis=1,
        ),
        hide_index=True,
        key="errors.table",
        column_config=_table_config(table),
    )
    st.plotly_chart(C.priority_chart(table), key="errors.priority_chart")
    by = st.selectbox(
        "Metric by values of",
        [s.column for s in plan.specs] + ["tag"],
        key="errors.by_column",
    )
    st.plotly_chart(C.column_chart(table, by), key="errors.column_chart")


def slice_choices(table: S.SliceTable, found: S.Discovery | None) -> dict[str, list]:
    """The slices to work on, by label: each slice of the table, then each one found."""
    choices = {
        S.group_name(r.column, r.value): r.predicate
        for r in table.frame.itertuples() if r.predicate
    }
    if found is not None:
        choices |= {f"found #{r.rank}: {r.label}": r.slice for r in found.slices.itertuples()}
    return choices


def discover(
    store: Database,
    src: S.SliceSource,
    plan: S.ColumnPlan,
    found: S.Discovery | None,
    user: str,
    min_size: int,
) -> None:
    """The SliceLine search form and the last stored search's slices."""
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
            "Min support (rows)",
            min_value=1,
            value=int(min_size),
            step=1,
            key=f"errors.support.{min_size}",
            help="The smallest slice reported; by default the table's minimum slice size.",
        )
        top_k = f[2].number_input("Top-k", 1, 50, 10, key="errors.top_k")
        level = f[3].number_input("Max predicates", 1, 3, 3, key="errors.level")
        submitted = st.form_submit_button("Find problem slices", type="primary",
                                          disabled=not state.can_edit())

    def work(progress: Any) -> dict:
        progress(0.1, "Searching conjunctions of predicates in DuckDB")
        res = S.discover_slices(store, src, plan.specs, alpha=alpha, min_support=int(support),
                                top_k=int(top_k), max_level=int(level))
        return {"discovery_id": S.save_discovery(store, src, res, user)}

    # a job: leaving the page never stops the search; back here, a running one is followed
    label, pid = "Finding problem slices", src.project_id
    job = (jobs.run_job(store, DISCOVER_JOB, "slices", label, work, actor=user, project_id=pid)
           if submitted else jobs.resume(store, DISCOVER_JOB, pid, "slices", label))
    if job is not None and job.status == "done":
        st.rerun()
    if found is None:
        st.info("No search stored for this run and part yet: run one above.")
    elif found.slices.empty:
        st.info(
            "The last search found no slice scoring above zero: lower alpha's size "
            "penalty (raise alpha) or the minimum support."
        )
    else:
        st.caption(
            f"Last search by {literal(found.stats.get('created_by'))} on "
            f"{found.stats.get('created_at'):%Y-%m-%d %H:%M}: "
            f"{int(found.stats.get('evaluated', 0)):,} slices evaluated in "
            f"{found.stats.get('seconds', 0):.2f} s, {found.params}."
        )
        st.dataframe(found.slices.drop(columns=["slice"]), hide_index=True, key="errors.found")
        st.plotly_chart(
            C.discovery_chart(found, found.mean_error),
            key="errors.found_chart",
        )


def errors_and_tags(
    store: Database, src: S.SliceSource, plan: S.ColumnPlan, preds: list, user: str
) -> None:
    """The chosen slice's rows (errors first), tagging them, sending them to relabelling."""
    st.markdown(f"**Slice:** {literal(S.slice_label(preds))}")
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
        if st.form_submit_button("Tag rows", disabled=not state.can_edit()):
            try:
                S.tag_rows(store, src, ids, tag, user)
                st.rerun()
            except StoreError as exc:
                st.error(message(exc))
    tags = S.list_tags(store, src)
    if len(tags):
        st.dataframe(tags, hide_index=True, key="errors.tags")
    if S.relabel_link(store, src) is not None and st.button(
        "Send these rows to the relabel queue",
        key="errors.relabel",
        disabled=not state.can_edit() or rows.empty,
    ):
        try:
            st.success(
                f"{S.send_to_relabel(store, src, rows, user)} item(s) queued on the Labeling page."
            )
        except StoreError as exc:
            st.error(message(exc))
    if not src.regression and st.button(
        "Label these rows in the app",
        key="errors.label_queue",
        disabled=not state.can_edit() or rows.empty,
        help="Adds the rows shown to the labeling queue on this data (or creates one) on "
        "the Labeling page, where reviewers label them one at a time.",
    ):
        try:
            _, name, added, created = S.send_to_label_queue(
                store, src, rows, user, S.slice_label(preds)
            )
            st.success(
                f"{added} row(s) {'queued in the new' if created else 'added to the'} labeling "
                f"queue {literal(repr(name))}: label them on the Labeling page."
            )
        except StoreError as exc:
            st.error(message(exc))


def actions(store: Database, project_id: int, run_id: int, preds: list, user: str) -> None:
    """Record an action for the chosen slice; list actions and close open ones."""
    with st.form("errors.action_form"):
        st.markdown(f"**Slice:** {literal(S.slice_label(preds))}")
        action = st.radio(
            "Action",
            list(S.ACTIONS),
            format_func=S.ACTIONS.get,
            horizontal=True,
            key="errors.action",
        )
        note = st.text_area("Note", key="errors.action_note", height=70)
        if st.form_submit_button("Record action", disabled=not state.can_edit() or not preds):
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
            if a2.button("Mark done", key="errors.action_done", disabled=not state.can_edit()):
                S.close_action(store, aid, user, "done")
                st.rerun()
            if a3.button("Drop", key="errors.action_drop", disabled=not state.can_edit()):
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
    if st.button("Create oversampled version", key="errors.oversample",
                 disabled=not state.can_edit() or not preds):
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
            st.success(
                f"Dataset {literal(repr(res.dataset_name))} (version {res.content_hash}) holds {res.n_original:,} "
                f"original + {res.n_added:,} synthetic rows; train on its split "
                f"#{res.split_id} on the Training page."
            )
        except StoreError as exc:
            st.error(message(exc))


def compare(
    store: Database,
    runs: list,
    names: dict[int, str],
    run_id: int,
    part: str,
    plan: S.ColumnPlan,
    table: S.SliceTable,
) -> None:
    """Run B against run A slice by slice."""
    task = next(r.task_type for r in runs if r.id == run_id)
    others = [r.id for r in runs if r.id != run_id and r.task_type == task]
    if not others:
        st.info("Train a second run of the same task to compare slice by slice.")
        return
    default = S.default_comparison_run(store, run_id, others)
    b = st.selectbox(
        "Compare with run B",
        others,
        index=others.index(default) if default is not None else 0,
        format_func=names.__getitem__,
        key=f"errors.compare_run.{run_id}",
        help="By default another top-level run on the same split and target: the "
        "challenger, the champion or the newest one.",
    )
    try:
        cmp = S.compare_runs(
            store, run_id, int(b or others[0]), part, plan.specs, metric=table.metric
        )
    except StoreError as exc:
        st.error(message(exc))
        return
    better, worse = (cmp["verdict"] == "better").sum(), (cmp["verdict"] == "worse").sum()
    st.caption(
        f"Run B is better on {better} slice(s) and worse on {worse} "
        f"({mlabel(table.metric)}, A = {literal(names[run_id])})."
    )
    st.plotly_chart(C.compare_chart(cmp, table.metric), key="errors.compare_chart")
    st.dataframe(cmp, hide_index=True, key="errors.compare")
