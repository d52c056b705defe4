"""Continuous training as a command (``python -m core.retrain``) and the README's pipeline
commands run as a scheduler runs them (subprocesses of ``python -m``)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from core.db import projects as projects_db
from core.db.database import Database
from core.demo.seed import DEMO_PROJECT
from core.gates import pending_canary
from core.training import registry
from tests.core.gate_helpers import stored
from tests.core.test_gate_own_data import PROJECT, _project

ROOT = Path(__file__).resolve().parents[2]


def _retrain(db: Path, *args: str) -> int:
    from core.gates.retrain import main

    return main(["--db", str(db), *args])


def test_retrain_own_data_registers_and_gates_a_challenger(tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]
                                                           ) -> None:
    db = tmp_path / "own.duckdb"
    p = _project(db)
    # no monitoring run yet: nothing to retrain from, and it says what to pass
    assert _retrain(db, "--project", PROJECT) == 2
    assert "--current" in capsys.readouterr().err
    code = _retrain(db, "--project", PROJECT, "--current", "loans_live", "--all-rows",
                    "--json", str(tmp_path / "model_gate.json"))
    assert code in (0, 1)
    report = json.loads((tmp_path / "model_gate.json").read_text())
    assert report["gate"] == "model" and report["exit_code"] == code
    s = Database(db)
    challenger = registry.get_challenger(s, p.project_id)
    s.close()
    assert challenger is not None and challenger.id != p.challenger_id
    assert report["subject_ref"]["run_id"] == challenger.run_id
    [(run, checks)] = stored(db, p.project_id)
    assert (run.gate, run.source) == ("model", "retrain") and len(checks) > 3
    # the champion was trained on another split: it is scored on the challenger's test rows
    assert any("scored on the candidate's test part" in d for d in checks["detail"])


def test_retrain_demo_with_a_canary(demo_db: Path, tmp_path: Path) -> None:
    code = _retrain(demo_db, "--project", DEMO_PROJECT, "--rehearse",
                    "claims_production_stream", "--junit", str(tmp_path / "m.xml"))
    assert code in (0, 1)
    s = Database(demo_db)
    pid = next(p.id for p in projects_db.list_projects(s) if p.name == DEMO_PROJECT)
    s.close()
    runs = stored(demo_db, pid)
    assert [r.gate for r, _ in runs] == ["deploy", "model"]
    assert all(r.source == "retrain" for r, _ in runs)
    assert runs[0][0].subject_ref["decision"] in ("go", "no-go", "not judged")
    assert (tmp_path / "m.xml").read_text().startswith("<?xml")
    s = Database(demo_db)
    assert pending_canary(s, pid) is None  # its canary was replayed: nothing left to pre-fill
    s.close()


def test_readme_commands_as_a_scheduler_runs_them(demo_db: Path, tmp_path: Path) -> None:
    """The README's job: the data gate on a dataset, then the deploy gate, as subprocesses."""
    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", *args, "--db", str(demo_db)], cwd=ROOT,
                              capture_output=True, text=True, check=False, timeout=600)

    data = run("core.gate", "data", "--project", DEMO_PROJECT, "--candidate",
               "claims_production_stream", "--junit", str(tmp_path / "data.xml"))
    assert data.returncode == 1 and "FAILED (exit 1)" in data.stdout
    assert (tmp_path / "data.xml").exists()
    bad = run("core.gate", "deploy", "--project", DEMO_PROJECT, "--simulation", "0")
    assert bad.returncode == 2 and "--simulation 0" in bad.stderr
    helped = subprocess.run([sys.executable, "-m", "core.retrain", "--help"], cwd=ROOT,
                            capture_output=True, text=True, check=False)
    assert helped.returncode == 0 and "--rehearse" in helped.stdout


def _readme_commands() -> list[list[str]]:
    """Every ``python -m core.gate`` / ``core.retrain`` line of the README's pipeline section
    (the YAML job and the cron line included), as argument lists."""
    import shlex

    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Gates and continuous training in a pipeline")[1].split("\n## ")[0]
    out = []
    for line in section.splitlines():
        if "python -m core." not in line or "`python -m" in line:  # prose, not a command
            continue
        cmd = line[line.index("python -m core."):].split(">>")[0].split("`")[0]
        out.append(shlex.split(cmd.replace("$PROJECT", "P")))
    return out


def test_readme_command_lines_parse() -> None:
    from core.gates import cli, retrain

    commands = _readme_commands()
    assert len(commands) >= 7  # four examples, two job steps, the cron line
    for args in commands:
        module, argv = args[2], args[3:]
        parsed = (cli.parser() if module == "core.gate" else retrain.parser()).parse_args(argv)
        assert parsed.project
    assert any(a[2:4] == ["core.retrain", "--project"] and "--rehearse" in a for a in commands)
