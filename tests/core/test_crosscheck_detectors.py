"""The error-stream detectors against river's on the same streams: exact detection indices
(Page-Hinkley, DDM, ADWIN) and ADWIN's window after every value."""

from __future__ import annotations

import numpy as np
import pytest
from river import drift

from core.monitoring.detectors import ADWIN, DDM, PageHinkley, detection_points


def _river_points(det, stream) -> list[int]:
    hits = []
    for i, x in enumerate(stream):
        det.update(float(x))
        if det.drift_detected:
            hits.append(i)
    return hits


def _streams(seed: int):
    """A 0/1 error stream and a Gaussian stream, each with one change at a random point."""
    rng = np.random.default_rng(seed)
    n = 3000
    cp = int(rng.integers(300, 2700))
    errors = np.r_[rng.random(cp) < rng.uniform(0.05, 0.3),
                   rng.random(n - cp) < rng.uniform(0.05, 0.5)].astype(float)
    gauss = np.r_[rng.normal(0, 1, cp), rng.normal(rng.uniform(-2, 2), rng.uniform(0.5, 2), n - cp)]
    return errors, gauss


@pytest.mark.parametrize("seed", range(25))
def test_detections_equal_rivers(seed: int):
    errors, gauss = _streams(seed)
    for stream in (errors, gauss):
        assert detection_points(PageHinkley(), stream) == _river_points(drift.PageHinkley(), stream)
        assert detection_points(ADWIN(), stream) == _river_points(drift.ADWIN(), stream)
    assert detection_points(DDM(), errors) == _river_points(drift.binary.DDM(), errors)


@pytest.mark.parametrize(
    "kw",
    [dict(delta=0.05, clock=1, min_window_length=2, grace_period=2),
     dict(delta=0.0001, clock=8, max_buckets=3),
     dict(delta=0.01, clock=64, max_buckets=7, min_window_length=20, grace_period=100)],
)
def test_adwin_window_follows_rivers_value_by_value(kw):
    _, gauss = _streams(99)
    ours, theirs = ADWIN(**kw), drift.ADWIN(**kw)
    for x in gauss[:2000]:
        ours.update(float(x))
        theirs.update(float(x))
        assert ours.drift_detected == theirs.drift_detected
        assert ours.width == theirs.width
        assert ours.estimation == pytest.approx(theirs.estimation, abs=1e-9)


@pytest.mark.parametrize(
    "kw",
    [dict(min_instances=10, delta=0.05, threshold=5.0, mode="up"),
     dict(threshold=20.0, alpha=0.99, mode="down"),
     dict(min_instances=100, threshold=80.0)],
)
def test_page_hinkley_settings_equal_rivers(kw):
    _, gauss = _streams(7)
    assert detection_points(PageHinkley(**kw), gauss) == _river_points(
        drift.PageHinkley(**kw), gauss)


@pytest.mark.parametrize("kw", [dict(warm_start=10), dict(warning_threshold=1.5, drift_threshold=2.5)])
def test_ddm_settings_and_warnings_equal_rivers(kw):
    errors, _ = _streams(3)
    ours, theirs = DDM(**kw), drift.binary.DDM(**kw)
    for x in errors:
        ours.update(float(x))
        theirs.update(float(x))
        assert (ours.drift_detected, ours.warning_detected) == (
            theirs.drift_detected, theirs.warning_detected)


def test_ddm_waits_for_more_than_warm_start_values():
    # river (and Gama et al.) test only after warm_start values: one error at index 30
    # after 30 correct predictions is no drift. Before the fix this detected at 30.
    stream = [0.0] * 30 + [1.0] + [0.0] * 20
    assert detection_points(DDM(), stream) == _river_points(drift.binary.DDM(), stream) == []
