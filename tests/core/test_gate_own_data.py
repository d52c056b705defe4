"""The gates on a user's own data (column names unlike the demo's; roles from the project):
a fresh batch passes, a drifted one with a new category fails, a model file is judged on
the champion's test part, a rehearsal that could not judge its label guardrail is *not
judged* (a failure, never a pass), and a gate without a latency budget skips that check."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from core.db import datasets as datasets_db
from core.db.database import Database
from core.scoping import MetricFloor, MetricTarget
from tests.core.deploy_data import ACTOR, TARGET, OwnProject, _rows, build_project
from tests.core.gate_helpers import assert_consistent, cases, run_gate, stored
from tests.core.training_data import save_contract

PROJECT = "Loan desk"


def _project(path: Path, *, budget: float | None = 500.0) -> OwnProject:
    s = Database(path)
    try:
        own = build_project(s, PROJECT)
        save_contract(s, own.project_id, task_type="binary", target_column=TARGET,
                      positive_class="1", primary=MetricTarget("recall", 0.7),
                      secondary=[MetricFloor("roc_auc", 0.8)], p95_latency_ms=budget,
                      sensitive_columns=["segment"])
    finally:
        s.close()
    return own


@pytest.fixture
def own(tmp_path: Path) -> tuple[Path, OwnProject]:
    path = tmp_path / "own.duckdb"
    return path, _project(path)


def test_fresh_batch_passes_and_drifted_batch_fails(own: tuple[Path, OwnProject],
                                                    tmp_path: Path) -> None:
    db, p = own
    fresh = _rows(800, seed=7)
    fresh.to_csv(tmp_path / "fresh.csv", index=False)
    code, root, report = run_gate(db, tmp_path, "data", "--project", PROJECT,
                                  "--candidate", str(tmp_path / "fresh.csv"))
    assert code == 0, [c for c in report["checks"] if c["status"] != "passed"]
    assert_consistent(code, root, report)
    assert cases(root)[("gate.data.labels", f"label balance ({TARGET})")] == "passed"
    drifted = _rows(800, seed=8)
    drifted["amt_score"] = drifted["amt_score"] + 6.0
    drifted.loc[drifted.index[:100], "segment"] = "west"
    drifted.to_csv(tmp_path / "drifted.csv", index=False)
    code, root, report = run_gate(db, tmp_path, "data", "--project", PROJECT,
                                  "--candidate", str(tmp_path / "drifted.csv"))
    assert code == 1
    assert_consistent(code, root, report)
    bad = {k for k, v in cases(root).items() if v.startswith("failed:")}
    assert {("gate.data.range", "amt_score"), ("gate.data.drift", "amt_score"),
            ("gate.data.categories", "segment")} <= bad
    rng = next(c for c in report["checks"] if (c["group"], c["name"]) == ("range", "amt_score"))
    assert rng["value"] > 0.5 and rng["threshold"] == 0.01
    assert [r.verdict for r, _ in stored(db, p.project_id)] == ["failed", "passed"]


def test_unlabelled_batch_has_no_label_check(own: tuple[Path, OwnProject],
                                             tmp_path: Path) -> None:
    db, _ = own
    _rows(500, seed=9).drop(columns=[TARGET]).to_parquet(tmp_path / "unlabelled.parquet")
    code, root, report = run_gate(db, tmp_path, "data", "--project", PROJECT,
                                  "--candidate", str(tmp_path / "unlabelled.parquet"))
    assert code == 0
    assert cases(root)[("gate.data.labels", f"label balance ({TARGET})")] == "skipped"
    assert cases(root)[("gate.data.schema", "missing columns")] == "passed"


def test_model_file_is_judged_on_the_champions_test_part(own: tuple[Path, OwnProject],
                                                         tmp_path: Path) -> None:
    import skops.io as sio

    from core.training import registry

    db, p = own
    s = Database(db)
    model = registry.load_model(s, p.champion_id)
    s.close()
    sio.dump(model, tmp_path / "candidate.skops")
    code, root, report = run_gate(db, tmp_path, "model", "--project", PROJECT,
                                  "--model", str(tmp_path / "candidate.skops"))
    assert_consistent(code, root, report)
    got = cases(root)
    # the champion's own model, scored again: equal to the champion on every metric
    assert got[("gate.model.champion", "Recall")] == "passed"
    champion = next(c for c in report["checks"] if c["name"] == "Recall"
                    and c["group"] == "champion")
    assert champion["value"] == pytest.approx(champion["threshold"] + 0.01)
    assert ("gate.model.slices", "sensitive: segment") in got
    assert report["subject_ref"]["artifact_sha256"]
    (tmp_path / "not_a_model.skops").write_text("hello")
    code, _, _ = run_gate(db, tmp_path, "model", "--project", PROJECT,
                          "--model", str(tmp_path / "not_a_model.skops"))
    assert code == 2


def test_not_judged_rehearsal_fails_the_deploy_gate(own: tuple[Path, OwnProject],
                                                    tmp_path: Path) -> None:
    from core import deploy

    db, p = own
    s = Database(db)
    try:
        stream = _rows(1200, seed=4).drop(columns=[TARGET])
        stream["resp_time"] = np.full(len(stream), 30.0)
        sid = datasets_db.insert_dataset(s, p.project_id, "loans_unlabelled", stream,
                                         source="test", role="production", actor=ACTOR)
        rails, _ = deploy.default_guardrails(s, p.project_id)
        (sim,) = deploy.run_simulation(
            s, p.project_id, dataset_id=sid, incumbent=p.champion_id, candidate=p.challenger_id,
            settings=deploy.RolloutSettings(pattern="canary", order="file",
                                            window_requests=200, guardrails=tuple(rails)),
            actor=ACTOR)
        decision = deploy.load_simulation(s, sim).decision
    finally:
        s.close()
    assert decision == "not judged"
    code, root, report = run_gate(db, tmp_path, "deploy", "--project", PROJECT,
                                  "--simulation", str(sim))
    assert code == 1
    assert_consistent(code, root, report)
    assert [v.split(":")[0] for v in cases(root).values()] == ["not judged"]
    [(run, checks)] = stored(db, p.project_id)
    assert run.verdict == "failed" and list(checks["status"]) == ["not judged"]


def test_no_latency_budget_is_not_applicable(tmp_path: Path) -> None:
    db = tmp_path / "nobudget.duckdb"
    p = _project(db, budget=None)
    s = Database(db)
    from core.training import registry

    challenger = registry.get_challenger(s, p.project_id)
    s.close()
    assert challenger is not None
    run_id = challenger.run_id
    code, root, report = run_gate(db, tmp_path, "model", "--project", PROJECT,
                                  "--run", str(run_id))
    assert_consistent(code, root, report)
    assert cases(root)[("gate.model.latency", "p95 latency (ms)")] == "skipped"


def test_numeric_target_is_judged_by_its_drift(tmp_path: Path) -> None:
    """A regression project's data gate judges its target's distribution with the project's
    drift method (it crashed with exit 2 first: a numeric target is not a class label)."""
    from tests.core.monitor_data import LEVEL, plant_frame, plant_project

    db = tmp_path / "plant.duckdb"
    s = Database(db)
    pid, _ = plant_project(s)
    save_contract(s, pid, task_type="regression", target_column=LEVEL)
    s.close()
    plant_frame(3000, seed=9).to_csv(tmp_path / "fresh.csv", index=False)
    code, root, report = run_gate(db, tmp_path, "data", "--project", "Plant faults",
                                  "--candidate", str(tmp_path / "fresh.csv"))
    assert code == 0, [c for c in report["checks"] if c["status"] != "passed"]
    label = next(c for c in report["checks"] if c["group"] == "labels")
    assert label["status"] == "passed" and "wasserstein" in label["detail"]
    shifted = plant_frame(3000, seed=10)
    shifted[LEVEL] = shifted[LEVEL] + 5.0
    shifted.to_csv(tmp_path / "shifted.csv", index=False)
    code, root, report = run_gate(db, tmp_path, "data", "--project", "Plant faults",
                                  "--candidate", str(tmp_path / "shifted.csv"))
    assert code == 1
    assert cases(root)[("gate.data.labels", f"label distribution ({LEVEL})")].startswith(
        "failed:")


def test_own_data_retyped_column_and_model_below_the_floor(own: tuple[Path, OwnProject],
                                                          tmp_path: Path) -> None:
    from core.training import registry

    db, p = own
    bad = _rows(600, seed=11)
    bad["tenure_m"] = bad["tenure_m"].map(lambda v: f"{v:.1f} months")
    bad.to_csv(tmp_path / "retyped.csv", index=False)
    code, root, _ = run_gate(db, tmp_path, "data", "--project", PROJECT,
                             "--candidate", str(tmp_path / "retyped.csv"))
    assert code == 1
    assert [k for k, v in cases(root).items() if v != "passed"] == [
        ("gate.data.types", "tenure_m")]
    s = Database(db)
    save_contract(s, p.project_id, task_type="binary", target_column=TARGET,
                  positive_class="1", primary=MetricTarget("recall", 0.99))
    run_id = registry.get_version(s, p.champion_id).run_id
    s.close()
    code, root, report = run_gate(db, tmp_path, "model", "--project", PROJECT,
                                  "--run", str(run_id))
    assert code == 1
    assert_consistent(code, root, report)
    assert cases(root)[("gate.model.metric", "Recall ≥ 0.99")].startswith("failed:")
    assert [r.verdict for r, _ in stored(db, p.project_id)] == ["failed", "failed"]
