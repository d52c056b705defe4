"""Approvals of the lifecycle gates: evidence, invalidation when it changes, and the rule
that a promotion to champion needs them when the brief asks for it."""

from __future__ import annotations

from dataclasses import replace

import pytest

from core import governance, scoping
from core.db import datasets as datasets_db
from core.governance import approvals
from core.scoping import Brief, Contract, MetricTarget
from core.training import registry
from tests.core.test_training import make_split, run


def _brief(require: bool) -> Brief:
    return Brief(problem="Flag faulty parts.", require_approvals=require,
                 contract=Contract(target_column="y", primary=MetricTarget("recall", 0.5)))


@pytest.fixture
def project(store):
    pid, sid = make_split(store)
    scoping.save_brief(store, pid, _brief(True), "owner")
    vid = registry.register(store, run(store, pid, sid), "tester")
    did = datasets_db.list_datasets(store, pid)[0].id
    return store, pid, did, vid


def _status(store, pid) -> dict[str, governance.GateStatus]:
    return {g.gate: g for g in governance.gate_status(store, pid)}


def test_every_gate_starts_not_approved(project):
    store, pid, *_ = project
    assert [g.status for g in governance.gate_status(store, pid)] == ["not approved"] * 4
    assert _status(store, pid)["brief"].sentence() == "not approved"


def test_approval_records_who_when_comment_and_evidence(project):
    store, pid, did, vid = project
    governance.approve(store, pid, "data", "reviewer", "  nulls and  ranges checked ", did)
    s = _status(store, pid)["data"]
    assert (s.status, s.approved_by, s.comment) == ("approved", "reviewer",
                                                    "nulls and ranges checked")
    row = approvals.approvals_db.list_approvals(store, pid, "data")[0]
    ds = datasets_db.get_dataset(store, did)
    assert row.evidence["content_hash"] == ds.content_hash and row.evidence["dataset_id"] == did
    assert row.evidence_hash == approvals.current_evidence(store, pid, "data", did).digest


def test_a_new_data_version_invalidates_the_data_approval(project):
    store, pid, did, _ = project
    governance.approve(store, pid, "data", "reviewer", "looks fine", did)
    assert _status(store, pid)["data"].status == "approved"
    new_id = datasets_db.derive_dataset(store, did, "d_v2", {"cat": {"a": "A"}}, actor="tester")
    s = _status(store, pid)["data"]
    assert s.status == "invalidated"
    assert "new data version" in s.reason and "d_v2" in s.reason
    assert s.sentence().startswith("invalidated: evidence changed")
    # the old version can no longer be approved; the new one can, and holds
    with pytest.raises(governance.ApprovalError, match="newer version"):
        governance.approve(store, pid, "data", "reviewer", "again", did)
    governance.approve(store, pid, "data", "reviewer", "v2 checked", new_id)
    assert _status(store, pid)["data"].status == "approved"
    assert approvals.approvals_frame(store, pid)["still valid"].tolist() == [True, False]


def test_a_changed_brief_invalidates_the_brief_approval_but_a_resave_does_not(project):
    store, pid, *_ = project
    governance.approve(store, pid, "brief", "sponsor", "go", 1)
    scoping.save_brief(store, pid, _brief(True), "owner", note="saved again, same content")
    assert _status(store, pid)["brief"].status == "approved"
    scoping.save_brief(store, pid, replace(_brief(True), problem="Flag parts."), "owner")
    s = _status(store, pid)["brief"]
    assert s.status == "invalidated" and "brief v3" in s.reason


def test_archiving_a_model_invalidates_its_approval(project):
    store, pid, _, vid = project
    governance.approve(store, pid, "model", "lead", "beats the baseline", vid)
    registry.archive(store, vid, "tester")
    s = _status(store, pid)["model"]
    assert s.status == "invalidated" and "status active → archived" in s.reason


def test_approval_needs_a_comment_and_a_subject(project):
    store, pid, did, _ = project
    with pytest.raises(governance.ApprovalError, match="write a comment"):
        governance.approve(store, pid, "data", "reviewer", "  ", did)
    with pytest.raises(governance.ApprovalError, match="nothing to approve"):
        governance.approve(store, pid, "rollout", "reviewer", "ok", 987654)
    with pytest.raises(governance.ApprovalError, match="Unknown gate"):
        governance.approve(store, pid, "launch", "reviewer", "ok", 1)
    assert approvals.approvals_frame(store, pid).empty


def test_promotion_needs_brief_data_and_model_approvals_when_the_brief_asks(project):
    store, pid, did, vid = project
    with pytest.raises(governance.ApprovalError) as exc:
        registry.set_alias(store, vid, "champion", "tester")
    msg = str(exc.value)
    assert "requires approvals before promotion" in msg
    assert all(g in msg for g in ("Brief go", "Data version accepted", "Model promoted"))
    assert registry.get_champion(store, pid) is None
    governance.approve(store, pid, "brief", "sponsor", "go", 1)
    governance.approve(store, pid, "data", "reviewer", "ok", did)
    with pytest.raises(governance.ApprovalError, match="Model promoted") as exc:
        registry.set_alias(store, vid, "champion", "tester")
    assert "Brief go" not in str(exc.value)
    governance.approve(store, pid, "model", "lead", "ok", vid)
    registry.set_alias(store, vid, "champion", "tester")
    assert registry.get_champion(store, pid).id == vid


def test_promotion_is_free_when_the_brief_does_not_ask(store):
    pid, sid = make_split(store)
    scoping.save_brief(store, pid, _brief(False), "owner")
    vid = registry.register(store, run(store, pid, sid), "tester")
    registry.set_alias(store, vid, "champion", "tester")
    assert registry.get_champion(store, pid).id == vid


def test_the_setting_survives_the_markdown_round_trip():
    b = _brief(True)
    text = scoping.to_markdown(b)
    assert "**Approvals required before promotion:** yes" in text
    assert scoping.from_markdown(text).require_approvals is True
    assert scoping.from_markdown(scoping.to_markdown(_brief(False))).require_approvals is False


def test_demo_sign_offs_hold_until_a_new_data_version(demo_store):
    from core.db import projects as projects_db

    pid = projects_db.list_projects(demo_store)[0].id
    before = _status(demo_store, pid)
    assert {g: s.status for g, s in before.items()} == dict.fromkeys(governance.GATES, "approved")
    assert before["rollout"].subject.startswith("rehearsal #") and "shadow" in before["rollout"].subject
    train = next(d for d in datasets_db.list_datasets(demo_store, pid) if d.role == "training")
    datasets_db.derive_dataset(demo_store, train.id, f"{train.name}_v2", {}, actor="tester")
    after = _status(demo_store, pid)
    assert after["data"].status == "invalidated" and f"{train.name}_v2" in after["data"].reason
    assert [after[g].status for g in ("brief", "model", "rollout")] == ["approved"] * 3
