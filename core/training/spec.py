"""What a run trains: the ``TrainSpec`` shared by a run, a learning curve and a search.

DESIGN
------
* One frozen value holds the recipe (split, target, features, model kind with its
  hyperparameters, preprocessing, decision threshold, seed, positive class, ladder share),
  so ``train_run``, ``learning_curve`` and ``hyperparameter_search`` take the same thing and
  a learning-curve rung or a search trial is the spec with one field replaced.
* A spec is not validated when built: a run records its spec first and then fails with the
  error (unknown model, bad hyperparameter), so bad input is stored, never raised.
* Stored runs keep the decision threshold among their params (``decision_threshold``, and
  the rule it came from as ``threshold_rule``); a spec built from such params takes the
  threshold out (an explicit ``threshold`` wins), so ``params`` holds hyperparameters only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from core.errors import StoreError

if TYPE_CHECKING:
    from core.db.training import RunRow

# Not a model hyperparameter: binary runs may set it as a number in (0, 1) or a rule of
# core.training.metrics.choose_threshold ("0.5", "cost", "max_f1", "target"); the resolved
# value is stored in the run's params (with "threshold_rule") and used for ``y_pred``.
THRESHOLD_PARAM = "decision_threshold"


class TrainingError(StoreError):
    """Bad training input; the message says what is wrong and what to do."""


@dataclass(frozen=True)
class TrainSpec:
    """The recipe of a run: what to fit on which split, and how.

    ``threshold`` is the decision rule of a binary run (None: 0.5); ``positive_class``
    None takes the scoping brief's (when its target is this one), else a guess;
    ``max_ladder`` trains on the split's ladder rungs up to that share of train.

    Examples
    --------
    >>> s = TrainSpec(1, "y", ["x"], "logistic_regression", {"C": 0.5, "decision_threshold": "max_f1"})
    >>> s.params, s.threshold, s.features
    ({'C': 0.5}, 'max_f1', ('x',))
    >>> s.stored_params()
    {'C': 0.5, 'decision_threshold': 'max_f1'}
    """

    split_id: int
    target: str
    features: tuple[str, ...]
    model_kind: str
    params: dict[str, Any] = field(default_factory=dict)
    preprocessing: dict[str, Any] = field(default_factory=dict)
    seed: int = 0
    threshold: str | float | None = None
    positive_class: str | None = None
    max_ladder: float | None = None

    def __post_init__(self) -> None:
        params = dict(self.params)
        threshold = params.pop(THRESHOLD_PARAM, None)
        params.pop("threshold_rule", None)  # stored beside the resolved threshold; not a param
        set_ = object.__setattr__  # a frozen dataclass normalises its own fields
        set_(self, "params", params)
        set_(self, "threshold", self.threshold if self.threshold is not None else threshold)
        set_(self, "features", tuple(self.features))
        set_(self, "preprocessing", dict(self.preprocessing))
        set_(self, "seed", int(self.seed))

    @property
    def threshold_rule(self) -> str | float:
        """The decision rule to resolve: the spec's, or "0.5"."""
        return "0.5" if self.threshold is None else self.threshold

    def stored_params(self) -> dict[str, Any]:
        """The params a run records before it trains: hyperparameters and the threshold."""
        if self.threshold is None:
            return dict(self.params)
        return {**self.params, THRESHOLD_PARAM: self.threshold}

    @classmethod
    def from_run(cls, run: RunRow, **changes: Any) -> TrainSpec:
        """The recipe of a stored run (its resolved threshold included), with ``changes``."""
        if run.split_id is None or run.target is None:
            raise TrainingError(f"Run #{run.id} has no split or target to train again.")
        fields = {
            "split_id": run.split_id,
            "target": run.target,
            "features": tuple(run.features),
            "model_kind": run.model_kind,
            "params": run.params,
            "preprocessing": run.preprocessing,
            "seed": run.seed or 0,
            "positive_class": run.positive_class,
        }
        return cls(**{**fields, **changes})
