"""Widgets of the Training page: the run form, a run's report card, the learning-curve,
search, compare and registry tabs."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pandas as pd
import streamlit as st

from core import training
from core.charts import training as charts
from core.data import datasets as data
from core.db.database import Database
from core.errors import StoreError
from core.training import Run, TrainSpec, registry
from core.training import metrics as M
from ui import state
from ui import training_jobs as jobs
from ui.text import message

if TYPE_CHECKING:
    from core.scoping import Contract

THRESHOLD_HELP = {
    "0.5": "0.5: flag when the positive class is more likely than not",
    "target": "meet the scoping target (recall / precision) on dev",
    "cost": "cost-optimal from the scoping error costs",
    "max_f1": "best F1 on dev",
    "custom": "a number of my choice",
}


def _param_widget(kind: str, spec: training.ParamSpec, col: Any) -> Any:
    key = f"training.p.{kind}.{spec.name}"
    if spec.choices:
        return col.selectbox(
            spec.name, spec.choices, index=spec.choices.index(spec.default), key=key, help=spec.help
        )
    low, high = spec.low, spec.high
    if spec.kind is int:
        return col.number_input(
            spec.name,
            min_value=None if low is None else int(low),
            max_value=None if high is None else int(high),
            value=spec.default,
            step=1,
            key=key,
            help=spec.help + (" Leave empty for None." if spec.nullable else ""),
        )
    return col.number_input(
        spec.name,
        min_value=None if low is None else float(low),
        max_value=None if high is None else float(high),
        value=float(spec.default),
        format="%g",
        key=key,
        help=spec.help,
    )


def run_form(
    store: Database, splits: list, contract: Contract | None
) -> tuple[TrainSpec, str | None]:
    """Split, target, features, model, hyperparameters, preprocessing, threshold and seed;
    returns the spec and the run's name (None: the default name)."""
    split, target, features = _data_widgets(store, splits, contract)
    task = training.infer_task(store, split.dataset_id, target)
    models = training.models_for(task)
    c1, c2, c3 = st.columns([2, 1, 1])
    model = c1.selectbox(
        f"Model ({task})",
        models,
        format_func=lambda m: m.label,
        key=f"training.model.{task}",
        index=next((i for i, m in enumerate(models) if m.kind.startswith("hist")), 0),
    )
    seed = c2.number_input("Seed", 0, 2**31 - 1, 0, key="training.seed")
    name = c3.text_input("Run name", key="training.name", placeholder="optional")
    with st.expander("Hyperparameters", icon=":material/tune:"):
        cols = st.columns(3)
        params = {
            p.name: _param_widget(model.kind, p, cols[i % 3]) for i, p in enumerate(model.params)
        }
    with st.expander("Preprocessing and decision threshold", icon=":material/filter_alt:"):
        cols = st.columns(len(training.PREPROCESSING_OPTIONS))
        pre = {
            k: col.selectbox(k.replace("_", " "), opts, key=f"training.pre.{k}")
            for col, (k, opts) in zip(cols, training.PREPROCESSING_OPTIONS.items(), strict=True)
        }
        threshold = _threshold_widget() if task == "classification" else None
    spec = TrainSpec(
        split.id, target, tuple(features), model.kind, params, pre, int(seed), threshold
    )
    return spec, name.strip() or None


def _data_widgets(
    store: Database, splits: list, contract: Contract | None
) -> tuple[Any, str, list[str]]:
    """The split, the target (the brief's by default) and the features."""
    c1, c2 = st.columns(2)
    split = c1.selectbox(
        "Split",
        splits,
        format_func=lambda s: f"{s.name} ({s.method}, {s.n_train:,}/{s.n_dev:,}/{s.n_test:,})",
        key="training.split",
        help="The stored train/dev/test split (Data page); its hash is the data version.",
    )
    if split is None:
        st.stop()
    columns = data.column_names(store, split.dataset_id)
    preferred = (contract.target_column if contract else None) or split.target
    target = c2.selectbox(
        "Target",
        columns,
        index=columns.index(preferred) if preferred in columns else 0,
        key="training.target",
    )
    features = st.multiselect(
        "Features",
        [c for c in columns if c != target],
        default=training.default_features(store, split.dataset_id, target, contract),
        key=f"training.features.{split.id}.{target}",
        help="Defaults to the scoping brief's inputs x; leave out leaks (anything known only after the decision).",
    )
    return split, target, features


def _threshold_widget() -> str | float:
    c1, c2 = st.columns(2)
    rule = c1.selectbox(
        "Decision threshold",
        list(THRESHOLD_HELP),
        format_func=lambda k: THRESHOLD_HELP[k],
        key="training.threshold",
        help="Binary targets: where the positive-class probability becomes a flag.",
    )
    if rule == "custom":
        return c2.number_input("Threshold", 0.001, 0.999, 0.5, key="training.threshold_value")
    return rule or "0.5"


def run_summary(store: Database, run_id: int) -> None:
    run = training.get_run(store, run_id)
    if run.status == "failed":
        st.error(f"Run #{run.id} failed: {run.error}", icon=":material/error:")
    else:
        wide = training.overall_metrics(store, [run.id], "dev")
        shown = ", ".join(
            f"{M.label(m)} {wide.at[run.id, m]:.3f}"
            for m in ("roc_auc", "f1", "mae", "rmse", "r2", "mape")
            if m in wide.columns
        )
        st.success(
            f"Run #{run.id} {run.status} in {run.duration_s:.1f} s. Dev: {shown}.",
            icon=":material/check_circle:",
        )


def _verdict_style(value: Any) -> str:
    return {"pass": "color: green", "fail": "color: red"}.get(value, "")


def run_detail(store: Database, run_id: int, contract: Contract | None, user: str) -> None:
    """A run's report card: metrics vs baselines and targets, per class, curves, registry, export."""
    run = training.get_run(store, run_id)
    st.caption(
        f"{run.model_kind} · split #{run.split_id} · data version {run.dataset_hash}/"
        f"{run.split_hash} · seed {run.seed} · {run.n_train or 0:,} train rows · "
        f"{run.duration_s or 0:.2f} s · peak +{run.peak_mem_mb or 0:.0f} MB · {run.created_by}"
    )
    if run.status == "failed":
        st.error(f"This run failed: {run.error}", icon=":material/error:")
        return
    if run.run_type != "train":
        st.info("This is a learning curve or search; its trials are the child runs in the table.")
        return
    part = (
        st.segmented_control("Part", ["dev", "test", "train"], default="dev", key="training.part")
        or "dev"
    )
    table = training.metric_comparison(store, run.id, part, contract)
    if not table.empty:
        st.dataframe(
            table.drop(columns="metric").style.map(_verdict_style, subset=["verdict"]),
            hide_index=True,
            column_config={"this run": st.column_config.NumberColumn(format="%.4f")},
            key="training.report_card",
        )
    if run.task_type == "classification":
        _classification_charts(store, run, part)
    elif run.task_type == "regression":
        st.caption(
            "Dummy baseline: the newest dummy run on this split, else the mean of the train "
            "targets predicted for every row. MAPE is a share (0.1 = 10 %) over the rows whose "
            "target is not zero; lower is better for MAE, RMSE and MAPE, higher for R²."
        )
        residuals = training.run_residuals(store, run.id, part)
        c1, c2 = st.columns(2)
        c1.plotly_chart(charts.predicted_actual_figure(residuals, part), key="training.pred_actual")
        c2.plotly_chart(charts.residual_figure(residuals, part), key="training.residuals")
    with st.expander("Params, preprocessing, features and library versions"):
        st.json(
            {
                "params": run.params,
                "preprocessing": run.preprocessing,
                "features": run.features,
                "library_versions": run.library_versions,
            }
        )
    _run_actions(store, run, user)


def _classification_charts(store: Database, run: Run, part: str) -> None:
    """Per-class metrics and the confusion matrix; ROC and reliability of a binary run."""
    c1, c2 = st.columns(2)
    c1.plotly_chart(charts.per_class_figure(training.per_class_metrics(store, run.id, part)))
    c2.plotly_chart(
        charts.confusion_figure(
            training.run_confusion(store, run.id, part), f"Confusion matrix ({part})"
        )
    )
    if run.positive_class is not None:
        c1, c2 = st.columns(2)
        c1.plotly_chart(charts.roc_figure(*training.run_roc(store, run.id, part)))
        c2.plotly_chart(charts.reliability_figure(training.run_calibration(store, run.id, part)))


def _run_actions(store: Database, run: Run, user: str) -> None:
    """Register the run's model; export the run (MLflow layout)."""
    c1, c2 = st.columns(2)
    if run.artifact_path and c1.button(
        "Register this model", key="training.register", icon=":material/inventory_2:",
        disabled=not state.can_edit(),
    ):
        try:
            vid = registry.register(store, run.id, user)
        except StoreError as exc:
            st.error(message(exc))
        else:
            st.success(f"Registered as version {registry.get_version(store, vid).version}.")
    c2.download_button(
        "Export run (MLflow layout, zip)",
        training.export_run(store, run.id),
        file_name=f"run_{run.id}.zip",
        mime="application/zip",
        key="training.export",
    )


def _pick_top_run(store: Database, project_id: int, run_type: str, label: str, key: str,
                  describe: Callable[[Run], str]) -> Run | None:
    """A selectbox over the project's top-level runs of ``run_type``; None when there is none."""
    runs = training.list_runs(store, project_id, top_level=True, run_type=run_type)
    return st.selectbox(label, runs, format_func=describe, key=key) if runs else None


def learning_curve_panel(store: Database, project_id: int, spec: TrainSpec,
                         contract: Contract | None, user: str) -> None:
    """The Learning curve tab: run one on the Train tab's configuration, plot a stored one."""
    st.caption(
        "Trains the configuration of the Train tab on each rung of the split's ladder "
        "(e.g. 10%, 25%, 50%, 100% of train) and plots the dev metric against training size."
    )
    clicked = st.button("Run learning curve", key="training.curve", icon=":material/show_chart:")
    jobs.learning_curve(store, project_id, spec, user, clicked)
    curve = _pick_top_run(store, project_id, "learning_curve", "Curve", "training.curve_pick",
                          lambda r: f"#{r.id} {r.name} ({r.status})")
    if curve is None:
        st.info("No learning curve yet.")
        return
    headline = [*M.CLASSIFICATION_HEADLINE, *M.REGRESSION_HEADLINE]
    metric = st.selectbox(
        "Metric",
        headline,
        index=headline.index(training.curve_metric(curve.task_type, contract)),
        format_func=M.label,
        key="training.curve_metric",
    )
    st.plotly_chart(
        charts.learning_curve_figure(
            training.learning_curve_frame(store, curve.id, metric),
            metric,
            hlp=training.hlp_value(contract, metric),
            target=training.contract_targets(contract).get(metric),
        )
    )


def search_panel(store: Database, project_id: int, spec: TrainSpec, contract: Contract | None,
                 user: str) -> None:
    """The Search tab: candidates per hyperparameter, the search job, a stored search's trials."""
    model = training.MODELS[spec.model_kind]
    st.caption(
        f"Search {model.label} on the Train tab's split, target and features: comma-separated "
        "candidates per hyperparameter (empty = the Train tab's value). Each trial is a tracked child run."
    )
    cols = st.columns(3)
    texts = {
        p.name: cols[i % 3].text_input(
            p.name, key=f"training.s.{model.kind}.{p.name}", placeholder=p.help or "e.g. 1, 2, 3"
        )
        for i, p in enumerate(model.params)
    }
    c1, c2 = st.columns(2)
    method = c1.radio("Method", ["grid", "random"], horizontal=True, key="training.s_method")
    n_trials = c2.number_input("Most trials", 1, training.MAX_TRIALS, 8, key="training.s_trials")
    space = None
    if st.button("Run search", key="training.search", icon=":material/manage_search:"):
        try:
            space = training.parse_space(model.kind, texts)
            training.search_trials(space, method, int(n_trials), spec.seed)
        except StoreError as exc:
            st.error(message(exc))
            space = None
    jobs.search(store, project_id, spec, space, method, int(n_trials), user)
    search = _pick_top_run(store, project_id, "search", "Search", "training.search_pick",
                           lambda r: f"#{r.id} {r.name}")
    if search is None:
        return
    trials = training.search_frame(store, search.id)
    metric = search.params.get("metric") or training.default_metric(
        search.task_type, contract=contract
    )
    st.plotly_chart(charts.search_figure(trials, list(search.params.get("space", {})), metric))
    if search.params.get("best_run_id"):
        st.success(f"Best trial: run #{search.params['best_run_id']} (dev {M.label(metric)}).")
    st.dataframe(trials, hide_index=True)


def registry_panel(store: Database, project_id: int, user: str) -> None:
    frame = registry.versions_frame(store, project_id)
    if frame.empty:
        st.info("No model is registered yet: open a finished run and register it.")
        return
    st.dataframe(frame.drop(columns="id"), hide_index=True)
    ids = frame["id"].tolist()
    labels = {
        r["id"]: f"v{r['version']} · run #{r['run']} {r['run name']} {r['alias']}"
        for _, r in frame.iterrows()
    }
    vid = st.selectbox("Version", ids, format_func=lambda i: labels[i], key="training.version")
    actions = {
        "Make champion": lambda: registry.set_alias(store, vid, "champion", user),
        "Make challenger": lambda: registry.set_alias(store, vid, "challenger", user),
        "Clear alias": lambda: registry.set_alias(store, vid, None, user),
        "Archive": lambda: registry.archive(store, vid, user),
        "Restore": lambda: registry.restore(store, vid, user),
    }
    for col, (label, action) in zip(st.columns(len(actions)), actions.items(), strict=True):
        if col.button(label, key=f"training.reg.{label.split()[-1].lower()}",
                      disabled=not state.can_edit()):
            try:
                action()
            except StoreError as exc:
                st.error(message(exc))
            else:
                st.rerun()


def filter_runs(table: pd.DataFrame) -> pd.DataFrame:
    """Status, model and text filters over the runs table."""
    c1, c2, c3 = st.columns(3)
    status = c1.multiselect("Status", sorted(table["status"].unique()), key="training.f_status")
    models = c2.multiselect("Model", sorted(table["model"].unique()), key="training.f_model")
    text = c3.text_input("Name contains", key="training.f_text")
    out = table
    if status:
        out = out[out["status"].isin(status)]
    if models:
        out = out[out["model"].isin(models)]
    if text:
        out = out[out["name"].str.contains(text, case=False, regex=False)]
    return out


def compare_panel(store: Database, project_id: int, contract: Contract | None) -> None:
    """The Compare tab: a side-by-side diff of picked runs and a metric-vs-parameter chart
    over finished top-level runs (learning-curve rungs and search trials on request)."""
    trials = st.toggle(
        "Include search and learning-curve trials",
        key="training.compare_trials",
        help="Off: only runs trained on their own (the trials are listed under their search "
        "or learning curve).",
    )
    runs = training.comparable_runs(store, project_id, include_trials=trials)
    if len(runs) < 2:
        st.info("Compare needs two finished runs: train another one in the Train tab.")
        return
    labels = {r.id: r.label for r in runs}
    picked = st.multiselect(
        "Runs to compare",
        list(labels),
        default=list(labels)[:2],
        format_func=labels.__getitem__,
        key="training.compare_all" if trials else "training.compare",
    )
    if len(picked) >= 2:
        diff = training.compare_runs(store, picked, "dev")
        only = st.toggle("Only differences", value=True, key="training.only_diff")
        st.dataframe(
            diff.settings[diff.settings["differs"]] if only else diff.settings, hide_index=True
        )
        st.dataframe(diff.metrics, hide_index=True)
    else:
        st.caption("Pick at least two runs for the side-by-side diff.")
    _metric_vs_param(training.runs_param_frame(store, project_id, "dev", trials), contract)


def _metric_vs_param(frame: pd.DataFrame, contract: Contract | None) -> None:
    """A dev metric against a parameter that varies across the runs of ``frame``."""
    params = training.varying_params(frame)
    if not params:
        st.info("No parameter takes two values across these runs: nothing to plot yet.")
        return
    metrics = [m for m in (*M.CLASSIFICATION_HEADLINE, *M.REGRESSION_HEADLINE) if m in frame]
    if not metrics:
        return
    tasks = {"regression" if m in M.REGRESSION_HEADLINE else "classification" for m in metrics}
    preferred = training.default_metric(
        "regression" if tasks == {"regression"} else "classification", contract=contract
    )
    c1, c2 = st.columns(2)
    param = c1.selectbox("Parameter", params, key="training.scatter_param")
    metric = c2.selectbox(
        "Metric (dev)",
        metrics,
        index=metrics.index(preferred) if preferred in metrics else 0,
        format_func=M.label,
        key="training.scatter_metric",
    )
    st.plotly_chart(charts.metric_vs_param_figure(frame, param, metric))
