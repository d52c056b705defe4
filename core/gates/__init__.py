"""Gates a pipeline runs outside the browser (CI/CD/CT): data, model and deploy gates with
their checks, their reports (text, JUnit XML, JSON), their stored runs, and continuous
training as a command.

Modules
-------
* ``result``   ``Check``, ``GateResult``, ``GateError``; statuses and the exit-code rule
* ``inputs``   the project, reference and candidate found by name (a file is ingested)
* ``data``     the data gate: schema, types, ranges, nulls, categories, drift, label balance
* ``model``    the model gate: brief targets and floors, champion, slices, latency
* ``slices``   the model gate's slice floors (sensitive columns, marked slices)
* ``scoring``  a model scored on a split's test part with the training stage's code
* ``deploy``   the deploy gate: a rehearsal's verdict
* ``reports``  the text table, JUnit XML in pytest's layout, JSON
* ``store``    gate runs stored and read back for the pages
* ``cli``      ``python -m core.gate``
* ``retrain``  ``python -m core.retrain``: retrain, register a challenger, gate it, pre-fill
  a canary rehearsal
"""

from core.gates.result import (
    EXIT_CANNOT_RUN,
    EXIT_FAILED,
    EXIT_PASSED,
    FAILED,
    GATES,
    NOT_APPLICABLE,
    NOT_JUDGED,
    PASSED,
    Check,
    GateError,
    GateResult,
)
from core.gates.store import (
    gate_run_checks,
    gate_runs_frame,
    list_gate_runs,
    pending_canary,
    save_gate_run,
)

__all__ = [
    "EXIT_CANNOT_RUN",
    "EXIT_FAILED",
    "EXIT_PASSED",
    "FAILED",
    "GATES",
    "NOT_APPLICABLE",
    "NOT_JUDGED",
    "PASSED",
    "Check",
    "GateError",
    "GateResult",
    "gate_run_checks",
    "gate_runs_frame",
    "list_gate_runs",
    "pending_canary",
    "save_gate_run",
]
