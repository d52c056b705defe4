"""Training runs, tracked like MLflow: record, train, finish or fail; read them back.

DESIGN
------
* A run = a ``TrainSpec`` (split + target + features + preprocessing + model kind with
  hyperparameters + threshold + seed). ``train_run`` records it as 'running' first, then
  as 'done' with its metrics per part, per-row predictions and the saved model, or as
  'failed' with the error. Bad input (one class in train, an all-null feature, a wrong
  hyperparameter) fails the run, never the caller, and writes nothing else.
* Learning curves and hyperparameter searches are parent runs (``run_type``
  'learning_curve' or 'search') whose trials are ordinary child runs (``parent_id``):
  ``open_container`` records the parent, ``close_container`` finishes it from its children.
"""

from __future__ import annotations

import platform
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import pandas as pd

from core import scoping
from core.db import datasets as datasets_db
from core.db import splits as splits_db
from core.db import training as training_db
from core.db.database import Database
from core.db.training import RunRow
from core.errors import StoreError
from core.progress import Progress, no_progress
from core.training import registry
from core.training.fit import Fitted, fit_and_score
from core.training.models import MODELS, check_preprocessing
from core.training.spec import THRESHOLD_PARAM, TrainingError, TrainSpec

if TYPE_CHECKING:
    from core.scoping import Contract

Run = RunRow  # the training stage's name for a stored run


def get_run(store: Database, run_id: int) -> Run:
    """A stored run; TrainingError when it does not exist."""
    run = training_db.get_run(store, run_id)
    if run is None:
        raise TrainingError("That run does not exist (any more).")
    return run


def list_runs(store: Database, project_id: int, **filters: Any) -> list[Run]:
    """Runs of a project, newest first; ``filters`` are those of the repository's
    ``list_runs`` (parent_id, top_level, status, split_id, model_kind, run_type)."""
    return training_db.list_runs(store, project_id, **filters)


def overall_metrics(store: Database, run_ids: list[int], part: str) -> pd.DataFrame:
    """One row per run, one column per overall metric of ``part``."""
    long = training_db.run_metrics(store, run_ids, part)
    long = long[long["class"].isna()]
    if long.empty:
        return pd.DataFrame(index=pd.Index([], name="run_id"))
    return long.pivot_table(index="run_id", columns="metric", values="value", aggfunc="first")


# ----------------------------------------------------------------------- one run
def train_run(
    store: Database,
    project_id: int,
    spec: TrainSpec,
    *,
    actor: str,
    name: str | None = None,
    progress: Progress | None = None,
    parent_id: int | None = None,
    save_model: bool = True,
) -> int:
    """Train and evaluate one model on a stored split; returns the run id.

    The run is stored as 'failed' with its error on any exception (bad input included);
    otherwise as 'done' with metrics per part, per-row predictions and, when
    ``save_model``, the fitted Pipeline (skops, hashed). Check ``get_run(store, id).status``.
    """
    progress = progress or no_progress
    contract = scoping.get_contract(store, project_id)
    if (
        spec.positive_class is None
        and contract is not None
        and contract.target_column == spec.target
    ):
        spec = replace(spec, positive_class=contract.positive_class)
    run_id = _insert_run(
        store,
        project_id,
        spec,
        actor,
        name=name,
        parent_id=parent_id,
        params=spec.stored_params(),
        max_ladder=spec.max_ladder,
        positive_class=None if spec.positive_class is None else str(spec.positive_class),
    )
    t0 = time.perf_counter()
    mem = _PeakMemory()
    artifact: tuple[str, str] | None = None
    try:
        with mem:
            fitted, params, pre = _fit(store, project_id, spec, contract, progress)
            if save_model:
                progress(0.85, "Saving the model")
                artifact = registry.save_artifact(fitted.pipeline, project_id, f"run_{run_id}")
        progress(0.95, "Storing metrics and predictions")
        _finish(store, run_id, actor, fitted, params, pre, artifact, t0, mem.mb)
    except BaseException as exc:  # noqa: BLE001 - any failure is the run's outcome, stored
        if artifact is not None:
            (registry.artifact_root() / artifact[0]).unlink(missing_ok=True)
        training_db.fail_run(
            store,
            run_id,
            actor,
            _error_text(exc),
            {"duration_s": _since(t0), "peak_mem_mb": mem.mb if hasattr(mem, "peak") else None},
        )
        if not isinstance(exc, Exception):
            # a stopped script run or a shutdown: the run is stored as failed, and the stop
            # goes on (never left 'running' until the next server start)
            raise
    progress(1.0, "Done")
    return run_id


def _fit(
    store: Database,
    project_id: int,
    spec: TrainSpec,
    contract: Contract | None,
    progress: Progress,
) -> tuple[Fitted, dict[str, Any], dict[str, str]]:
    """Validate the spec against the store and the catalogue, then fit and score."""
    split = splits_db.get_split(store, spec.split_id)
    if split is None or split.project_id != project_id:
        raise TrainingError("That split does not exist in this project (any more).")
    model = MODELS.get(spec.model_kind)
    if model is None:
        raise TrainingError(f"Unknown model {spec.model_kind!r}; use one of {', '.join(MODELS)}.")
    params = model.coerce(spec.params)
    pre = check_preprocessing(spec.preprocessing)
    fitted = fit_and_score(store, split, spec, model, params, pre, contract, progress)
    if fitted.threshold is not None:
        params[THRESHOLD_PARAM] = fitted.threshold
        params["threshold_rule"] = str(spec.threshold_rule)
    return fitted, params, pre


def _finish(
    store: Database,
    run_id: int,
    actor: str,
    fitted: Fitted,
    params: dict[str, Any],
    pre: dict[str, str],
    artifact: tuple[str, str] | None,
    t0: float,
    peak_mem_mb: float,
) -> None:
    training_db.finish_run(
        store,
        run_id,
        actor,
        metrics=fitted.metrics,
        predictions=fitted.predictions,
        updates={
            "params": params,
            "preprocessing": {**pre, **fitted.notes},
            "positive_class": fitted.positive_class,
            "task_type": fitted.task,
            "n_train": fitted.n_train,
            "duration_s": _since(t0),
            "peak_mem_mb": peak_mem_mb,
            "artifact_path": artifact[0] if artifact else None,
            "artifact_sha256": artifact[1] if artifact else None,
        },
    )


def _insert_run(
    store: Database, project_id: int, spec: TrainSpec, actor: str, name: str | None, **fields: Any
) -> int:
    """Record a run as 'running' with its spec and data version (dataset and split hashes)."""
    split = splits_db.get_split(store, spec.split_id)
    dataset = datasets_db.get_dataset(store, split.dataset_id) if split else None
    model = MODELS.get(spec.model_kind)
    if name is None:
        name = (model.label if model else spec.model_kind) + (f" on {split.name}" if split else "")
    return training_db.insert_run(
        store,
        project_id,
        actor,
        name=name,
        model_kind=spec.model_kind,
        preprocessing=spec.preprocessing,
        split_id=spec.split_id,
        dataset_id=split.dataset_id if split else None,
        dataset_hash=dataset.content_hash if dataset else None,
        split_hash=split.content_hash if split else None,
        target=spec.target,
        task_type=model.task if model else None,
        features=list(spec.features),
        library_versions=library_versions(),
        seed=spec.seed,
        **fields,
    )


def _since(t0: float) -> float:
    return round(time.perf_counter() - t0, 3)


def _error_text(exc: BaseException) -> str:
    if isinstance(exc, StoreError):
        return str(exc)
    if not isinstance(exc, Exception):
        return f"Stopped before it finished ({type(exc).__name__}): train it again."
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}".strip()[:2000]


def library_versions() -> dict[str, str]:
    """Versions of Python and the libraries a run's results depend on."""
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": platform.python_version()}
    for pkg in ("scikit-learn", "numpy", "pandas", "skops", "duckdb"):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            pass
    return out


class _PeakMemory:
    """Peak growth of the process's resident memory while a block runs (sampled every 20 ms).

    Process-wide on purpose: tracemalloc is global state that concurrent sessions would
    start and stop under each other.
    """

    def __enter__(self) -> _PeakMemory:  # noqa: PYI034
        import psutil

        self._proc = psutil.Process()
        self.start = self.peak = self._proc.memory_info().rss
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self) -> None:
        while not self._stop.wait(0.02):
            self.peak = max(self.peak, self._proc.memory_info().rss)

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self._proc.memory_info().rss)

    @property
    def mb(self) -> float:
        return round((self.peak - self.start) / 2**20, 1)


# ------------------------------------------------------------ parents of trials
def open_container(
    store: Database,
    project_id: int,
    spec: TrainSpec,
    actor: str,
    *,
    run_type: str,
    name: str,
    params: dict[str, Any],
) -> int:
    """Record the parent run of a learning curve or a search (its trials are child runs)."""
    return _insert_run(store, project_id, spec, actor, name, run_type=run_type, params=params)


def close_container(
    store: Database,
    parent_id: int,
    child_ids: list[int],
    actor: str,
    t0: float,
    params: dict[str, Any],
) -> None:
    """Finish a parent run: done when a trial is done, else failed with the trials' errors."""
    children = [get_run(store, c) for c in child_ids]
    updates = {"duration_s": _since(t0), "params": params}
    if any(c.status == "done" for c in children):
        no_metrics = pd.DataFrame(columns=["part", "metric", "class", "value"])
        training_db.finish_run(
            store, parent_id, actor, metrics=no_metrics, predictions=None, updates=updates
        )
    else:
        errors = "; ".join(sorted({c.error or "" for c in children}))[:1500]
        training_db.fail_run(store, parent_id, actor, f"Every trial failed: {errors}", updates)


@contextmanager
def container_guard(store: Database, parent_id: int, actor: str, t0: float) -> Iterator[None]:
    """Fail the parent run when its trials end early (an error, a stopped page, a shutdown),
    so a learning curve or a search is never left 'running'; the exception goes on."""
    try:
        yield
    except BaseException as exc:
        training_db.fail_run(store, parent_id, actor, _error_text(exc), {"duration_s": _since(t0)})
        raise
