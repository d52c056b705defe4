"""Who decides: the incumbent (the recorded human process or a model version) and the
candidate (a model version), both behind one small ``Decider`` protocol.

A classifier's score is P(positive class) (``predict_proba``); a regression model's score is
its prediction (``predict``), and the human incumbent of a regression is the numeric column
of the current process's estimates. ``scores`` asks a decider for the score of its task; the
task comes from the model's training run (else the project's brief), never from a name."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import pandas as pd

from core.db.database import Database
from core.deploy.settings import DeployError


class Decider(Protocol):
    """Anything that decides: a model version or the recorded human process."""

    @property
    def name(self) -> str:
        """How the page names it."""
        ...

    @property
    def features(self) -> list[str]:
        """The columns ``predict_proba`` reads."""
        ...

    @property
    def is_model(self) -> bool:
        """A model (timed, scored in batches) rather than a recorded decision."""
        ...

    @property
    def threshold(self) -> float | None:
        """Its own decision threshold (None: the settings' or 0.5)."""
        ...

    def predict_proba(self, frame: pd.DataFrame) -> np.ndarray:
        """P(positive class) per row, shape (n,)."""
        ...


def task_of(d: Any) -> str:
    """A decider's task: "regression" or "classification" (the default of a decider that
    does not say)."""
    return "regression" if getattr(d, "task", "classification") == "regression" else "classification"


def scores(d: Any, frame: pd.DataFrame) -> np.ndarray:
    """The decider's score per row: P(positive) for a classifier, the prediction for a
    regression (shape (n,), NaN where it has no answer)."""
    return d.predict(frame) if task_of(d) == "regression" else d.predict_proba(frame)


@dataclass
class HumanDecider:
    """The recorded human decision (``column``) as a decider with full confidence."""

    column: str
    positive_class: str = "1"
    name: str = "Human process"
    is_model: bool = False
    threshold: float | None = 0.5
    task: str = "classification"

    @property
    def features(self) -> list[str]:
        return [self.column]

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        """A regression's human incumbent: the recorded estimates as numbers (NaN where
        missing or not a number)."""
        return pd.to_numeric(frame[self.column], errors="coerce").to_numpy(dtype=float)

    def predict_proba(self, frame: pd.DataFrame) -> np.ndarray:
        col = frame[self.column]
        out = (as_label(col) == str(self.positive_class)).astype(float)
        out[col.isna().to_numpy()] = np.nan
        return out


@dataclass
class ModelDecider:
    """A fitted classifier or regression model with its feature list; ``from_version`` loads
    a registry version and takes its task from the training run."""

    model: Any
    features: list[str]
    positive_class: str = "1"
    name: str = "model"
    version_id: int | None = None
    is_model: bool = True
    threshold: float | None = None  # the run's own decision threshold, when it set one
    task: str = "classification"

    @classmethod
    def from_version(cls, store: Database, version_id: int) -> ModelDecider:
        from core import training
        from core.training import registry

        mv = registry.get_version(store, version_id)
        run = training.get_run(store, mv.run_id)
        model = registry.load_model(store, version_id)
        alias = f" {mv.alias}" if mv.alias else ""
        name = f"v{mv.version}{alias} ({run.model_kind})"
        thr = run.params.get("decision_threshold")
        try:
            thr = float(thr) if thr is not None else None
        except (TypeError, ValueError):
            thr = None
        task = _run_task(store, run)
        return cls(
            model,
            list(run.features),
            str(run.positive_class or "1"),
            name,
            int(version_id),
            threshold=None if task == "regression" else thr,
            task=task,
        )

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        """A regression model's predictions, shape (n,)."""
        return np.asarray(self.model.predict(frame[self.features]), dtype=float).reshape(-1)

    def predict_proba(self, frame: pd.DataFrame) -> np.ndarray:
        proba = np.asarray(self.model.predict_proba(frame[self.features]))
        classes = [str(c) for c in getattr(self.model, "classes_", [0, 1])]
        if self.positive_class not in classes:
            raise DeployError(
                f"The model {self.name} has no class {self.positive_class!r} (it knows "
                f"{', '.join(classes)}); it cannot score this stream."
            )
        return proba[:, classes.index(self.positive_class)].astype(float)


def _run_task(store: Database, run: Any) -> str:
    """The run's task ("regression" or "classification"); a run that did not record it
    takes the project's brief's."""
    task = getattr(run, "task_type", None)
    if task in ("regression", "classification"):
        return task
    from core.deploy.settings import task_of_contract
    from core.scoping import get_contract

    return task_of_contract(get_contract(store, run.project_id))


def make_decider(
    store: Database,
    spec: str | int,
    human_column: str | None,
    positive_class: str = "1",
    task: str = "classification",
) -> Decider:
    """``"human"`` (the recorded decision column; for a ``task`` "regression", the
    column of the current process's estimates) or a model version id."""
    if spec == "human":
        if not human_column:
            raise DeployError(
                "Comparing with the current process needs the column holding its decisions: "
                "pick it under 'Stream columns' (the project's incumbent decision column)."
            )
        return HumanDecider(human_column, positive_class, task=task)
    return ModelDecider.from_version(store, int(spec))


def as_label(s: pd.Series) -> np.ndarray:
    """Labels as strings so that 1, 1.0, '1' and True-like ints compare equal.

    >>> as_label(pd.Series([1, 1.0, "1", "yes"])).tolist()
    ['1', '1', '1', 'yes']
    """
    out = np.empty(len(s), dtype=object)
    num = pd.to_numeric(s, errors="coerce")
    is_int = num.notna() & (num == num.round())
    out[:] = s.astype(str).to_numpy()
    out[is_int.to_numpy()] = num[is_int].astype("int64").astype(str).to_numpy()
    return out
