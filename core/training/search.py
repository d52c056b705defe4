"""Hyperparameter search: a grid or random search whose trials are tracked child runs.

The parent's params record the space, the metric and the best trial (by its dev metric).
An invalid space raises TrainingError before anything is stored.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd

from core import scoping
from core.db.database import Database
from core.progress import Progress, no_progress
from core.training import metrics as M
from core.training.models import MODELS
from core.training.reports import default_metric
from core.training.runs import (
    close_container,
    container_guard,
    get_run,
    list_runs,
    open_container,
    overall_metrics,
    train_run,
)
from core.training.spec import TrainingError, TrainSpec

MAX_TRIALS = 30


def parse_space(model_kind: str, texts: dict[str, str]) -> dict[str, list[Any]]:
    """Comma-separated candidate values per hyperparameter, each validated.

    Examples
    --------
    >>> parse_space("hist_gradient_boosting", {"learning_rate": "0.05, 0.1", "max_depth": "3, None"})
    {'learning_rate': [0.05, 0.1], 'max_depth': [3, None]}
    """
    spec = MODELS.get(model_kind)
    if spec is None:
        raise TrainingError(f"Unknown model {model_kind!r}.")
    by_name = {p.name: p for p in spec.params}
    space: dict[str, list[Any]] = {}
    for name, text in texts.items():
        values = [v.strip() for v in str(text).split(",") if v.strip()]
        if not values:
            continue
        if name not in by_name:
            raise TrainingError(f"{spec.label} has no hyperparameter {name!r}.")
        space[name] = list(dict.fromkeys(by_name[name].coerce(v) for v in values))
    return space


def search_trials(
    space: dict[str, list[Any]], method: str, n_trials: int, seed: int
) -> list[dict[str, Any]]:
    """The parameter sets a grid or random search will try (random: distinct grid points).

    Examples
    --------
    >>> search_trials({"a": [1, 2], "b": ["x", "y"]}, "grid", 10, 0)
    [{'a': 1, 'b': 'x'}, {'a': 1, 'b': 'y'}, {'a': 2, 'b': 'x'}, {'a': 2, 'b': 'y'}]
    >>> len(search_trials({"a": [1, 2], "b": ["x", "y"]}, "random", 3, 0))
    3
    """
    if not space:
        raise TrainingError("Give at least one hyperparameter with candidate values.")
    names = list(space)
    grid = [dict(zip(names, combo, strict=True)) for combo in itertools.product(*space.values())]
    if method == "grid":
        if len(grid) > min(n_trials, MAX_TRIALS):
            raise TrainingError(
                f"The grid has {len(grid)} combinations, more than the {min(n_trials, MAX_TRIALS)} "
                "trials allowed: drop some values or use a random search."
            )
        return grid
    if method != "random":
        raise TrainingError("The search method is 'grid' or 'random'.")
    rng = np.random.default_rng(seed)
    n = min(n_trials, MAX_TRIALS, len(grid))
    return [grid[i] for i in sorted(rng.choice(len(grid), size=n, replace=False))]


def hyperparameter_search(
    store: Database,
    project_id: int,
    spec: TrainSpec,
    space: dict[str, list[Any]],
    *,
    actor: str,
    method: str = "grid",
    n_trials: int = 8,
    metric: str | None = None,
    progress: Progress | None = None,
) -> int:
    """Train ``spec`` with each trial's values over its params; returns the parent run id.

    ``metric`` (default: ``default_metric`` of the task and the scoping brief) picks the
    best trial on dev.
    """
    progress = progress or no_progress
    trials = search_trials(space, method, n_trials, spec.seed)
    t0 = time.perf_counter()
    parent = open_container(
        store,
        project_id,
        spec,
        actor,
        run_type="search",
        name=f"{method} search: {spec.model_kind} ({len(trials)} trials)",
        params={"method": method, "space": space},
    )
    children: list[int] = []
    with container_guard(store, parent, actor, t0):
        for i, combo in enumerate(trials):
            progress(i / len(trials), f"Trial {i + 1} of {len(trials)}: {combo}")
            desc = ", ".join(f"{k}={v}" for k, v in combo.items())
            trial = train_run(
                store,
                project_id,
                replace(spec, params={**spec.params, **combo}),
                actor=actor,
                parent_id=parent,
                name=f"trial {i + 1}: {desc}",
            )
            children.append(trial)
        metric, best = _best_trial(store, project_id, children, metric)
        summary = {
            "method": method,
            "space": space,
            "metric": metric,
            "best_run_id": best,
            "n_trials": len(trials),
        }
        close_container(store, parent, children, actor, t0, summary)
    progress(1.0, "Search done")
    return parent


def _best_trial(
    store: Database, project_id: int, child_ids: list[int], metric: str | None
) -> tuple[str, int | None]:
    """The ranking metric and the finished trial best on it on dev (None: no score)."""
    done = [r for r in (get_run(store, c) for c in child_ids) if r.status == "done"]
    if not metric:
        task = done[0].task_type if done else None
        metric = default_metric(task, contract=scoping.get_contract(store, project_id))
    scores = overall_metrics(store, [r.id for r in done], "dev")
    if metric not in scores.columns or not len(scores[metric].dropna()):
        return metric, None
    values = scores[metric].dropna()
    return metric, int(values.idxmax() if M.higher_is_better(metric) else values.idxmin())


def search_frame(store: Database, parent_id: int) -> pd.DataFrame:
    """The trials of a search: one row per child with its params and dev metrics."""
    parent = get_run(store, parent_id)
    children = list_runs(store, parent.project_id, parent_id=parent_id)
    if not children:
        return pd.DataFrame()
    space = list((parent.params.get("space") or {}).keys())
    wide = overall_metrics(store, [c.id for c in children], "dev")
    rows = []
    for c in children:
        row = {"run": c.id, "status": c.status, **{k: c.params.get(k) for k in space}}
        if c.id in wide.index:
            row.update(wide.loc[c.id].to_dict())
        rows.append(row)
    return pd.DataFrame(rows).sort_values("run").reset_index(drop=True)
