"""16 sessions writing at once through the functions the pages call: nothing lost, no
traceback, every refusal a message (bench/load.py prints the same figures)."""

from __future__ import annotations

from bench.load import run_load
from core.db.database import Database


def test_sixteen_sessions_write_at_once_and_nothing_is_lost(demo_store: Database):
    report = run_load(demo_store, sessions=16, timeout=300)
    print("\n".join(report.lines()))
    assert not report.crashes, report.crashes[0]
    assert not report.lost, report.lost
    assert all(sum(c.values()) == 16 for c in report.outcomes.values())
    assert len(report.outcomes) == 9
    # every "create if absent" made exactly one row; the rest were told why
    for kind in ("dataset (shared name)", "labels set (shared)", "split (shared name)",
                 "acknowledgement"):
        assert report.outcomes[kind]["stored"] == 1
        assert report.outcomes[kind]["refused"] == 15
    assert report.outcomes["brief"]["stored"] == 16
    assert all(text.split(": ", 1)[1] for text in report.refusals)
