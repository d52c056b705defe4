"""Test data for the browser journeys: scikit-learn's bundled public data sets, renamed so
that no column is named like the demo's, without any date or time column.

The bundled sets are small (569 and 442 rows), so each file is a *bootstrap* of them:

* the original rows are split once (seeded) into a training pool (75%) and a held-out
  pool (25%), so the production stream never repeats a training row;
* each file draws rows from its pool **with replacement** and adds a little seeded
  Gaussian jitter to every continuous feature (standard deviation = ``JITTER`` × the
  column's standard deviation in the original data), so resampled rows are not exact
  copies; binary or coded columns (the target, ``sex_code``) are not jittered;
* every row gets a fresh identifier (``patient_ref`` / ``visit_ref``), as a real export
  would.

The drifted batch for monitoring is a held-out resample in which one feature is shifted
by ``SHIFT_SDS`` standard deviations and another scaled by ``SCALE`` (its labels are kept,
so a challenger can be retrained on it).
"""

from __future__ import annotations

import gzip
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

JITTER = 0.05  # noise sd as a share of the column's sd
SHIFT_SDS = 4.0  # the drifted batch's shift of one feature, in standard deviations
SCALE = 1.5  # the drifted batch's factor on another feature
HELD_OUT = 0.25


@dataclass(frozen=True)
class JourneyData:
    """Everything a journey uploads, and the names it needs to pick in the browser."""

    name: str  # project name
    training: Path  # .csv.gz
    stream: Path  # production stream with labels (held-out resample)
    drifted: Path  # a drifted batch with labels
    target: str
    id_column: str
    positive_class: str | None
    shifted: str  # the feature shifted by SHIFT_SDS sds in the drifted batch
    scaled: str  # the feature scaled by SCALE in the drifted batch
    n_training: int
    n_stream: int
    n_drifted: int


BREAST_CANCER_NAMES = {  # sklearn's "mean radius" -> "radius_mean", "worst area" -> "area_worst"
    **{f"mean {f}": f"{f.replace(' ', '_')}_mean" for f in (
        "radius", "texture", "perimeter", "area", "smoothness", "compactness", "concavity",
        "concave points", "symmetry", "fractal dimension")},
    **{f"{f} error": f"{f.replace(' ', '_')}_se" for f in (
        "radius", "texture", "perimeter", "area", "smoothness", "compactness", "concavity",
        "concave points", "symmetry", "fractal dimension")},
    **{f"worst {f}": f"{f.replace(' ', '_')}_worst" for f in (
        "radius", "texture", "perimeter", "area", "smoothness", "compactness", "concavity",
        "concave points", "symmetry", "fractal dimension")},
}
DIABETES_NAMES = {
    "age": "age_years", "sex": "sex_code", "bmi": "body_mass_index", "bp": "blood_pressure",
    "s1": "serum_tc", "s2": "serum_ldl", "s3": "serum_hdl", "s4": "serum_tch_ratio",
    "s5": "serum_ltg_log", "s6": "serum_glucose",
}


def _resample(pool: pd.DataFrame, n: int, rng: np.random.Generator, sds: pd.Series,
              jittered: list[str]) -> pd.DataFrame:
    """``n`` rows drawn from ``pool`` with replacement, jittered on ``jittered`` columns."""
    rows = pool.iloc[rng.integers(0, len(pool), n)].reset_index(drop=True)
    noise = rng.normal(0.0, 1.0, (n, len(jittered))) * (JITTER * sds[jittered].to_numpy())
    rows[jittered] = (rows[jittered].to_numpy(dtype=float) + noise).round(5)
    return rows


def _with_ids(frame: pd.DataFrame, column: str, prefix: str, start: int) -> pd.DataFrame:
    ids = [f"{prefix}-{i:06d}" for i in range(start, start + len(frame))]
    return pd.concat([pd.Series(ids, name=column), frame], axis=1)


def _write(frame: pd.DataFrame, path: Path) -> Path:
    if path.suffix == ".gz":
        with gzip.open(path, "wt", encoding="utf-8", newline="") as fh:
            frame.to_csv(fh, index=False)
    else:
        frame.to_csv(path, index=False)
    return path


def _build(original: pd.DataFrame, *, folder: Path, stem: str, name: str, target: str,
           id_column: str, id_prefix: str, positive_class: str | None, shifted: str,
           scaled: str, not_jittered: tuple[str, ...], n_training: int, n_stream: int,
           n_drifted: int, seed: int) -> JourneyData:
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(original))
    n_held = int(round(HELD_OUT * len(original)))
    held, pool = original.iloc[order[:n_held]], original.iloc[order[n_held:]]
    sds = original.std(numeric_only=True)
    jittered = [c for c in original.columns if c != target and c not in not_jittered]

    training = _with_ids(_resample(pool, n_training, rng, sds, jittered), id_column,
                         id_prefix, 1)
    stream = _with_ids(_resample(held, n_stream, rng, sds, jittered), id_column,
                       id_prefix, 500_001)
    drifted = _resample(held, n_drifted, rng, sds, jittered)
    drifted[shifted] = (drifted[shifted] + SHIFT_SDS * sds[shifted]).round(5)
    drifted[scaled] = (drifted[scaled] * SCALE).round(5)
    drifted = _with_ids(drifted, id_column, id_prefix, 800_001)
    folder.mkdir(parents=True, exist_ok=True)
    return JourneyData(
        name=name,
        training=_write(training, folder / f"{stem}_train.csv.gz"),
        stream=_write(stream, folder / f"{stem}_stream.csv"),
        drifted=_write(drifted, folder / f"{stem}_drifted_batch.csv"),
        target=target, id_column=id_column, positive_class=positive_class,
        shifted=shifted, scaled=scaled,
        n_training=n_training, n_stream=n_stream, n_drifted=n_drifted,
    )


def breast_cancer_journey(folder: Path, seed: int = 7) -> JourneyData:
    """Binary: is a tumour malignant (1) or benign (0)? 30 numeric features, no time.

    sklearn codes benign as 1; here ``malignant`` = 1 for malignant, the class to flag
    (212 of 569 rows, 37%)."""
    from sklearn.datasets import load_breast_cancer

    raw = load_breast_cancer(as_frame=True).frame
    frame = raw.drop(columns="target").rename(columns=BREAST_CANCER_NAMES)
    frame["malignant"] = (raw["target"] == 0).astype(int)
    return _build(frame, folder=folder, stem="tumours", name="Tumour triage",
                  target="malignant", id_column="patient_ref", id_prefix="PT",
                  positive_class="1", shifted="radius_worst", scaled="texture_mean",
                  not_jittered=(), n_training=4000, n_stream=2000, n_drifted=1000, seed=seed)


def diabetes_journey(folder: Path, seed: int = 11) -> JourneyData:
    """Regression: disease progression one year after baseline (25–346), 10 features,
    unscaled (age in years, sex coded 1/2, BMI, blood pressure, six serum measurements)."""
    from sklearn.datasets import load_diabetes

    raw = load_diabetes(as_frame=True, scaled=False).frame
    frame = raw.rename(columns={**DIABETES_NAMES, "target": "progression_1y"})
    return _build(frame, folder=folder, stem="progression", name="Disease progression",
                  target="progression_1y", id_column="visit_ref", id_prefix="VR",
                  positive_class=None, shifted="body_mass_index", scaled="serum_ltg_log",
                  not_jittered=("sex_code",), n_training=3000, n_stream=1500, n_drifted=800,
                  seed=seed)
