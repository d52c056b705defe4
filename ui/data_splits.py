"""Data page widgets: class balance and the split builder.

The Data page calls ``render_balance`` and ``render_splits`` with the chosen dataset; every
number comes from ``core.data`` (balance, splits, split_views) and every figure from
``core.charts.splits``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

import streamlit as st

from core import config, data
from core.charts import splits as charts
from core.data import BalanceResult, DatasetRow, SplitRow
from core.db.database import Database
from core.db.projects import ProjectRow
from core.errors import StoreError
from ui import state

_PCT = st.column_config.NumberColumn(format="percent")
LADDER_CHOICES = [0.05, 0.1, 0.25, 0.5, 0.75, 1.0]


def _target_picker(
    columns: list[str],
    key: str,
    label: str,
    default: str | None,
    allow_none: bool = False,
) -> str | None:
    options: list[str | None] = ([None] if allow_none else []) + list(columns)
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
    columns = data.column_names(store, dataset.id)
    if not columns:
        st.info("This dataset has no columns.")
        return
    is_labels = data.is_labels_dataset(store, dataset.id)
    default = "label" if is_labels else data.default_target(store, dataset.id)
    left, right = st.columns(2)
    with left:
        target = _target_picker(columns, f"data.balance_target.{dataset.id}", "Target", default)
    if target is None:
        return
    if data.target_kind(store, dataset.id, target) == "numeric":
        _numeric_target(store, dataset, target)
        return
    rare_share = right.slider(
        "Rare below this share",
        0.001,
        0.25,
        float(config.get_float("WORKBENCH_RARE_CLASS_SHARE")),
        step=0.001,
        format="%.3f",
        key=f"data.balance_rare.{dataset.id}",
        help="Classes with a smaller share of the rows are flagged as rare "
        "(default from WORKBENCH_RARE_CLASS_SHARE).",
    )
    try:
        result = data.class_balance(store, dataset.id, target, rare_share=rare_share)
    except StoreError as exc:  # e.g. an identifier picked as the target: advice, not a crash
        st.warning(str(exc), icon=":material/info:")
        return
    if result.n_classes == 0:
        st.warning(f"{target!r} has no value in any row: there is nothing to balance.")
        return
    _balance_metrics(result, rare_share)
    _balance_advice(result)
    st.plotly_chart(charts.class_balance_figure(result), key=f"data.balance_chart.{dataset.id}")
    st.dataframe(result.to_frame(), hide_index=True, column_config={"share": _PCT})
    if is_labels:
        _annotator_distribution(store, dataset)


def _numeric_target(store: Database, dataset: DatasetRow, target: str) -> None:
    """A number to predict (regression): its distribution and quantiles, not classes."""
    dist = data.target_distribution(store, dataset.id, target)
    st.caption(
        f"{target!r} is a number with many distinct values: a regression target. Training "
        "predicts it (MAE, RMSE); a stratified split keeps its quintiles equal in every part."
    )
    c1, c2, c3, c4 = st.columns(4)
    c1.metric("Rows with a value", f"{dist.n:,}")
    c2.metric("Median", f"{dist.quantile(0.5):,.4g}")
    c3.metric(
        "Middle half",
        f"{dist.quantile(0.25):,.4g} – {dist.quantile(0.75):,.4g}",
        help="From the 25% to the 75% quantile.",
    )
    c4.metric("Rows without a value", f"{dist.n_missing:,}", help="Empty, NaN or infinite.")
    st.plotly_chart(charts.target_distribution_figure(dist), key=f"data.target_chart.{dataset.id}")
    st.dataframe(dist.to_frame(), hide_index=True)


def _balance_metrics(result: BalanceResult, rare_share: float) -> None:
    c1, c2, c3, c4 = st.columns(4)
    c1.metric("Classes", result.n_classes)
    c2.metric(
        "Imbalance ratio",
        f"{result.imbalance_ratio:,.1f} : 1",
        help="Rows of the largest class per row of the smallest.",
    )
    c3.metric("Rare classes", len(result.rare), help=f"Share below {rare_share:.1%}.")
    c4.metric("Rows without a value", f"{result.n_missing:,}")


def _balance_advice(result: BalanceResult) -> None:
    """What a single class, rare classes or a strong imbalance mean for training."""
    if result.n_classes == 1:
        st.warning(
            f"{result.target!r} has one class only ({result.classes[0]!r}): a classifier "
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


def _annotator_distribution(store: Database, dataset: DatasetRow) -> None:
    st.subheader("Labels per annotator")
    try:
        dist = data.annotator_label_distribution(store, dataset.id)
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
    wide.columns = [str(c) if c in ("annotator", "n_items") else f"share {c}" for c in wide.columns]
    st.dataframe(
        wide,
        hide_index=True,
        column_config={c: _PCT for c in wide.columns if c.startswith("share ")},
    )


# ------------------------------------------------------------------------------ splits
def render_splits(store: Database, project: ProjectRow, dataset: DatasetRow) -> None:
    """The split builder for a dataset, its stored splits and each split's parts side by side."""
    kinds = data.column_kinds(store, dataset.id)
    columns = list(kinds)
    if not columns:
        st.info("This dataset has no columns to split on.")
        return
    _split_builder(store, project, dataset, columns, kinds)

    stored = data.list_splits(store, project.id, dataset.id)
    st.subheader("Stored splits")
    if not stored:
        st.info("No split of this dataset yet: build one above.")
        return
    st.dataframe(
        data.splits_frame(stored),
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
    method = _method_picker(dataset)
    time_cols = [c for c, k in kinds.items() if k == "datetime"]
    if method == "time" and not time_cols:
        st.info(
            "This dataset has no date or time column, so it cannot be split by time. "
            "**File order** keeps the rows' order instead: the first rows train, the next "
            "dev, the last test (use it when the file is sorted by time).",
            icon=":material/schedule:",
        )
        return
    target_default = data.default_target(store, dataset.id)
    n_stored = len(data.list_splits(store, project.id))
    with st.form(f"data.split_form.{dataset.id}"):
        left, right = st.columns(2)
        name = left.text_input(
            "Split name",
            key=f"data.split_name.{dataset.id}.{method}.{n_stored}",
            value=data.unique_split_name(store, project.id, f"{dataset.name}_{method}"),
        )
        with right:
            target = _target_picker(
                columns,
                f"data.split_target.{dataset.id}",
                "Target",
                target_default,
                allow_none=method not in ("stratified", "stratified_by_column"),
            )
        request = _method_inputs(store, dataset, method, columns, target_default, time_cols)
        request.update(_seed_and_ladder(dataset))
        submitted = st.form_submit_button(
            "Create split", type="primary", key=f"data.split_create.{dataset.id}",
            disabled=not state.can_edit(),
        )
    if submitted:
        _create_split(store, project, dataset, name, method=method, target=target, **request)


def _method_picker(dataset: DatasetRow) -> str:
    return (
        st.segmented_control(
            "Method",
            list(data.METHODS),
            format_func=lambda m: data.METHODS[m],
            default="stratified",
            key=f"data.split_method.{dataset.id}",
            help="Random keeps the data's order out of it; stratified keeps class shares (or a "
            "numeric target's quintiles) equal in every part; time-based trains on the past and "
            "tests on the future; file order does the same by row order when there is no date "
            "column; group-based keeps all rows of a customer, patient… in one part.",
        )
        or "stratified"
    )


def _method_inputs(
    store: Database,
    dataset: DatasetRow,
    method: str,
    columns: list[str],
    target_default: str | None,
    time_cols: list[str],
) -> dict[str, Any]:
    """The method's own column (stratify, group or time), and cutoffs or shares."""
    did = dataset.id
    if method == "stratified_by_column":
        others = [c for c in columns if c != target_default] or columns
        column = st.selectbox("Also stratify by", others, key=f"data.split_stratify.{did}")
        return {"stratify_column": column, "shares": _shares(did)}
    if method == "group":
        column = st.selectbox("Group column (kept whole)", columns, key=f"data.split_group.{did}")
        return {"group_column": column, "shares": _shares(did)}
    if method != "time":
        return {"shares": _shares(did)}
    time_column = st.selectbox("Time column", time_cols, key=f"data.split_time.{did}")
    guess = data.suggest_time_cutoffs(store, did, time_cols[0]) or (date.today(), date.today())
    t1, t2 = st.columns(2)
    cut1 = t1.date_input("Train before", guess[0], key=f"data.split_cut1.{did}")
    cut2 = t2.date_input("Dev before (test from then on)", guess[1], key=f"data.split_cut2.{did}")
    return {"time_column": time_column, "time_cutoffs": (cut1, cut2)}


def _shares(did: int) -> tuple[float, float, float]:
    s1, s2, s3 = st.columns(3)
    return (
        s1.number_input("Train share", 0.0, 1.0, 0.7, 0.05, key=f"data.split_train.{did}"),
        s2.number_input("Dev share", 0.0, 1.0, 0.15, 0.05, key=f"data.split_dev.{did}"),
        s3.number_input("Test share", 0.0, 1.0, 0.15, 0.05, key=f"data.split_test.{did}"),
    )


def _seed_and_ladder(dataset: DatasetRow) -> dict[str, Any]:
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
        LADDER_CHOICES,
        default=list(data.DEFAULT_LADDER),
        format_func=lambda r: f"{r:.0%}",
        key=f"data.split_ladder.{dataset.id}",
        help="Nested subsets of train for learning curves: start small, add data.",
    )
    return {"seed": int(seed), "ladder": ladder}


def _create_split(
    store: Database, project: ProjectRow, dataset: DatasetRow, name: str, **request: Any
) -> None:
    """Store the split, select it for inspection and say what was stored."""
    try:
        with st.spinner("Assigning rows to train, dev and test…"):
            split_id = data.create_split(
                store, project.id, dataset.id, name, actor=state.current_user(), **request
            )
    except StoreError as exc:
        st.error(str(exc), icon=":material/error:")
        return
    split = data.get_split(store, split_id)
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
    stored: Sequence[SplitRow],
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
    st.caption(data.describe_split(split))
    st.plotly_chart(
        charts.split_sizes_figure(
            {"train": split.n_train, "dev": split.n_dev, "test": split.n_test}
        ),
        key=f"data.split_sizes.{dataset.id}",
    )
    chosen = st.multiselect(
        "Columns to compare across parts",
        columns,
        default=data.comparison_columns(store, split, kinds),
        key=f"data.split_columns.{split.id}",
    )
    _missing_class_warnings(store, split, kinds)
    if chosen:
        _parts_side_by_side(store, split, chosen)


def _missing_class_warnings(store: Database, split: SplitRow, kinds: dict[str, str]) -> None:
    if not (split.target and split.target in kinds):
        return
    for part, classes in data.missing_classes(store, split.id, split.target).items():
        st.warning(
            f"{part} has no row of class {', '.join(map(str, classes))} of "
            f"{split.target!r}: its metrics there are undefined. Try a stratified "
            "split or another seed.",
            icon=":material/flag:",
        )


def _parts_side_by_side(store: Database, split: SplitRow, chosen: list[str]) -> None:
    try:
        summary = data.split_summary(store, split.id, chosen)
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
