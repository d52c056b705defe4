"""What a run learns from: class labels as text, the positive class, feature types, and the
defaults the Train form offers (task, features).

Class labels are strings everywhere (``"1"``, not ``1``): the predictions table stores them
as text, and the positive class is compared as text.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from core.db import datasets as datasets_db
from core.db import types
from core.db.database import Database
from core.training.spec import TrainingError

if TYPE_CHECKING:
    from core.scoping import Contract


def as_labels(values: pd.Series) -> pd.Series:
    """Class labels as text; integer-valued numbers lose their '.0' ("1", not "1.0").

    Examples
    --------
    >>> as_labels(pd.Series([1.0, 0.0, None])).tolist()
    ['1', '0', None]
    """
    s = values
    if pd.api.types.is_bool_dtype(s):
        out = s.map(lambda v: None if pd.isna(v) else str(bool(v)))
    elif pd.api.types.is_numeric_dtype(s):
        num = pd.to_numeric(s, errors="coerce")
        finite = num.dropna()
        if len(finite) and np.all(np.mod(finite.to_numpy(dtype=float), 1) == 0):
            out = num.map(lambda v: None if pd.isna(v) else str(int(v)))
        else:
            out = num.map(lambda v: None if pd.isna(v) else repr(float(v)))
    else:
        out = s.map(lambda v: None if pd.isna(v) else str(v))
    out = out.astype(object)
    return out.where(out.notna(), None)


def default_positive_class(
    classes: list[str], counts: pd.Series | None = None, preferred: str | None = None
) -> str | None:
    """The positive class of a binary target: the scoping's, else '1'/'True'/'yes', else the rarer."""
    if len(classes) != 2:
        return None
    if preferred is not None and str(preferred) in classes:
        return str(preferred)
    for c in ("1", "True", "true", "yes", "Yes", "positive"):
        if c in classes:
            return c
    if counts is not None:
        return str(counts.reindex(classes).fillna(0).idxmin())
    return max(classes)


def feature_types(frame: pd.DataFrame, features: list[str]) -> tuple[list[str], list[str]]:
    """Numeric and categorical features; date/time features are refused with a remedy."""
    numeric, categorical = [], []
    for col in features:
        s = frame[col]
        if pd.api.types.is_datetime64_any_dtype(s) or pd.api.types.is_timedelta64_dtype(s):
            raise TrainingError(
                f"Feature {col!r} is a date/time. Leave it out, or derive numeric features "
                "from it (age in days, hour, weekday) in the data first."
            )
        if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
            numeric.append(col)
        else:
            categorical.append(col)
    return numeric, categorical


def infer_task(store: Database, dataset_id: int, target: str) -> str:
    """'regression' for a numeric target with many distinct values, else 'classification'."""
    frame = datasets_db.dataset_frame(store, dataset_id, columns=[target], limit=50_000)
    s = frame[target].dropna()
    numeric = pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s)
    if numeric and (s.nunique() > 20 or not np.all(np.mod(s.to_numpy(dtype=float), 1) == 0)):
        return "regression"
    return "classification"


def default_features(
    store: Database, dataset_id: int, target: str | None, contract: Contract | None = None
) -> list[str]:
    """The scoping's feature list when it fits the dataset, else every usable column.

    Usable: not the target, not a date/time, not an identifier-like text column (most
    values distinct).
    """
    schema = datasets_db.dataset_schema(store, dataset_id)
    names = [c for c, _ in schema]
    brief = contract.feature_columns if contract is not None else []
    wanted = [c for c in brief if c in names and c != target]
    if wanted:
        return wanted
    sample = datasets_db.dataset_frame(store, dataset_id, limit=5000)
    out = []
    for col, dtype in schema:
        if col == target or types.is_temporal(dtype):
            continue
        s = sample[col]
        if not pd.api.types.is_numeric_dtype(s) and s.nunique() > 0.5 * max(len(s), 1):
            continue
        out.append(col)
    return out
