"""A gate's result for people and for CI systems: a short text table, JUnit XML shaped as
pytest's ``--junitxml`` writes it (``testsuites`` > ``testsuite`` > ``testcase`` with
``failure`` or ``skipped``), and JSON.

JUnit rule: a *failed* check is a ``<failure message="failed: …">``, a *not judged* one a
``<failure message="not judged: …">`` (never a pass: CI shows it red), a *not applicable*
one ``<skipped type="not applicable">``; a passed check is a bare ``<testcase>``. The
elements and attributes are those pytest's ``--junitxml`` writes (xunit2).
"""

from __future__ import annotations

import json
import socket
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from pathlib import Path

from core.gates.result import FAILED, NOT_APPLICABLE, NOT_JUDGED, PASSED, GateResult

_MARK = {PASSED: "ok", FAILED: "FAIL", NOT_JUDGED: "NOT JUDGED", NOT_APPLICABLE: "n/a"}


def _fmt(x: float | None) -> str:
    return "" if x is None or x != x else f"{x:.4g}"


def text_table(result: GateResult, width: int = 110) -> str:
    """The verdict, counts per group, then every failed or not-judged check in full.

    >>> from core.gates.result import Check
    >>> r = GateResult("deploy", 1, "p", "simulation #3", {}, (Check("rollout", "verdict",
    ...     "failed", detail="no-go"),))
    >>> print(text_table(r))
    deploy gate on p: simulation #3 -> FAILED (exit 1)
    group      passed  failed  not judged  n/a
    rollout         0       1           0    0
    FAIL        rollout     verdict  no-go
    """
    lines = [f"{result.gate} gate on {result.project}: {result.subject} -> "
             f"{result.verdict.upper()} (exit {result.exit_code})"]
    lines.append(f"{'group':<10} {'passed':>6}  {'failed':>6}  {'not judged':>10}  {'n/a':>3}")
    for g in dict.fromkeys(c.group for c in result.checks):
        cs = [c for c in result.checks if c.group == g]
        n = {s: sum(c.status == s for c in cs) for s in _MARK}
        lines.append(f"{g:<10} {n[PASSED]:>6}  {n[FAILED]:>6}  {n[NOT_JUDGED]:>10}  "
                     f"{n[NOT_APPLICABLE]:>3}")
    for c in result.checks:
        if c.status in (FAILED, NOT_JUDGED):
            value = _fmt(c.value) + (f" (limit {_fmt(c.threshold)})" if c.threshold is not None
                                     else "")
            line = f"{_MARK[c.status]:<11} {c.group:<11} {c.name}  {value}".rstrip()
            lines.append(f"{line}  {c.detail}"[:width].rstrip())
    lines += [f"note: {n}" for n in result.notes]
    return "\n".join(lines)


def junit_xml(result: GateResult) -> str:
    """The checks as a JUnit XML document in pytest's layout (see the module doc)."""
    counts = result.counts()
    root = ET.Element("testsuites", name=f"workbench gate {result.gate}")
    suite = ET.SubElement(
        root, "testsuite", name=f"gate.{result.gate}", errors="0",
        failures=str(counts[FAILED] + counts[NOT_JUDGED]), skipped=str(counts[NOT_APPLICABLE]),
        tests=str(len(result.checks)), time="0.000",
        timestamp=datetime.now(UTC).replace(tzinfo=None).isoformat(timespec="seconds"),
        hostname=socket.gethostname())
    for c in result.checks:
        case = ET.SubElement(suite, "testcase", classname=f"gate.{result.gate}.{c.group}",
                             name=c.name, time="0.000")
        value = f"value {_fmt(c.value)}, limit {_fmt(c.threshold)}: " if (
            c.value is not None or c.threshold is not None) else ""
        if c.status in (FAILED, NOT_JUDGED):
            el = ET.SubElement(case, "failure", message=f"{c.status}: {c.detail}"[:500])
            el.text = f"{result.subject}\n{c.group} / {c.name}: {value}{c.detail}"
        elif c.status == NOT_APPLICABLE:
            ET.SubElement(case, "skipped", type=NOT_APPLICABLE, message=c.detail[:500])
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode")


def write_junit(result: GateResult, path: str | Path) -> None:
    Path(path).write_text(junit_xml(result), encoding="utf-8")


def write_json(result: GateResult, path: str | Path) -> None:
    Path(path).write_text(json.dumps(result.to_dict(), indent=2, default=str) + "\n",
                          encoding="utf-8")
