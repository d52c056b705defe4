from __future__ import annotations

from dataclasses import replace
from datetime import date

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core import scoping
from core.db import datasets as datasets_db
from core.db import projects as projects_db
from core.db import scoping as scoping_db
from core.demo import brief as demo_brief_mod
from core.errors import StoreError
from core.projects import lifecycle
from core.scoping import (
    Baseline,
    Brief,
    Contract,
    GovernanceItem,
    MetricFloor,
    MetricTarget,
    Milestone,
    ScopingError,
    validate_brief,
)


@pytest.fixture
def project(store):
    pid = projects_db.create_project(store, "Claims", "alice")
    frame = pd.DataFrame(
        {
            "claim_amount": [1.0, 2.0],
            "customer_age": [30.0, 40.0],
            "region": ["N", "S"],
            "needs_review": [0, 1],
        }
    )
    datasets_db.insert_dataset(
        store, pid, "claims", frame, source="t", role="training", actor="alice"
    )
    return pid


def _brief(**contract) -> Brief:
    base = {
        "target_column": "needs_review",
        "positive_class": "1",
        "feature_columns": ["claim_amount", "region"],
        "primary": MetricTarget("recall", 0.7),
    }
    return Brief(problem="Too many claims are reviewed.", contract=Contract(**(base | contract)))


def test_every_save_is_a_new_version_with_author(store, project):
    assert scoping.get_brief(store, project) is None
    assert scoping.get_contract(store, project) is None
    v1 = scoping.save_brief(store, project, _brief(), "alice", note="first")
    v2 = scoping.save_brief(store, project, _brief(primary=MetricTarget("recall", 0.8)), "bob")
    assert (v1, v2) == (1, 2)
    hist = scoping.list_versions(store, project)
    assert hist["version"].tolist() == [2, 1]
    assert hist["by"].tolist() == ["bob", "alice"]
    assert hist["note"].tolist() == ["", "first"]
    assert scoping.get_brief(store, project, 1).brief.contract.primary.target == 0.7
    assert scoping.get_contract(store, project).primary == MetricTarget("recall", 0.8)
    audit = projects_db.list_audit(store, project)
    assert (audit["entity"] == "brief").sum() == 2
    # versions are per project
    other = projects_db.create_project(store, "Other", "carol")
    assert scoping.save_brief(store, other, Brief(), "carol") == 1


def test_contract_object(store):
    project = projects_db.create_project(
        store, "No data yet", "alice"
    )  # columns are checked once data exist
    assert demo_brief_mod.seed_demo_brief(store, project, "w") == 2
    c = scoping.get_contract(store, project)
    assert isinstance(c, Contract)
    assert c.task_type == "binary" and c.target_column == "needs_review" and c.positive_class == "1"
    assert c.primary == MetricTarget("recall", 0.6)
    assert c.secondary == [MetricFloor("precision", 0.35), MetricFloor("roc_auc", 0.75)]
    assert (c.cost_fp, c.cost_fn) == (40.0, 600.0)
    assert (c.p95_latency_ms, c.min_availability, c.error_budget) == (200.0, 0.995, 0.3)
    assert c.sensitive_columns == ["customer_age", "region"]
    assert c.hlp == Baseline("hlp", 0.9, "accuracy", "adjusters' audit 2024")
    assert set(c.baselines) == {"hlp", "existing", "sota"}
    assert c.thresholds() == {"recall": 0.6, "precision": 0.35, "roc_auc": 0.75}
    assert c.cost_threshold() == pytest.approx(40 / 640)
    with pytest.raises(AttributeError):
        c.cost_fp = 1.0  # frozen


def test_hlp_without_value_is_none():
    c = Contract(baselines={"hlp": Baseline("hlp", None, "", "to be measured")})
    assert c.hlp is None
    assert Contract().hlp is None


def test_metric_vocabulary():
    for name in ("accuracy", "precision", "recall", "f1", "roc_auc", "pr_auc", "r2"):
        assert scoping.METRICS[name] is True
    for name in ("log_loss", "brier", "mae", "rmse"):
        assert scoping.METRICS[name] is False
    assert scoping.meets("rmse", 3.0, 4.0) and not scoping.meets("f1", 0.5, 0.6)


@pytest.mark.parametrize(
    ("brief", "field", "words"),
    [
        (_brief(primary=MetricTarget("recall", 1.4)), "primary", "between 0 and 1"),
        (_brief(p95_latency_ms=-5.0), "p95_latency_ms", "above 0"),
        (
            _brief(secondary=[MetricFloor("recall", 0.9)]),
            "secondary",
            "above its target",
        ),
        (
            _brief(
                primary=MetricTarget("log_loss", 0.3),
                secondary=[MetricFloor("log_loss", 0.2)],
            ),
            "secondary",
            "below its target",
        ),
        (
            _brief(target_column="outcome"),
            "target_column",
            "not in the project's datasets",
        ),
        (_brief(feature_columns=["claim_amount", "nope"]), "feature_columns", "nope"),
        (_brief(sensitive_columns=["gender"]), "sensitive_columns", "gender"),
        (
            _brief(feature_columns=["needs_review"]),
            "feature_columns",
            "cannot also be an input",
        ),
        (_brief(min_availability=99.5), "min_availability", "between 0 and 1"),
        (_brief(error_budget=-0.1), "error_budget", "between 0 and 1"),
        (_brief(cost_fn=-600.0), "cost_fn", "cannot be negative"),
        (_brief(primary=MetricTarget("mae", 3.0)), "primary", "regression metric"),
        (_brief(task_type="regression"), "primary", "classification metric"),
        (
            _brief(secondary=[MetricFloor("f1", 0.5), MetricFloor("f1", 0.4)]),
            "secondary",
            "twice",
        ),
        (
            _brief(primary=MetricTarget("recall", float("nan"))),
            "primary",
            "must be a number",
        ),
        (
            _brief(baselines={"hlp": Baseline("hlp", 1.2, "accuracy", "x")}),
            "baseline_hlp",
            "between 0 and 1",
        ),
        (
            _brief(baselines={"hlp": Baseline("hlp", 0.9, "", "x")}),
            "baseline_hlp",
            "metric",
        ),
    ],
)
def test_invalid_brief_names_the_field_and_saves_nothing(store, project, brief, field, words):
    scoping.save_brief(store, project, _brief(), "alice")
    with pytest.raises(ScopingError) as info:
        scoping.save_brief(store, project, brief, "bob")
    assert field in info.value.errors
    assert any(words in m for m in info.value.errors[field]), info.value.errors
    assert scoping.list_versions(store, project)["version"].tolist() == [1]
    assert scoping.get_contract(store, project) == scoping.normalize_brief(_brief()).contract


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        (
            "cost_fp",
            -1.0,
            "Cost of a false positive cannot be negative (-1); enter what one such error costs.",
        ),
        ("cost_fn", float("nan"), "Cost of a false negative must be a number."),
        ("p95_latency_ms", 0.0, "p95 latency must be above 0 (0 cannot be met)."),
        ("min_throughput_rps", float("inf"), "Throughput must be a number."),
        (
            "min_availability",
            float("nan"),
            "Availability is a share between 0 and 1 (e.g. 0.995 for 99.5%); nan is not.",
        ),
        (
            "error_budget",
            1.5,
            "The error budget is a share between 0 and 1 (e.g. 0.1); 1.5 is not.",
        ),
    ],
)
def test_number_rules_refuse_with_the_field_message(key, value, message):
    assert validate_brief(Brief(contract=Contract(**{key: value}))) == {key: [message]}


@pytest.mark.parametrize(
    ("key", "value"),
    [("cost_fp", 0.0), ("p95_latency_ms", 0.5), ("min_availability", 1.0), ("error_budget", 0.0)],
)
def test_number_rules_accept_their_bounds(key, value):
    assert validate_brief(Brief(contract=Contract(**{key: value}))) == {}


def test_every_contract_number_has_one_rule():
    assert [r.key for r in scoping.NUMBER_RULES] == list(scoping.CONTRACT_NUMBER_LABELS)


def test_versions_diff_restore_and_import(store, project):
    scoping.save_brief(store, project, _brief(), "alice")
    scoping.save_brief(store, project, _brief(primary=MetricTarget("recall", 0.8)), "bob")
    diff = scoping.diff_versions(store, project, 1, 2)
    assert diff.values.tolist() == [["Primary metric", "recall ≥ 0.7", "recall ≥ 0.8"]]
    assert scoping.restore_version(store, project, 1, "carol") == 3
    restored = scoping.get_brief(store, project)
    assert (
        restored.note == "Restored version 1" and scoping.diff_versions(store, project, 1, 3).empty
    )
    md = scoping.to_markdown(scoping.get_brief(store, project, 2).brief)
    assert scoping.import_brief(store, project, md, "b.md", "dan") == 4
    assert scoping.get_brief(store, project).note == "Imported from b.md"
    with pytest.raises(StoreError, match="Version 9 of this project's brief does not exist"):
        scoping.restore_version(store, project, 9, "carol")
    assert scoping.list_versions(store, project)["version"].tolist() == [4, 3, 2, 1]


def test_an_unreadable_stored_brief_is_reported_not_hidden(store, project):
    scoping_db.insert_brief_version(store, project, '{"contract": {"primary": 3}}', "", "x")
    with pytest.raises(StoreError, match="Version 1 of this project's brief cannot be read"):
        scoping.get_contract(store, project)


def test_columns_are_not_checked_before_any_dataset(store):
    pid = projects_db.create_project(store, "Empty", "alice")
    assert scoping.save_brief(store, pid, _brief(target_column="anything"), "alice") == 1


def test_floor_equal_to_target_is_fine():
    assert scoping.validate_brief(_brief(secondary=[MetricFloor("recall", 0.7)])) == {}


def test_record_baseline_keeps_the_rest_and_adds_a_version(store, project):
    scoping.save_brief(store, project, _brief(), "alice")
    v = scoping.record_baseline(
        store,
        project,
        "hlp",
        0.874,
        "accuracy",
        "measured: 3 reviewers vs consensus, n=1500",
        "labeling",
    )
    assert v == 2
    got = scoping.get_brief(store, project)
    assert got.created_by == "labeling" and "Human-level performance" in got.note
    c = got.brief.contract
    assert c.hlp == Baseline("hlp", 0.874, "accuracy", "measured: 3 reviewers vs consensus, n=1500")
    assert c.primary == MetricTarget("recall", 0.7)
    assert got.brief.problem == "Too many claims are reviewed."
    with pytest.raises(ScopingError):
        scoping.record_baseline(store, project, "hlp", 1.3, "accuracy", "x", "labeling")
    with pytest.raises(ScopingError):
        scoping.record_baseline(store, project, "oracle", 0.9, "accuracy", "x", "labeling")
    with pytest.raises(ScopingError):
        scoping.record_baseline(store, project, "hlp", 0.9, "accuracy", " ", "labeling")
    assert len(scoping.list_versions(store, project)) == 2


def test_record_baseline_without_a_brief_starts_one(store, project):
    assert scoping.record_baseline(store, project, "sota", 3.5, "mae", "paper", "x") == 1
    assert scoping.get_contract(store, project).baselines["sota"].value == 3.5


def test_readiness_and_the_lifecycle_scope_step(demo_store):
    pid = projects_db.list_projects(demo_store)[0].id
    assert scoping.readiness(demo_store, pid) == []
    assert lifecycle(demo_store, pid)[0].status == "done"
    assert scoping.list_versions(demo_store, pid)["version"].tolist() == [2, 1]

    brief = scoping.get_brief(demo_store, pid).brief
    no_hlp = replace(brief, contract=replace(brief.contract, baselines={}, primary=None))
    scoping.save_brief(demo_store, pid, no_hlp, "alice")
    missing = scoping.readiness(demo_store, pid)
    assert any("human-level performance" in m for m in missing)
    assert any("primary metric" in m for m in missing)
    step = lifecycle(demo_store, pid)[0]
    assert step.status == "in progress" and "v3" in step.evidence

    fresh = projects_db.create_project(demo_store, "Fresh", "alice")
    assert len(scoping.readiness(demo_store, fresh)) == 1
    assert lifecycle(demo_store, fresh)[0].status == "not started"
    scoping.save_brief(demo_store, fresh, Brief(), "alice")
    missing = scoping.readiness(demo_store, fresh)
    assert any(m.startswith("Governance: data ownership") for m in missing)
    assert any(m.startswith("Milestones") for m in missing)
    assert lifecycle(demo_store, fresh)[0].status == "in progress"


def test_demo_brief_fits_the_demo_data(demo_store):
    pid = projects_db.list_projects(demo_store)[0].id
    cols = set(scoping.project_columns(demo_store, pid))
    brief = scoping.get_brief(demo_store, pid).brief
    assert scoping.validate_brief(brief, cols) == {}
    assert brief.contract.target_column == "needs_review"
    assert {"customer_age", "region"} <= set(brief.contract.feature_columns)


def test_delete_project_removes_its_briefs(store, project):
    scoping.save_brief(store, project, _brief(), "alice")
    projects_db.delete_project(store, project, "alice")
    assert scoping.list_versions(store, project).empty


def test_diff_shows_only_changed_fields():
    a = demo_brief_mod.demo_brief()
    assert scoping.diff_briefs(a, a).empty
    b = replace(
        a,
        problem="New problem",
        contract=replace(
            a.contract,
            primary=MetricTarget("recall", 0.7),
            sensitive_columns=["region"],
        ),
    )
    diff = scoping.diff_briefs(a, b)
    assert diff["field"].tolist() == [
        "Business problem",
        "Primary metric",
        "Sensitive columns",
    ]
    assert diff.iloc[1].tolist() == ["Primary metric", "recall ≥ 0.6", "recall ≥ 0.7"]


# ------------------------------------------------------------------ markdown
def test_markdown_round_trip_of_the_demo_brief():
    brief = demo_brief_mod.demo_brief()
    md = scoping.to_markdown(brief, "Claims triage")
    assert md.startswith("# Project brief: Claims triage")
    assert "| precision | ≥ 0.35 |" in md and "- **Cost of a false negative:** 600" in md
    assert scoping.from_markdown(md) == scoping.normalize_brief(brief)


def test_markdown_round_trip_of_an_empty_brief():
    assert scoping.from_markdown(scoping.to_markdown(Brief())) == scoping.normalize_brief(Brief())


def test_edited_markdown_is_imported():
    md = scoping.to_markdown(demo_brief_mod.demo_brief())
    md = md.replace("- **p95 latency (ms):** 200", "- **p95 latency (ms):** 150")
    md = md.replace("| Retention | done |", "| Retention | in progress |")
    got = scoping.from_markdown(md)
    assert got.contract.p95_latency_ms == 150.0
    assert got.governance["retention"].status == "in progress"


def test_markdown_errors_name_the_field():
    with pytest.raises(ScopingError) as info:
        scoping.from_markdown("hello\nworld\n")
    assert "import" in info.value.errors
    md = scoping.to_markdown(demo_brief_mod.demo_brief()).replace(
        "- **Cost of a false positive:** 40", "- **Cost of a false positive:** forty"
    )
    with pytest.raises(ScopingError) as info:
        scoping.from_markdown(md)
    assert info.value.errors == {"cost_fp": ["Cost of a false positive: 'forty' is not a number."]}


def test_markdown_import_then_save_restores_the_brief(store, project):
    brief = _brief(cost_fp=40.0, cost_fn=600.0, sensitive_columns=["customer_age"])
    scoping.save_brief(store, project, brief, "alice")
    md = scoping.to_markdown(scoping.get_brief(store, project).brief)
    v = scoping.save_brief(store, project, scoping.from_markdown(md), "bob", note="imported")
    assert v == 2
    diff = scoping.diff_briefs(
        scoping.get_brief(store, project, 1).brief,
        scoping.get_brief(store, project, 2).brief,
    )
    assert diff.empty


_text = st.text(
    st.characters(
        blacklist_categories=("Cs",),
        blacklist_characters="\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029",
    ),
    max_size=60,
)
_line = st.text(st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp")), max_size=30)
_col = st.text(
    st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp"), blacklist_characters="`,"),
    min_size=1,
    max_size=12,
)
_num = st.one_of(st.none(), st.floats(allow_nan=False, allow_infinity=False))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    texts=st.lists(_text, min_size=len(scoping.TEXT_FIELDS), max_size=len(scoping.TEXT_FIELDS)),
    line=_line,
    cols=st.lists(_col, max_size=4),
    nums=st.lists(_num, min_size=8, max_size=8),
    floor=st.floats(allow_nan=False, allow_infinity=False),
    note=_line,
    due=st.one_of(st.none(), st.dates(min_value=date(1900, 1, 1))),
)
def test_markdown_round_trip_law(texts, line, cols, nums, floor, note, due):
    brief = Brief(
        **dict(zip(scoping.TEXT_FIELDS, texts, strict=True)),
        business_metric=line,
        business_unit=line,
        business_current=nums[0],
        business_target=nums[1],
        currency=line,
        governance={"audit": GovernanceItem("done", note)},
        milestones=[Milestone(line or "m", due, note, True)],
        contract=Contract(
            task_type="regression",
            target_column=cols[0] if cols else None,
            positive_class=line,
            feature_columns=cols,
            sensitive_columns=cols[::-1],
            primary=MetricTarget("rmse", floor),
            secondary=[MetricFloor("r2", floor)],
            cost_fp=nums[2],
            cost_fn=nums[3],
            p95_latency_ms=nums[4],
            min_throughput_rps=nums[5],
            min_availability=nums[6],
            error_budget=nums[7],
            baselines={"sota": Baseline("sota", floor, "mae", note)},
        ),
    )
    want = scoping.normalize_brief(brief)
    assert scoping.from_markdown(scoping.to_markdown(brief, "T")) == want


def test_markdown_round_trip_of_tricky_text():
    tricky = "# not a heading\n\\ starts with a backslash\n| a | b |\n- **Task type:** regression\n\n  ## indented"
    brief = Brief(
        problem=tricky,
        resources="### Resources\nmore",
        governance={"audit": GovernanceItem("done", r"pipes | and \| backslashes \\ —")},
        milestones=[Milestone("a|b", None, "—x", False)],
        contract=Contract(
            feature_columns=["a b", "x|y", "ünï"],
            positive_class="yes",
            baselines={"hlp": Baseline("hlp", 0.5, "f1", "a | b")},
        ),
    )
    got = scoping.from_markdown(scoping.to_markdown(brief))
    assert got == scoping.normalize_brief(brief)
    assert got.contract.task_type == "binary"
