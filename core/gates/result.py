"""What a gate returns: its checks (passed, failed, not judged, not applicable), the
verdict they add up to and the exit code a pipeline reads.

The rule, in one place: a gate passes (exit 0) only when no check failed and none was
*not judged* (a check that should have been judged but could not be: a metric the run does
not have, a column whose drift could not be computed, a rehearsal whose label guardrail was
never judged). A *not applicable* check (no champion yet to compare with, no latency budget
in the brief, no sensitive column) does not count against the gate. A gate that cannot run
at all (an unknown project, dataset, run or file) raises :class:`GateError`: exit 2.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import pandas as pd

from core.errors import StoreError

PASSED, FAILED, NOT_JUDGED, NOT_APPLICABLE = "passed", "failed", "not judged", "not applicable"
STATUSES = (PASSED, FAILED, NOT_JUDGED, NOT_APPLICABLE)
GATES = ("data", "model", "deploy")
EXIT_PASSED, EXIT_FAILED, EXIT_CANNOT_RUN = 0, 1, 2


class GateError(StoreError):
    """A gate cannot run (bad input); the message names the input and what to do."""


@dataclass(frozen=True)
class Check:
    """One check of a gate: its group (schema, drift, metric …), name, status, the value
    measured and the threshold it was held to (None when they do not apply), in words."""

    group: str
    name: str
    status: str
    value: float | None = None
    threshold: float | None = None
    detail: str = ""

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"Unknown check status {self.status!r}.")


def judged(ok: bool | None) -> str:
    """A check's status from a yes / no / unknown answer.

    >>> judged(True), judged(False), judged(None)
    ('passed', 'failed', 'not judged')
    """
    return NOT_JUDGED if ok is None else PASSED if ok else FAILED


@dataclass(frozen=True)
class GateResult:
    """A finished gate: what it checked, the checks, the settings they were held to."""

    gate: str
    project_id: int
    project: str
    subject: str
    subject_ref: dict[str, Any]
    checks: tuple[Check, ...]
    settings: dict[str, Any] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    gate_run_id: int | None = None

    @property
    def verdict(self) -> str:
        """``passed`` when no check failed or was not judged, else ``failed``."""
        bad = any(c.status in (FAILED, NOT_JUDGED) for c in self.checks)
        return FAILED if bad else PASSED

    @property
    def exit_code(self) -> int:
        return EXIT_FAILED if self.verdict == FAILED else EXIT_PASSED

    def counts(self) -> dict[str, int]:
        return {s: sum(c.status == s for c in self.checks) for s in STATUSES}

    def to_frame(self) -> pd.DataFrame:
        """One row per check: position, check_group, name, status, value, threshold, detail."""
        rows = [{"position": i, "check_group": c.group, "name": c.name, "status": c.status,
                 "value": c.value, "threshold": c.threshold, "detail": c.detail}
                for i, c in enumerate(self.checks)]
        return pd.DataFrame(rows, columns=["position", "check_group", "name", "status",
                                           "value", "threshold", "detail"])

    def to_dict(self) -> dict[str, Any]:
        """The JSON report: the gate, its subject, verdict, exit code, counts and checks."""
        return {
            "gate": self.gate, "project": self.project, "project_id": self.project_id,
            "gate_run_id": self.gate_run_id, "subject": self.subject,
            "subject_ref": self.subject_ref, "verdict": self.verdict,
            "exit_code": self.exit_code, "counts": self.counts(), "notes": list(self.notes),
            "settings": self.settings, "checks": [asdict(c) for c in self.checks],
        }
