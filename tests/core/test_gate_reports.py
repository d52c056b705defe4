"""The gate reports: JUnit XML shaped exactly as pytest's own ``--junitxml`` output (the
same elements, no attribute pytest does not write), the status -> JUnit rule, the JSON,
and the exit-code rule (not judged fails, not applicable does not)."""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from core.gates import Check, GateResult
from core.gates.reports import junit_xml, text_table, write_json

CHECKS = (
    Check("schema", "missing columns", "passed", 0.0, 0.0, "every column present"),
    Check("drift", "gauge_a", "failed", 0.31, 0.1, "wasserstein 0.31"),
    Check("drift", "gauge_b", "not judged", None, 0.1, "not computed: empty"),
    Check("labels", "label balance", "not applicable", None, None, "unlabelled batch"),
)


def _result(checks: tuple[Check, ...] = CHECKS) -> GateResult:
    return GateResult("data", 7, "Plant <&> faults", "dataset 'b' (#3)", {"dataset_id": 3},
                      checks, {"range_tolerance": 0.1})


@pytest.fixture(scope="module")
def pytest_junit(tmp_path_factory: pytest.TempPathFactory) -> ET.Element:
    """What pytest itself writes for a passing, a failing and a skipped test."""
    d = tmp_path_factory.mktemp("pytest_junit")
    (d / "test_sample.py").write_text(
        "import pytest\n"
        "def test_ok():\n    pass\n"
        "def test_bad():\n    assert 1 == 2, 'boom'\n"
        "def test_skip():\n    pytest.skip('not applicable here')\n")
    subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                    f"--junitxml={d / 'out.xml'}", "-o", "junit_family=xunit2",
                    str(d / "test_sample.py")], cwd=d, capture_output=True, check=False)
    return ET.parse(d / "out.xml").getroot()


def _shape(root: ET.Element) -> dict[str, set[str]]:
    """tag path -> attributes seen on it."""
    out: dict[str, set[str]] = {}

    def walk(el: ET.Element, path: str) -> None:
        p = f"{path}/{el.tag}"
        out.setdefault(p, set()).update(el.attrib)
        for child in el:
            walk(child, p)

    walk(root, "")
    return out


def test_junit_has_pytests_elements_and_attributes(pytest_junit: ET.Element) -> None:
    ours, theirs = _shape(ET.fromstring(junit_xml(_result()))), _shape(pytest_junit)
    assert set(ours) <= set(theirs), set(ours) - set(theirs)
    for path, attrs in ours.items():
        assert attrs <= theirs[path], (path, attrs - theirs[path])
    # and the attributes pytest always writes on a suite and a case are there
    assert theirs["/testsuites/testsuite"] - {"timestamp", "hostname"} <= ours[
        "/testsuites/testsuite"]
    assert {"classname", "name", "time"} <= ours["/testsuites/testsuite/testcase"]


def test_junit_rule_per_status() -> None:
    root = ET.fromstring(junit_xml(_result()))
    suite = root.find("testsuite")
    assert suite is not None
    assert (suite.get("tests"), suite.get("failures"), suite.get("skipped"),
            suite.get("errors")) == ("4", "2", "1", "0")
    case = {c.get("name"): c for c in suite.iter("testcase")}

    def message(name: str, tag: str) -> str:
        el = case[name].find(tag)
        assert el is not None, (name, tag)
        return str(el.get("message"))

    assert list(case["missing columns"]) == []
    assert message("gauge_a", "failure").startswith("failed: ")
    assert message("gauge_b", "failure").startswith("not judged: ")
    assert message("label balance", "skipped") == "unlabelled batch"
    assert case["gauge_a"].get("classname") == "gate.data.drift"


def test_exit_code_rule() -> None:
    assert _result().exit_code == 1
    assert _result(CHECKS[:1] + CHECKS[3:]).exit_code == 0  # not applicable is no failure
    assert _result(CHECKS[:1] + CHECKS[2:3]).exit_code == 1  # not judged is never a pass
    assert _result(CHECKS[:1] + CHECKS[2:3]).verdict == "failed"


def test_json_and_table(tmp_path: Path) -> None:
    write_json(_result(), tmp_path / "r.json")
    d = json.loads((tmp_path / "r.json").read_text())
    assert d["counts"] == {"passed": 1, "failed": 1, "not judged": 1, "not applicable": 1}
    assert d["exit_code"] == 1 and d["checks"][1]["value"] == 0.31
    table = text_table(_result())
    assert "FAILED (exit 1)" in table.splitlines()[0]
    assert "NOT JUDGED  drift       gauge_b" in table
    assert "label balance" not in table  # only failed and not-judged checks are listed


def test_unknown_status_is_refused() -> None:
    with pytest.raises(ValueError):
        Check("x", "y", "ok")
