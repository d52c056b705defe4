"""Data page widgets: class balance and the split builder (issue 4, part B).

The Data page calls ``render_balance`` and ``render_splits`` with the chosen dataset; every
number comes from ``core.data.splits`` and every figure from ``core.charts.splits``.
"""

from __future__ import annotations

from datetime import date

import streamlit as st

from core import config
from core.charts import splits as charts
from core.data import splits as core_splits
from core.db import datasets as datasets_db
from core.db import splits as splits_db
from core.db.database import Database
from core.db.datasets import DatasetRow
from core.db.projects import ProjectRow
from core.errors import StoreError
from ui import state

_PCT = st.column_config.NumberColumn(format="percent")


def _target_picker(
    columns: list[str],
    key: str,
    label: str,
    default: str | None,
    allow_none: bool = False,
) -> str | None:
    options = ([None] if allow_none else []) + columns
    index = options.index(default) if default in options else 0
    return st.selectbox(
        label,
        options,
        index=index,
        key=key,
        format_func=lambda c: "(none)" if c is None else c,
    )


# ----------------------------------------------------------------------------- balance
def render_balance(store: Database, project: ProjectRow, dataset: DatasetRow) -> None:
    """Class balance of a dataset's target: bar chart, rare classes, imbalance ratio; for a
    long-form labels dataset also the label distribution per annotator."""
    columns = [c for c, _ in datasets_db.dataset_schema(store, dataset.id)]
    if not columns:
        st.info("This dataset has no columns.")
        return
    is_labels = core_splits.is_labels_dataset(store, dataset.id)
    default = "label" if is_labels else core_splits.suggest_target(columns)
    left, right = st.columns(2)
    with left:
        target = _target_picker(
            columns, f"data.balance_target.{dataset.id}", "Target (class label)", default
        )
    rare_default = config.get_float("WORKBENCH_RARE_CLASS_SHARE")
    rare_share = right.slider(
        "Rare below this share",
        0.001,
        0.25,
        float(rare_default),
        step=0.001,
        format="%.3f",
        key=f"data.balance_rare.{dataset.id}",
        help="Classes with a smaller share of the rows are flagged as rare "
        "(default from WORKBENCH_RARE_CLASS_SHARE).",
    )
    try:
        result = core_splits.class_balance(store, dataset.id, target, rare_share=rare_share)
    except StoreError as exc:
        st.error(str(exc))
        return
    if result.n_classes == 0:
        st.warning(f"{target!r} has no value in any row: there is nothing to balance.")
        return
    c1, c2, c3, c4 = st.columns(4)
    c1.metric("Classes", result.n_classes)
    c2.metric(
        "Imbalance ratio",
        f"{result.imbalance_ratio:,.1f} : 1",
        help="Rows of the largest class per row of the smallest.",
    )
    c3.metric("Rare classes", len(result.rare), help=f"Share below {rare_share:.1%}.")
    c4.metric("Rows without a value", f"{result.n_missing:,}")
    if result.n_classes == 1:
        st.warning(
            f"{target!r} has one class only ({result.classes[0]!r}): a classifier "
            "cannot learn from it. Pick another target or add data with other outcomes."
        )
    elif result.rare:
        shown = ", ".join(str(c) for c in result.rare[:10])
        st.warning(
            f"Rare class(es): {shown}. Use a stratified split so each part gets some, collect "
            "or augment more examples, and read per-class metrics rather than accuracy.",
            icon=":material/flag:",
        )
    if result.n_classes > 1 and result.imbalance_ratio >= 10:
        st.info(
            "The classes are strongly imbalanced: judge models by recall/precision per "
            "class or ROC AUC, and consider class weights.",
            icon=":material/balance:",
        )
    st.plotly_chart(charts.class_balance_figure(result), key=f"data.balance_chart.{dataset.id}")
    st.dataframe(result.to_frame(), hide_index=True, column_config={"share": _PCT})

    if is_labels:
        st.subheader("Labels per annotator")
        try:
            dist = core_splits.annotator_label_distribution(store, dataset.id)
        except StoreError as exc:
            st.error(str(exc))
            return
        st.caption(
            "A reviewer whose label shares differ from the others' labels more leniently "
            "or strictly; the Labeling page measures agreement item by item."
        )
        st.plotly_chart(
            charts.annotator_distribution_figure(dist),
            key=f"data.annotator_chart.{dataset.id}",
        )
        wide = dist.pivot_table(
            index=["annotator", "n_items"],
            columns="label",
            values="share",
            aggfunc="sum",
            fill_value=0.0,
        ).reset_index()
        wide.columns = [
            str(c) if c in ("annotator", "n_items") else f"share {c}" for c in wide.columns
        ]
        st.dataframe(
            wide,
            hide_index=True,
            column_config={c: _PCT for c in wide.columns if c.startswith("share ")},
        )


# ------------------------------------------------------------------------------ splits
def render_splits(store: Database, project: ProjectRow, dataset: DatasetRow) -> None:
    """The split builder for a dataset, its stored splits and each split's parts side by side."""
    kinds = core_splits.column_kinds(store, dataset.id)
    columns = list(kinds)
    if not columns:
        st.info("This dataset has no columns to split on.")
        return
    _split_builder(store, project, dataset, columns, kinds)

    stored = splits_db.list_splits(store, project.id, dataset.id)
    st.subheader("Stored splits")
    if not stored:
        st.info("No split of this dataset yet: build one above.")
        return
    st.dataframe(
        core_splits.splits_frame(stored),
        hide_index=True,
        column_config={
            "hash": st.column_config.TextColumn(
                "hash",
                help="Covers the dataset version and every row's part and ladder rung.",
            )
        },
    )
    _inspect_split(store, dataset, stored, columns, kinds)


def _split_builder(
    store: Database,
    project: ProjectRow,
    dataset: DatasetRow,
    columns: list[str],
    kinds: dict[str, str],
) -> None:
    st.subheader("Build a split")
    method = (
        st.segmented_control(
            "Method",
            list(core_splits.METHODS),
            format_func=core_splits.METHODS.get,
            default="stratified",
            key=f"data.split_method.{dataset.id}",
            help="Random keeps the data's order out of it; stratified keeps class shares equal in "
            "every part; time-based trains on the past and tests on the future; group-based keeps "
            "all rows of a customer, patient… in one part.",
        )
        or "stratified"
    )
    time_cols = [c for c, k in kinds.items() if k == "datetime"]
    if method == "time" and not time_cols:
        st.info("This dataset has no date or time column, so it cannot be split by time.")
        return
    target_default = core_splits.suggest_target(columns)
    n_stored = len(splits_db.list_splits(store, project.id))
    with st.form(f"data.split_form.{dataset.id}"):
        left, right = st.columns(2)
        name = left.text_input(
            "Split name",
            key=f"data.split_name.{dataset.id}.{method}.{n_stored}",
            value=core_splits.unique_split_name(store, project.id, f"{dataset.name}_{method}"),
        )
        needs_target = method in ("stratified", "stratified_by_column")
        with right:
            target = _target_picker(
                columns,
                f"data.split_target.{dataset.id}",
                "Target",
                target_default,
                allow_none=not needs_target,
            )
        stratify_column = group_column = time_column = None
        cutoffs: tuple[date, date] | None = None
        if method == "stratified_by_column":
            others = [c for c in columns if c != target_default] or columns
            stratify_column = st.selectbox(
                "Also stratify by", others, key=f"data.split_stratify.{dataset.id}"
            )
        if method == "group":
            group_column = st.selectbox(
                "Group column (kept whole)", columns, key=f"data.split_group.{dataset.id}"
            )
        shares = (0.7, 0.15, 0.15)
        if method == "time":
            time_column = st.selectbox(
                "Time column", time_cols, key=f"data.split_time.{dataset.id}"
            )
            guess = core_splits.suggest_time_cutoffs(store, dataset.id, time_cols[0]) or (
                date.today(),
                date.today(),
            )
            t1, t2 = st.columns(2)
            cut1 = t1.date_input("Train before", guess[0], key=f"data.split_cut1.{dataset.id}")
            cut2 = t2.date_input(
                "Dev before (test from then on)", guess[1], key=f"data.split_cut2.{dataset.id}"
            )
            cutoffs = (cut1, cut2)
        else:
            s1, s2, s3 = st.columns(3)
            shares = (
                s1.number_input(
                    "Train share", 0.0, 1.0, 0.7, 0.05, key=f"data.split_train.{dataset.id}"
                ),
                s2.number_input(
                    "Dev share", 0.0, 1.0, 0.15, 0.05, key=f"data.split_dev.{dataset.id}"
                ),
                s3.number_input(
                    "Test share", 0.0, 1.0, 0.15, 0.05, key=f"data.split_test.{dataset.id}"
                ),
            )
        c1, c2 = st.columns(2)
        seed = c1.number_input(
            "Seed",
            0,
            2**31 - 1,
            0,
            1,
            key=f"data.split_seed.{dataset.id}",
            help="The same seed gives the same split (same hash).",
        )
        ladder = c2.multiselect(
            "Learning ladder (shares of train, nested)",
            [0.05, 0.1, 0.25, 0.5, 0.75, 1.0],
            default=list(core_splits.DEFAULT_LADDER),
            format_func=lambda r: f"{r:.0%}",
            key=f"data.split_ladder.{dataset.id}",
            help="Nested subsets of train for learning curves: start small, add data.",
        )
        submitted = st.form_submit_button(
            "Create split", type="primary", key=f"data.split_create.{dataset.id}"
        )
    if not submitted:
        return
    try:
        with st.spinner("Assigning rows to train, dev and test…"):
            split_id = core_splits.create_split(
                store,
                project.id,
                dataset.id,
                name,
                method=method,
                target=target,
                shares=shares,
                seed=int(seed),
                stratify_column=stratify_column,
                time_column=time_column,
                time_cutoffs=cutoffs,
                group_column=group_column,
                ladder=ladder,
                actor=state.current_user(),
            )
    except StoreError as exc:
        st.error(str(exc), icon=":material/error:")
        return
    split = splits_db.get_split(store, split_id)
    st.session_state[f"data.split_inspect.{dataset.id}"] = split_id
    st.success(
        f"Stored split {split.name!r}: {split.n_train:,} train, {split.n_dev:,} dev, "
        f"{split.n_test:,} test rows (hash {split.content_hash}).",
        icon=":material/check:",
    )
    for text in split.params.get("warnings", []):
        st.warning(text, icon=":material/flag:")


def _inspect_split(
    store: Database,
    dataset: DatasetRow,
    stored: list,
    columns: list[str],
    kinds: dict[str, str],
) -> None:
    by_id = {s.id: s for s in stored}
    key = f"data.split_inspect.{dataset.id}"
    if st.session_state.get(key) not in by_id:
        st.session_state[key] = stored[-1].id
    split_id = st.selectbox(
        "Inspect split", list(by_id), key=key, format_func=lambda i: by_id[i].name
    )
    split = by_id[split_id]
    st.caption(core_splits.describe_split(split))
    st.plotly_chart(
        charts.split_sizes_figure(
            {"train": split.n_train, "dev": split.n_dev, "test": split.n_test}
        ),
        key=f"data.split_sizes.{dataset.id}",
    )
    chosen = st.multiselect(
        "Columns to compare across parts",
        columns,
        default=core_splits.comparison_columns(store, split, kinds),
        key=f"data.split_columns.{split.id}",
    )
    if split.target and split.target in kinds:
        missing = core_splits.missing_classes(store, split.id, split.target)
        for part, classes in missing.items():
            st.warning(
                f"{part} has no row of class {', '.join(map(str, classes))} of "
                f"{split.target!r}: its metrics there are undefined. Try a stratified "
                "split or another seed.",
                icon=":material/flag:",
            )
    if not chosen:
        return
    try:
        summary = core_splits.split_summary(store, split.id, chosen)
    except StoreError as exc:
        st.error(str(exc))
        return
    shown_col = st.selectbox(
        "Chart",
        chosen,
        key=f"data.split_chart_column.{split.id}",
        help="The column whose distribution per part is drawn; the table lists all.",
    )
    st.plotly_chart(
        charts.split_parts_figure(summary, shown_col),
        key=f"data.split_parts_chart.{split.id}",
    )
    st.caption(
        "Each part's share of every value; max gap is the largest difference between "
        "parts (a time or group split differs on purpose in its own column)."
    )
    shown = summary.rename(columns=lambda c: c.replace("_", " "))
    st.dataframe(
        shown,
        hide_index=True,
        column_config={c: _PCT for c in shown.columns if c.endswith(("share", "max gap"))},
    )
