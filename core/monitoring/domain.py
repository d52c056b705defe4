"""Multivariate drift: can a classifier tell current rows from reference rows?"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

DOMAIN_AUC_THRESHOLD = 0.55


@dataclass(frozen=True)
class DomainClassifierDrift:
    """How well a classifier tells current rows from reference rows (0.5: not at all)."""

    roc_auc: float
    roc_auc_std: float
    threshold: float
    drifted: bool
    n_reference: int
    n_current: int
    folds: int

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame([asdict(self)])


def domain_classifier_drift(
    reference: pd.DataFrame,
    current: pd.DataFrame,
    *,
    columns: list[str] | None = None,
    folds: int = 5,
    threshold: float = DOMAIN_AUC_THRESHOLD,
    random_state: int = 0,
) -> DomainClassifierDrift:
    """Multivariate drift: cross-validated ROC AUC of reference-vs-current classification.

    A gradient-boosted classifier (scikit-learn's HistGradientBoosting, native missing
    values and categories) learns to tell the two samples apart; an AUC at or above
    ``threshold`` (0.55) means the joint distribution moved. Pass samples, e.g. from
    :func:`core.db.datasets.sample_rows` (5,000 rows a side is plenty).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> ref = pd.DataFrame({"x": rng.normal(size=300), "c": rng.choice(["a", "b"], 300)})
    >>> same = pd.DataFrame({"x": rng.normal(size=300), "c": rng.choice(["a", "b"], 300)})
    >>> moved = same.assign(x=same["x"] + 1.5)
    >>> domain_classifier_drift(ref, same).drifted, domain_classifier_drift(ref, moved).drifted
    (False, True)
    """
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.model_selection import StratifiedKFold, cross_val_score

    cols = columns or [c for c in reference.columns if c in current.columns]
    if not cols:
        raise ValueError(
            "The reference and the current data share no column to compare."
        )
    if len(reference) < folds or len(current) < folds:
        raise ValueError(
            f"Each side needs at least {folds} rows for the domain classifier."
        )
    both = pd.concat([reference[cols], current[cols]], ignore_index=True)
    for c in cols:
        if not pd.api.types.is_numeric_dtype(both[c]) or pd.api.types.is_bool_dtype(
            both[c]
        ):
            # missing values as NaN, not pandas' NA: scikit-learn's encoders sort the
            # categories and cannot compare NA with text
            text = both[c].astype("string").astype(object)
            both[c] = text.where(text.notna(), np.nan).astype("category")
            if len(both[c].cat.categories) > 250:  # HGB's limit: keep the frequent ones
                top = both[c].value_counts().index[:250]
                both[c] = (
                    both[c].where(both[c].isin(top)).cat.remove_unused_categories()
                )
    y = np.r_[np.zeros(len(reference)), np.ones(len(current))]
    model = HistGradientBoostingClassifier(
        max_iter=50, categorical_features="from_dtype", random_state=random_state
    )
    cv = StratifiedKFold(folds, shuffle=True, random_state=random_state)
    from threadpoolctl import threadpool_limits

    # one thread: on a small sample OpenMP threads fighting other sessions cost 5x
    with threadpool_limits(limits=1):
        scores = cross_val_score(model, both, y, cv=cv, scoring="roc_auc")
    auc = float(np.mean(scores))
    return DomainClassifierDrift(
        auc,
        float(np.std(scores)),
        threshold,
        auc >= threshold,
        len(reference),
        len(current),
        folds,
    )
