"""Labeling page widgets: labels import, label-error detection, instructions (issue 5)."""

from __future__ import annotations

import streamlit as st

from core import labeling as L
from core.charts import labeling as charts
from core.db import datasets as datasets_db
from core.db import labeling as labeling_db
from core.db.database import Database
from core.db.projects import ProjectRow
from core.errors import StoreError


def render_import(store: Database, project: ProjectRow, user: str) -> None:
    """Upload a CSV of labels (long or wide form) and store it as a new labels set."""
    st.caption(
        "Long form: one row per label with columns like `item_id`, `annotator`, `label` and "
        "optionally `labeled_at`. Wide form: an id column and one column per annotator."
    )
    upload = st.file_uploader("Labels CSV", type=["csv", "txt"], key="labeling.upload")
    c1, c2 = st.columns(2)
    form = c1.radio(
        "Form",
        ["auto", "long", "wide"],
        horizontal=True,
        key="labeling.form",
        help="auto: long when annotator and label columns are found, else wide.",
    )
    name = c2.text_input("Name of the labels set", key="labeling.import_name")
    datasets = [d for d in datasets_db.list_datasets(store, project.id) if d.role != "labels"]
    ds = c1.selectbox(
        "Item dataset (whose rows were labelled)",
        [None, *datasets],
        key="labeling.item_dataset",
        format_func=lambda d: "none: labels only" if d is None else d.name,
        help="Lets the relabel queue show each item's features and the label-error detector "
        "learn from them.",
    )
    id_col = truth = None
    if ds is not None:
        cols = [c for c, _ in datasets_db.dataset_schema(store, ds.id)]
        id_col = c2.selectbox("Item id column", cols, key="labeling.id_column")
        truth = c2.selectbox(
            "Ground-truth column (optional)",
            [None, *cols],
            key="labeling.truth_column",
            format_func=lambda c: "none" if c is None else c,
        )
    keep_latest = c1.checkbox(
        "When an annotator labelled an item twice, keep the latest label",
        key="labeling.keep_latest",
    )
    drop_unknown = c1.checkbox(
        "Drop labels of items the item dataset does not hold",
        key="labeling.drop_unknown",
    )
    if st.button("Import labels", key="labeling.import", type="primary", disabled=upload is None):
        try:
            long = L.read_labels_csv(upload.getvalue(), form=form)
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
            st.error(str(exc))
        else:
            st.success(
                f"Imported {report.n_labels} labels of {report.n_items} items by "
                f"{report.n_annotators} annotator(s) as version 1 "
                f"({report.dropped_duplicates} duplicate and {report.dropped_unknown} unknown-item "
                "label(s) dropped)."
            )
            st.session_state["labeling.set"] = report.label_set_id


def render_label_errors(store: Database, project: ProjectRow, ls: L.LabelSet, user: str) -> None:
    """Run the confident-learning detector, browse a stored run, send items to the queue."""
    cols = [c for c, _ in datasets_db.dataset_schema(store, ls.item_dataset_id)] if ls.item_dataset_id else []
    if not cols:
        st.info("This labels set has no item dataset, so there are no features to learn from.")
    else:
        e1, e2, e3, e4 = st.columns(4)
        source = e1.selectbox(
            "Labels to check",
            ["consensus", *cols],
            key="labeling.err_source",
            help="The current consensus, or a label column of the item dataset.",
        )
        model = e2.selectbox(
            "Model", list(L.MODELS), format_func=L.MODELS.get, key="labeling.err_model"
        )
        folds = e3.number_input("Folds (k)", 2, 10, 5, key="labeling.err_folds")
        seed = e4.number_input("Seed", 0, 10_000, 0, key="labeling.err_seed")
        features = st.multiselect(
            "Features",
            cols,
            default=L.default_features(store, ls),
            key="labeling.err_features",
        )
        if st.button("Find suspected label errors", key="labeling.err_run", type="primary"):
            with st.status("Cross-validating and scoring every label…") as status:
                try:
                    L.run_label_error_detection(
                        store,
                        ls,
                        actor=user,
                        label_source=source,
                        features=features,
                        model=model,
                        n_folds=int(folds),
                        seed=int(seed),
                    )
                    status.update(label="Detection stored", state="complete")
                except StoreError as exc:
                    status.update(label="Detection failed", state="error")
                    st.error(str(exc))
        runs = L.label_error_runs(store, project.id, ls.id)
        if runs.empty:
            st.info("No detection yet: choose the labels and features, then run it.")
        else:
            titles = dict(zip(runs["id"], runs["title"], strict=True))
            run_id = st.selectbox(
                "Detection run",
                list(titles),
                format_func=titles.get,
                key="labeling.err_run_id",
            )
            run = runs.set_index("id").loc[run_id]
            scores = labeling_db.label_error_scores(store, run_id)
            r = st.columns(3)
            r[0].metric("Items scored", f"{run.n_items:,}")
            r[1].metric(
                "Suspected label errors",
                f"{run.n_flagged:,}",
                f"{run.n_flagged / max(run.n_items, 1):.1%} of items",
                delta_color="off",
            )
            r[2].metric("Out-of-fold accuracy", f"{run.oof_accuracy:.1%}")
            st.plotly_chart(
                charts.label_error_distribution(scores, run.thresholds),
                key="labeling.err_chart",
            )
            flagged = scores[scores["flagged"]]
            st.dataframe(flagged, hide_index=True, height=240)
            send = st.multiselect(
                "Items to send to the relabel queue",
                flagged["item_id"].tolist(),
                default=flagged["item_id"].head(10).tolist(),
                key="labeling.err_send",
            )
            if st.button("Send to the relabel queue", key="labeling.err_queue"):
                try:
                    n = L.send_to_queue(
                        store,
                        ls.id,
                        flagged[flagged["item_id"].isin(send)].assign(
                            score=lambda d: d["self_confidence"]
                        ),
                        f"label error run {run_id}",
                        user,
                    )
                except StoreError as exc:
                    st.error(str(exc))
                else:
                    st.success(f"{n} item(s) sent to the relabel queue.")


def render_instructions(store: Database, project: ProjectRow, user: str) -> None:
    """The project's labeling instructions (Markdown), amended as new versions."""
    instructions = labeling_db.list_label_instructions(store, project.id)
    current = instructions["body"].iloc[0] if len(instructions) else ""
    if len(instructions):
        st.caption(
            f"Version {instructions['version'].iloc[0]} by {instructions['created_by'].iloc[0]}"
        )
        st.markdown(current)
    body = st.text_area(
        "Amend the instructions (Markdown)",
        current,
        height=220,
        key="labeling.instructions",
    )
    note = st.text_input(
        "What changed and why",
        key="labeling.instructions_note",
        placeholder="e.g. rule for theft claims clarified after item C000448",
    )
    if st.button("Save as a new version", key="labeling.save_instructions"):
        if not body.strip() or body == current:
            st.error("Change the text before saving a new version.")
        else:
            v = labeling_db.insert_label_instructions(store, project.id, body, note, user)
            st.success(f"Instructions saved as version {v}.")
    if len(instructions) > 1:
        with st.expander("Earlier versions"):
            st.dataframe(instructions, hide_index=True)
