"""Labeling page widgets: labels import, agreement, the relabel queue, label-error detection,
HLP, instructions and versions. Every figure and rule comes from ``core.labeling``."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core import config, projects
from core import labeling as L
from core.charts import labeling as charts
from core.db.database import Database
from core.db.projects import ProjectRow
from core.errors import StoreError
from ui.state import can_edit
from ui.text import literal, message


# ----------------------------------------------------------------------------- import
def _item_dataset_options(store: Database, project: ProjectRow, c1, c2) -> tuple:
    """The item dataset, its id column and its ground-truth column (all optional)."""
    ds = c1.selectbox(
        "Item dataset (whose rows were labelled)",
        [None, *L.item_datasets(store, project.id)],
        key="labeling.item_dataset",
        format_func=lambda d: "none: labels only" if d is None else d.name,
        help="Lets the relabel queue show each item's features and the label-error detector "
        "learn from them.",
    )
    if ds is None:
        return None, None, None
    cols = L.dataset_columns(store, ds.id)
    id_col = c2.selectbox("Item id column", cols, key="labeling.id_column")
    truth = c2.selectbox(
        "Ground-truth column (optional)",
        [None, *cols],
        key="labeling.truth_column",
        format_func=lambda c: "none" if c is None else c,
    )
    return ds, id_col, truth


def render_import(store: Database, project: ProjectRow, user: str) -> None:
    """Upload a CSV of labels (long or wide form) and store it as a new labels set."""
    st.caption(
        "Long form: one row per label with columns like `item_id`, `annotator`, `label` and "
        "optionally `labeled_at`. Wide form: an id column and one column per annotator."
    )
    upload = st.file_uploader("Labels CSV", type=["csv", "txt"], key="labeling.upload",
                              max_upload_size=config.max_upload_mb())
    c1, c2 = st.columns(2)
    form = c1.radio(
        "Form",
        ["auto", "long", "wide"],
        horizontal=True,
        key="labeling.form",
        help="auto: long when annotator and label columns are found, else wide.",
    )
    name = c2.text_input("Name of the labels set", key="labeling.import_name")
    ds, id_col, truth = _item_dataset_options(store, project, c1, c2)
    keep_latest = c1.checkbox(
        "When an annotator labelled an item twice, keep the latest label",
        key="labeling.keep_latest",
    )
    drop_unknown = c1.checkbox(
        "Drop labels of items the item dataset does not hold",
        key="labeling.drop_unknown",
    )
    clicked = st.button(
        "Import labels", key="labeling.import", type="primary",
        disabled=not can_edit() or upload is None
    )
    if not clicked or upload is None:
        return
    try:
        long = L.read_labels_csv(upload.getvalue(), form=form or "auto", filename=upload.name)
        report = L.import_labels(
            store,
            project.id,
            name or upload.name.rsplit(".", 1)[0],
            long,
            item_dataset_id=ds.id if ds else None,
            item_id_column=id_col,
            actor=user,
            source=f"upload {upload.name}",
            duplicates="latest" if keep_latest else "error",
            unknown_items="drop" if drop_unknown else "error",
            ground_truth_column=truth,
        )
    except StoreError as exc:
        text = message(exc)  # the import's refusals name the file too, not only the reader's
        st.error(text if upload.name in text else f"{upload.name}: {text}")
    else:
        st.success(
            f"Imported {report.n_labels} labels of {report.n_items} items by "
            f"{report.n_annotators} annotator(s) as version 1 "
            f"({report.dropped_duplicates} duplicate and {report.dropped_unknown} unknown-item "
            "label(s) dropped)."
        )
        st.session_state["labeling.set"] = report.label_set_id


# -------------------------------------------------------------------------- agreement
def _agreement_metrics(agreement: L.Agreement) -> None:
    k = st.columns(4)
    k[0].metric(
        "Observed agreement",
        f"{agreement.observed:.1%}",
        help="Share of annotator pairs on an item that give the same label.",
    )
    k[1].metric(
        "Fleiss' kappa",
        f"{agreement.fleiss_kappa:.3f}",
        help="Agreement beyond chance over all annotators (1 = perfect, 0 = chance).",
    )
    k[2].metric(
        "Krippendorff's alpha",
        f"{agreement.krippendorff_alpha:.3f}",
        help="Nominal alpha; handles items some annotators skipped.",
    )
    k[3].metric("Unanimous items", f"{agreement.unanimous_share:.1%}")
    for note in agreement.notes:
        st.info(literal(note), icon=":material/info:")


def _annotator_confusion(long: pd.DataFrame) -> None:
    names = sorted(long["annotator"].unique())
    a1, a2 = st.columns(2)
    a = a1.selectbox("Annotator (rows)", names, key="labeling.conf_a")
    b = a2.selectbox("Annotator (columns)", names, index=1, key="labeling.conf_b")
    if a is not None and b is not None and a != b:
        st.plotly_chart(
            charts.annotator_confusion(L.confusion_between(long, a, b)),
            key="labeling.confusion",
        )


def render_agreement(agreement: L.Agreement, long: pd.DataFrame, decisions: pd.DataFrame) -> None:
    """Agreement figures, kappa per pair, two annotators' confusion and the disagreements."""
    if not agreement.defined:
        st.warning(agreement.message)
        return
    _agreement_metrics(agreement)
    g1, g2 = st.columns(2)
    g1.plotly_chart(charts.agreement_heatmap(agreement), key="labeling.heatmap")
    g2.plotly_chart(charts.per_class_agreement_bars(agreement), key="labeling.per_class")
    st.dataframe(
        agreement.pairs,
        hide_index=True,
        column_config={
            "agreement": st.column_config.NumberColumn(format="percent"),
            "cohen_kappa": st.column_config.NumberColumn("Cohen's kappa", format="%.3f"),
        },
    )
    _annotator_confusion(long)
    st.subheader("Items in disagreement, most split first")
    st.dataframe(L.disagreements(long, decisions), hide_index=True, height=260)


# ---------------------------------------------------------------------- relabel queue
def _decision_form(
    store: Database, ls: L.LabelSet, item: str, view: L.ItemView, classes: list[str], user: str, col
) -> None:
    """The reviewer's consensus label and reason (in ``col``); saving makes a new version."""
    col.selectbox(
        "Consensus label",
        classes,
        key="labeling.decision_label",
        index=classes.index(view.majority) if view.majority in classes else 0,
    )
    col.text_input(
        "Reason",
        key="labeling.decision_reason",
        placeholder="e.g. rule 3: a theft with a police report is not suspicious",
    )
    if not col.button("Save consensus label", key="labeling.decide", type="primary",
                      disabled=not can_edit()):
        return
    state = st.session_state
    try:
        new_v = L.decide_label(
            store,
            ls.id,
            item,
            state["labeling.decision_label"],
            state["labeling.decision_reason"],
            user,
        )
    except StoreError as exc:
        col.error(message(exc))
        return
    for key in ("labeling.queue_item", "labeling.decision_label", "labeling.decision_reason"):
        state.pop(key, None)
    st.toast(f"Saved {literal(item)} as labels v{new_v}")
    st.rerun()


def render_queue(
    store: Database,
    project: ProjectRow,
    ls: L.LabelSet,
    long: pd.DataFrame,
    queue: pd.DataFrame,
    user: str,
) -> None:
    """The relabel queue: pick an item, see its features and labels, decide its consensus."""
    if queue.empty:
        st.success(
            "The relabel queue is empty: every disagreement has a consensus and no "
            "suspected label error is waiting.",
            icon=":material/task_alt:",
        )
        return
    st.dataframe(queue.head(500), hide_index=True, height=200)
    reasons = dict(zip(queue["item_id"], queue["reason"], strict=True))
    item = st.selectbox(
        "Item to review",
        list(reasons),
        key="labeling.queue_item",
        format_func=lambda i: f"{i} · {reasons[i]}",
    )
    if item is None:
        return
    view = L.item_view(store, ls, item)
    f1, f2 = st.columns([3, 2])
    f1.markdown("**Features**")
    f1.dataframe(view.features, hide_index=True, height=300)
    f2.markdown("**Every annotator's label**")
    f2.dataframe(view.labels, hide_index=True)
    _decision_form(store, ls, item, view, sorted(set(long["label"])), user, f2)
    with st.expander("Labeling instructions (amend them in the Instructions tab)"):
        st.markdown(literal(L.current_instructions(store, project.id), multiline=True)
                    or "_None yet._")


# ----------------------------------------------------------------------- label errors
def _detection_form(store: Database, ls: L.LabelSet, cols: list[str], user: str) -> None:
    """Labels, model, folds, seed and features; the button runs and stores a detection."""
    e1, e2, e3, e4 = st.columns(4)
    source = e1.selectbox(
        "Labels to check",
        ["consensus", *cols],
        key="labeling.err_source",
        help="The current consensus, or a label column of the item dataset.",
    )
    model = e2.selectbox(
        "Model", list(L.MODELS), format_func=lambda m: L.MODELS[m], key="labeling.err_model"
    )
    folds = e3.number_input("Folds (k)", 2, 10, 5, key="labeling.err_folds")
    seed = e4.number_input("Seed", 0, 10_000, 0, key="labeling.err_seed")
    features = st.multiselect(
        "Features", cols, default=L.default_features(store, ls), key="labeling.err_features"
    )
    if not st.button("Find suspected label errors", key="labeling.err_run", type="primary",
                     disabled=not can_edit()):
        return
    with st.status("Cross-validating and scoring every label…") as status:
        try:
            L.run_label_error_detection(
                store,
                ls,
                actor=user,
                label_source=source or "consensus",
                features=features,
                model=model or "logistic",
                n_folds=int(folds),
                seed=int(seed),
            )
            status.update(label="Detection stored", state="complete")
        except StoreError as exc:
            status.update(label="Detection failed", state="error")
            st.error(message(exc))


def _run_metrics(run: pd.Series) -> None:
    r = st.columns(3)
    r[0].metric("Items scored", f"{run.n_items:,}")
    r[1].metric(
        "Suspected label errors",
        f"{run.n_flagged:,}",
        f"{run.n_flagged / max(run.n_items, 1):.1%} of items",
        delta_color="off",
    )
    r[2].metric("Out-of-fold accuracy", f"{run.oof_accuracy:.1%}")


def _send_flagged(
    store: Database, ls: L.LabelSet, flagged: pd.DataFrame, run_id: int, user: str
) -> None:
    """Pick flagged items and send them to the relabel queue (scored by self-confidence)."""
    send = st.multiselect(
        "Items to send to the relabel queue",
        flagged["item_id"].tolist(),
        default=flagged["item_id"].head(10).tolist(),
        key="labeling.err_send",
    )
    if not st.button("Send to the relabel queue", key="labeling.err_queue",
                     disabled=not can_edit()):
        return
    chosen = flagged[flagged["item_id"].isin(send)]
    try:
        n = L.send_to_queue(
            store,
            ls.id,
            chosen.assign(score=chosen["self_confidence"]),
            f"label error run {run_id}",
            user,
        )
    except StoreError as exc:
        st.error(message(exc))
    else:
        st.success(f"{n} item(s) sent to the relabel queue.")


def _detection_run(store: Database, project: ProjectRow, ls: L.LabelSet, user: str) -> None:
    """Pick a stored detection run: its figures, the flagged items, the send-to-queue step."""
    runs = L.label_error_runs(store, project.id, ls.id)
    if runs.empty:
        st.info("No detection yet: choose the labels and features, then run it.")
        return
    titles = dict(zip(runs["id"], runs["title"], strict=True))
    run_id = st.selectbox(
        "Detection run", list(titles), format_func=lambda i: titles[i], key="labeling.err_run_id"
    )
    if run_id is None:
        return
    run = runs.set_index("id").loc[run_id]
    scores = L.label_error_scores(store, run_id)
    _run_metrics(run)
    st.plotly_chart(
        charts.label_error_distribution(scores, run.thresholds), key="labeling.err_chart"
    )
    flagged = scores[scores["flagged"]]
    st.dataframe(flagged, hide_index=True, height=240)
    _send_flagged(store, ls, flagged, run_id, user)


def render_label_errors(store: Database, project: ProjectRow, ls: L.LabelSet, user: str) -> None:
    """Run the confident-learning detector, browse a stored run, send items to the queue."""
    cols = L.dataset_columns(store, ls.item_dataset_id) if ls.item_dataset_id else []
    if not cols:
        st.info("This labels set has no item dataset, so there are no features to learn from.")
        return
    _detection_form(store, ls, cols, user)
    _detection_run(store, project, ls, user)


# -------------------------------------------------------------------------------- HLP
def render_hlp(
    store: Database, project: ProjectRow, ls: L.LabelSet, version: int, user: str
) -> None:
    """Each annotator against the reference, and the HLP written into scoping on request."""
    try:
        hlp = L.hlp_for_set(store, ls, version)
    except StoreError as exc:
        st.error(message(exc))
        return
    st.metric(
        f"HLP: mean annotator accuracy vs {hlp.reference}",
        f"{hlp.hlp:.1%}",
        help=f"On {hlp.n_items:,} items of labels v{version}.",
    )
    st.plotly_chart(charts.hlp_bars(hlp), key="labeling.hlp_chart")
    st.dataframe(hlp.per_annotator, hide_index=True)
    st.dataframe(
        hlp.per_class.pivot(index="annotator", columns="class", values="f1").add_prefix("F1 class ")
    )
    if not st.button(
        "Write HLP into the scoping baselines",
        key="labeling.write_hlp",
        help="Records the HLP with its provenance in the project's scoping brief.",
            disabled=not can_edit()
    ):
        return
    try:
        L.write_hlp_baseline(store, project.id, hlp, version, user)
    except StoreError as exc:
        st.error(message(exc))
    else:
        st.success(f"HLP {hlp.hlp:.1%} written into the scoping baselines.")


# ---------------------------------------------------------------- instructions, versions
def render_instructions(store: Database, project: ProjectRow, user: str) -> None:
    """The project's labeling instructions (Markdown), amended as new versions."""
    instructions = L.list_label_instructions(store, project.id)
    current = instructions["body"].iloc[0] if len(instructions) else ""
    if len(instructions):
        st.caption(
            f"Version {instructions['version'].iloc[0]} by "
            + literal(instructions["created_by"].iloc[0])
        )
        st.markdown(literal(current, multiline=True))
    body = st.text_area(
        "Amend the instructions (shown as typed)",
        current,
        height=220,
        key="labeling.instructions",
    )
    note = st.text_input(
        "What changed and why",
        key="labeling.instructions_note",
        placeholder="e.g. rule for theft claims clarified after item C000448",
    )
    if st.button("Save as a new version", key="labeling.save_instructions",
                 disabled=not can_edit()):
        try:
            v = L.amend_instructions(store, project.id, body, note, user)
        except StoreError as exc:
            st.error(message(exc))
        else:
            st.success(f"Instructions saved as version {v}.")
    if len(instructions) > 1:
        with st.expander("Earlier versions"):
            st.dataframe(instructions, hide_index=True)


def render_versions(store: Database, ls: L.LabelSet, decisions: pd.DataFrame) -> None:
    """Every version of the labels set, and the reviewer decisions in the one shown."""
    st.dataframe(L.list_label_versions(store, ls.id), hide_index=True)
    st.markdown("**Reviewer decisions in this version**")
    st.dataframe(decisions, hide_index=True)


# ------------------------------------------------------------------ labeling in the app
def _queue_columns(store: Database, project: ProjectRow, ds, c1, c2) -> tuple:
    """Id column, hidden ground-truth column, label choices and shown columns of a new queue."""
    roles = projects.column_roles(store, project.id)
    cols = L.dataset_columns(store, ds.id)
    ids = L.id_columns(store, ds.id)
    id_col = c1.selectbox(
        "Item id column",
        ids,
        index=ids.index(roles.id) if roles.id in ids else 0,
        format_func=lambda c: "(row number)" if c == L.ROW_NUMBER else c,
        key=f"labeling.q_id.{ds.id}",
        help="Columns with one value per row; the row number when the data has none.",
    )
    truth = c2.selectbox(
        "Ground-truth column (hidden from reviewers)",
        [None, *cols],
        index=1 + cols.index(roles.target) if roles.target in cols else 0,
        format_func=lambda c: "none" if c is None else c,
        key=f"labeling.q_truth.{ds.id}",
        help="Human-level performance compares the reviewers' labels with it.",
    )
    choices = c1.text_input(
        "Label choices (comma separated)",
        ", ".join(L.class_choices(store, ds.id, truth)),
        key=f"labeling.q_choices.{ds.id}.{truth}",
    )
    shown = c2.multiselect(
        "Columns shown to reviewers",
        [c for c in cols if c != truth],
        default=[c for c in cols if c not in (truth, id_col)],
        key=f"labeling.q_columns.{ds.id}.{truth}",
    )
    return id_col, truth, choices, shown


def render_new_queue(store: Database, project: ProjectRow, user: str) -> None:
    """Create a labeling queue: dataset, id column, choices, columns shown and a sample."""
    st.caption(
        "Reviewers label the queued rows here, one at a time; each reviewer gives one label per "
        "item. Rows can also be sent from Error analysis (a slice's errors)."
    )
    datasets = L.item_datasets(store, project.id)
    if not datasets:
        st.info("Load a dataset on the Data page first.")
        return
    c1, c2 = st.columns(2)
    ds = c1.selectbox(
        "Dataset to label", datasets, format_func=lambda d: d.name, key="labeling.q_dataset"
    )
    name = c2.text_input("Name of the labels set", key="labeling.q_name")
    id_col, truth, choices, shown = _queue_columns(store, project, ds, c1, c2)
    s1, s2 = st.columns(2)
    n = s1.number_input("Random sample: rows", 1, 100_000, 50, key="labeling.q_n")
    seed = s2.number_input("Seed", 0, 1_000_000, 0, key="labeling.q_seed")
    if not st.button("Create labeling queue", key="labeling.q_create", type="primary",
                     disabled=not can_edit()):
        return
    try:
        items = L.sample_items(store, ds.id, id_col, int(n), int(seed))
        sid = L.create_label_queue(
            store,
            project.id,
            name or f"{ds.name}: labels in the app",
            dataset_id=ds.id,
            id_column=id_col,
            choices=choices,
            columns=shown,
            item_ids=items,
            source=f"random sample of {len(items)} rows, seed {int(seed)}",
            actor=user,
            ground_truth_column=truth,
        )
    except StoreError as exc:
        st.error(message(exc))
    else:
        st.success(f"Queue of {len(items)} item(s) created: label them in the Label items tab.")
        st.session_state["labeling.set"] = sid


def _queue_progress(store: Database, queue: L.LabelQueue, user: str) -> L.QueueProgress:
    progress = L.queue_progress(store, queue.id, user)
    k = st.columns(4)
    k[0].metric("Items in the queue", f"{progress.items:,}")
    k[1].metric("Labelled by you", f"{progress.yours:,}")
    k[2].metric("Labels by everyone", f"{progress.labels:,}")
    k[3].metric("Reviewers", progress.reviewers)
    st.progress(
        progress.yours / max(progress.items, 1),
        text=f"You ({literal(user)}): {progress.yours:,} of {progress.items:,} items",
    )
    return progress


def _label_buttons(store: Database, queue: L.LabelQueue, item: L.QueueItem, user: str) -> None:
    """One button per label, with the keys 1-9 as shortcuts (and Tab + Enter), and Skip (S)."""
    per_row = min(len(queue.choices), 6)
    cols = st.columns(per_row + 1)
    for i, choice in enumerate(queue.choices):
        mine = choice == item.your_label
        if cols[i % per_row].button(
            f"{choice} ✓" if mine else choice,
            key=f"labeling.task_label.{i}",
            type="primary" if mine else "secondary",
            width="stretch",
            shortcut=str(i + 1) if i < 9 else None, disabled=not can_edit()
        ):
            try:
                before = L.submit_label(store, queue.id, item.item_id, choice, user)
            except StoreError as exc:
                st.error(message(exc))
                return
            st.session_state.pop("labeling.task_pick", None)
            st.toast(literal(f"{item.item_id}: {choice}" + (f" (was {before})" if before else "")))
            st.rerun()
    if cols[-1].button("Skip", key="labeling.task_skip", width="stretch", shortcut="S"):
        st.session_state.setdefault(f"labeling.skipped.{queue.id}", []).append(item.item_id)
        st.session_state.pop("labeling.task_pick", None)
        st.rerun()


def render_label_items(
    store: Database, project: ProjectRow, queue: L.LabelQueue, user: str
) -> None:
    """The reviewer's queue: progress, one item with its columns, the instructions beside,
    the label buttons and Skip; any item can be reopened to change your label."""
    _queue_progress(store, queue, user)
    skipped = st.session_state.get(f"labeling.skipped.{queue.id}", [])
    pick = st.selectbox(
        "Item",
        [None, *L.reviewer_items(store, queue.id, user)],
        format_func=lambda i: "next item to label" if i is None else f"{i} (labelled by you)",
        key="labeling.task_pick",
        help="Reopen an item you labelled to change your label (it replaces your earlier one).",
    )
    item = (
        L.queue_item(store, queue, pick, user)
        if pick is not None
        else L.next_queue_item(store, queue, user, skipped)
    )
    if item is None:
        st.success("You have labelled every item of this queue.", icon=":material/task_alt:")
        if skipped and st.button(
            f"Show the {len(skipped)} skipped item(s) again", key="labeling.unskip"
        ):
            st.session_state.pop(f"labeling.skipped.{queue.id}", None)
            st.rerun()
        return
    left, right = st.columns([3, 2])
    left.markdown(
        f"**Item {literal(item.item_id)}**"
        + (f" · your label: **{literal(item.your_label)}**" if item.your_label else "")
    )
    left.dataframe(item.features, hide_index=True, key="labeling.task_features")
    right.markdown("**Labeling instructions**")
    right.markdown(
        literal(L.current_instructions(store, project.id), multiline=True)
        or "_None yet: write them in the Instructions tab._"
    )
    _label_buttons(store, queue, item, user)
