"""The column profile of a dataset version, computed once and stored.

Type detection computes the one-pass profile (:func:`core.data.profile.profile_columns`);
the quality report needs the same profile. Both read it through :func:`column_profile`,
which returns the stored profile when one was computed for the dataset's current content
with the same inputs -- the stated valid ranges (the profile counts values outside them),
the exact-count row limit and the shape sample -- and otherwise computes and stores it.
A change to what ``profile_columns`` returns raises ``PROFILE_VERSION``.
Changing a column's stated range therefore recomputes the profile; changing only its type
does not (the profile does not depend on types).
"""

from __future__ import annotations

import hashlib
import json
import math
import time
from typing import Any

import numpy as np
import pandas as pd

from core.data.profile import EXACT_MAX_ROWS, profile_columns
from core.db import data as data_db
from core.db.database import Database

PROFILE_VERSION = 1  # raise when profile_columns' output changes meaning: old rows are ignored

Ranges = dict[str, tuple[float | None, float | None]]


def profile_params(
    ranges: Ranges | None, exact_max_rows: int, shape_sample: int | None = None
) -> tuple[dict[str, Any], str]:
    """What a profile depends on besides the data, and its key.

    A column without a stated bound is left out, so "no ranges" and "every range empty"
    have the same key.

    >>> profile_params({"a": (None, None)}, 10)[1] == profile_params(None, 10)[1]
    True
    """
    stated = {
        col: [None if lo is None else float(lo), None if hi is None else float(hi)]
        for col, (lo, hi) in sorted((ranges or {}).items())
        if lo is not None or hi is not None
    }
    params = {
        "version": PROFILE_VERSION,
        "ranges": stated,
        "exact_max_rows": int(exact_max_rows),
        "shape_sample": None if shape_sample is None else int(shape_sample),
    }
    key = hashlib.sha256(json.dumps(params, sort_keys=True).encode()).hexdigest()[:16]
    return params, key


def column_profile(
    store: Database,
    dataset_id: int,
    ranges: Ranges | None = None,
    *,
    actor: str = "workbench",
    exact_max_rows: int = EXACT_MAX_ROWS,
    shape_sample: int | None = None,
) -> pd.DataFrame:
    """:func:`core.data.profile.profile_columns` of the dataset, read back when stored for
    its current content and these inputs, else computed and stored (``shape_sample`` None:
    ``profile_columns``' own, ``SHAPE_SAMPLE`` rows)."""
    params, key = profile_params(ranges, exact_max_rows, shape_sample)
    text = data_db.get_column_profile(store, dataset_id, key)
    if text is not None:
        return profile_from_json(text)
    t0 = time.perf_counter()
    sample = {} if shape_sample is None else {"shape_sample": int(shape_sample)}
    profile = profile_columns(store, dataset_id, ranges, exact_max_rows=exact_max_rows, **sample)
    data_db.insert_column_profile(
        store,
        dataset_id,
        key,
        json.dumps(params),
        profile_to_json(profile),
        time.perf_counter() - t0,
        actor,
    )
    return profile


def _plain(v: Any) -> Any:
    """A profile cell as JSON holds it: numpy scalars as Python ones, missing as None."""
    if isinstance(v, np.generic):
        v = v.item()
    if v is None or v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, float) and math.isnan(v):
        return None
    return v


def profile_to_json(profile: pd.DataFrame) -> str:
    """The profile frame as JSON: its columns, their dtypes and its rows."""
    return json.dumps(
        {
            "columns": [str(c) for c in profile.columns],
            "dtypes": [str(t) for t in profile.dtypes],
            "rows": [[_plain(v) for v in row] for row in profile.itertuples(index=False)],
        },
        default=str,
    )


def profile_from_json(text: str) -> pd.DataFrame:
    """The frame :func:`profile_to_json` wrote, with its dtypes."""
    d = json.loads(text)
    frame = pd.DataFrame(d["rows"], columns=d["columns"])
    for col, dtype in zip(d["columns"], d["dtypes"], strict=True):
        frame[col] = frame[col].astype(dtype) if dtype != "object" else frame[col]
    return frame
