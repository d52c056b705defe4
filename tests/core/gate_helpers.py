"""Helpers for the gate tests: run a gate as the command does, read its JUnit XML, read the
stored gate runs back."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from core.db.database import Database
from core.gates import gate_run_checks, list_gate_runs


def run_gate(db: Path, tmp: Path, *args: str) -> tuple[int, ET.Element, dict[str, Any]]:
    """``python -m core.gate ARGS --db DB --junit … --json …`` in-process: the exit code,
    the JUnit root and the JSON report (both empty when the gate could not run)."""
    from core.gates.cli import main

    junit, js = tmp / f"gate_{args[0]}.xml", tmp / f"gate_{args[0]}.json"
    junit.unlink(missing_ok=True)
    js.unlink(missing_ok=True)
    code = main([*args, "--db", str(db), "--junit", str(junit), "--json", str(js)])
    root = ET.parse(junit).getroot() if junit.exists() else ET.Element("none")
    report = json.loads(js.read_text()) if js.exists() else {}
    return code, root, report


def cases(root: ET.Element) -> dict[tuple[str, str], str]:
    """(classname, name) -> "passed", "failed: …", "not judged: …" or "skipped"."""
    out = {}
    for case in root.iter("testcase"):
        failure, skipped = case.find("failure"), case.find("skipped")
        out[(case.get("classname", ""), case.get("name", ""))] = (
            str(failure.get("message")) if failure is not None
            else "skipped" if skipped is not None else "passed")
    return out


def stored(db: Path, project_id: int) -> list[Any]:
    """The project's gate runs (newest first), each with its checks frame."""
    s = Database(db)
    try:
        return [(r, gate_run_checks(s, r.id)) for r in list_gate_runs(s, project_id)]
    finally:
        s.close()


def assert_consistent(code: int, root: ET.Element, report: dict[str, Any]) -> None:
    """The exit code, the JUnit counts and the JSON report say the same thing."""
    suite = root.find("testsuite")
    assert root.tag == "testsuites" and suite is not None
    n = len(list(suite.iter("testcase")))
    assert int(suite.get("tests", -1)) == n == len(report["checks"])
    failures = sum(c.find("failure") is not None for c in suite.iter("testcase"))
    assert int(suite.get("failures", -1)) == failures
    assert int(suite.get("skipped", -1)) == sum(
        c.find("skipped") is not None for c in suite.iter("testcase"))
    assert report["exit_code"] == code == (1 if failures else 0)
    assert report["verdict"] == ("failed" if failures else "passed")
