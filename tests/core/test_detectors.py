"""Detectors: exact detection points on seeded streams, delays and false-alarm counts."""

from __future__ import annotations

import numpy as np
import pytest

from core.monitoring.detectors import ADWIN, DDM, PageHinkley, detection_points

CHANGE = 1000
N = 2000


def _mean_shift(seed, shift):
    rng = np.random.default_rng(seed)
    return np.r_[rng.normal(0, 1, CHANGE), rng.normal(shift, 1, N - CHANGE)]


def _error_stream(seed, before, after):
    rng = np.random.default_rng(seed)
    return np.r_[rng.random(CHANGE) < before, rng.random(N - CHANGE) < after].astype(
        float
    )


def _first_after(points):
    return next((p for p in points if p >= CHANGE), None)


def test_exact_detection_points_on_seeded_streams():
    assert detection_points(PageHinkley(), _mean_shift(0, 3)) == [1016, 1922]
    assert detection_points(DDM(), _error_stream(2, 0.1, 0.3)) == [89, 1078]
    assert detection_points(ADWIN(), _mean_shift(0, 1)) == [1055]


@pytest.mark.parametrize(
    ("make", "stream", "max_delay"),
    [
        (PageHinkley, lambda s: _mean_shift(s, 3), 50),  # a 3-sd jump
        (ADWIN, lambda s: _mean_shift(s, 1), 160),  # a 1-sd jump
        (DDM, lambda s: _error_stream(s, 0.1, 0.3), 400),  # error rate 10% -> 30%
        (ADWIN, lambda s: _error_stream(s, 0.1, 0.3), 250),
    ],
)
def test_planted_change_found_within_the_stated_delay(make, stream, max_delay):
    delays = []
    for seed in range(5):
        hit = _first_after(detection_points(make(), stream(seed)))
        assert hit is not None
        delays.append(hit - CHANGE)
    assert max(delays) <= max_delay


def test_false_alarms_on_stationary_streams_of_the_same_length():
    alarms = {"PageHinkley": 0, "DDM": 0, "ADWIN": 0, "ADWIN errors": 0}
    for seed in range(10):
        rng = np.random.default_rng(100 + seed)
        values = rng.normal(0, 1, N)
        errors = (rng.random(N) < 0.1).astype(float)
        alarms["PageHinkley"] += len(detection_points(PageHinkley(), values))
        alarms["DDM"] += len(detection_points(DDM(), errors))
        alarms["ADWIN"] += len(detection_points(ADWIN(), values))
        alarms["ADWIN errors"] += len(detection_points(ADWIN(), errors))
    # counted over 10 streams of 2,000 values: ADWIN (delta=0.002) stays quiet; DDM's
    # early minimum (right after its 30-value warm start) and Page-Hinkley's sum on
    # unit-variance noise (threshold 50) raise a few, as their literature defaults do
    assert alarms == {"PageHinkley": 8, "DDM": 14, "ADWIN": 0, "ADWIN errors": 0}


def test_detector_contract():
    for det in (PageHinkley(), DDM(), ADWIN()):
        assert det.drift_detected is False
        assert det.update(0.0) is det
        with pytest.raises(AttributeError):
            det.drift_detected = True  # read-only
    with pytest.raises(ValueError):
        PageHinkley(mode="sideways")
    # after 40 correct predictions the first error is already 3 deviations above the minimum
    assert detection_points(DDM(), [0.0] * 40 + [1.0] * 3) == [40]
