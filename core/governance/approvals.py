"""Approvals of the lifecycle gates: who approved what, when, with what comment, on what
evidence; whether each approval still holds; and the check before a promotion to champion.

An approval stores the *evidence* the approver saw: the facts that identify the thing
approved (the brief's content hash, a dataset's content hash, a model's artifact hash and
data version, a rehearsal's verdict and inputs). The same facts are recomputed from the store
whenever the approval is shown; when they differ, the approval is *invalidated* and the
reason names what changed. A dataset's facts are those of the newest version in its lineage,
so deriving a new data version invalidates the approval of the old one.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pandas as pd

from core.db import approvals as approvals_db
from core.db import datasets as datasets_db
from core.db import deploy as deploy_db
from core.db import training as training_db
from core.db.approvals import ApprovalRow
from core.db.database import Database
from core.errors import StoreError
from core.scoping import get_brief
from core.scoping.brief import brief_to_dict, normalize_brief

GATES: dict[str, str] = {
    "brief": "Brief go",
    "data": "Data version accepted",
    "model": "Model promoted to champion",
    "rollout": "Rollout go",
}


class ApprovalError(StoreError):
    """An approval that cannot be recorded, or a promotion that lacks its approvals."""


@dataclass(frozen=True)
class Evidence:
    """What an approval of one subject rests on: its facts and their hash."""

    gate: str
    subject_id: int
    subject: str
    facts: dict[str, Any]

    @property
    def digest(self) -> str:
        """sha256 of the facts' canonical JSON (sorted keys).

        >>> Evidence("data", 1, "x", {"b": 1, "a": "h"}).digest[:12]
        '4f09b0b8a310'
        """
        text = json.dumps(self.facts, sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class GateStatus:
    """A gate's state on the Overview: ``status`` is "approved", "not approved" or
    "invalidated"; ``reason`` says what changed when invalidated."""

    gate: str
    label: str
    status: str
    subject: str = ""
    approved_by: str = ""
    approved_at: datetime | None = None
    comment: str = ""
    reason: str = ""

    def sentence(self) -> str:
        if self.status == "not approved":
            return "not approved"
        who = f"{self.subject}: approved by {self.approved_by} on {self.approved_at:%Y-%m-%d %H:%M} UTC"
        if self.status == "invalidated":
            return f"invalidated: evidence changed ({self.reason}) — {who}"
        return who


def _sha(payload: Any) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


# ----------------------------------------------------------------- evidence
def _brief_evidence(store: Database, project_id: int, subject_id: int | None) -> Evidence | None:
    v = get_brief(store, project_id)  # the brief in force is always the latest version
    if v is None:
        return None
    digest = _sha(brief_to_dict(normalize_brief(v.brief)))
    return Evidence("brief", v.version, f"brief v{v.version}", {"brief_sha256": digest})


def _newest_descendant(store: Database, project_id: int, dataset_id: int) -> int:
    """The newest dataset derived (through any number of versions) from ``dataset_id``."""
    rows = datasets_db.list_datasets(store, project_id)
    children: dict[int, list[datasets_db.DatasetRow]] = {}
    for d in rows:
        if d.parent_id is not None:
            children.setdefault(d.parent_id, []).append(d)
    current = dataset_id
    while children.get(current):
        current = max(children[current], key=lambda d: (d.created_at, d.id)).id
    return current


def _data_evidence(store: Database, project_id: int, subject_id: int | None) -> Evidence | None:
    if subject_id is None:
        return None
    head = datasets_db.get_dataset(store, _newest_descendant(store, project_id, subject_id))
    if head is None:
        return None
    facts = {"dataset_id": head.id, "dataset": head.name, "content_hash": head.content_hash,
             "n_rows": head.n_rows}
    return Evidence("data", head.id, f"dataset {head.name} ({head.content_hash})", facts)


def _model_evidence(store: Database, project_id: int, subject_id: int | None) -> Evidence | None:
    mv = training_db.get_model_version(store, subject_id) if subject_id is not None else None
    if mv is None or mv.project_id != project_id:
        return None
    run = training_db.get_run(store, mv.run_id)
    facts = {"model_version": mv.version, "status": mv.status, "run_id": mv.run_id,
             "artifact_sha256": mv.artifact_sha256,
             "dataset_hash": run.dataset_hash if run else None,
             "split_hash": run.split_hash if run else None}
    name = f"model v{mv.version} (run #{mv.run_id}{', ' + run.name if run else ''})"
    return Evidence("model", mv.id, name, facts)


def _rollout_evidence(store: Database, project_id: int, subject_id: int | None) -> Evidence | None:
    sim = deploy_db.get_deploy_simulation(store, subject_id) if subject_id is not None else None
    if sim is None or sim.project_id != project_id:
        return None
    facts = {"simulation_id": sim.id, "decision": sim.decision, "pattern": sim.pattern,
             "stream_hash": sim.dataset_hash, "candidate_sha256": _sha(sim.candidate),
             "summary_sha256": _sha(sim.summary)}
    return Evidence("rollout", sim.id, f"rehearsal #{sim.id} {sim.name} ({sim.decision})", facts)


_EVIDENCE = {"brief": _brief_evidence, "data": _data_evidence, "model": _model_evidence,
             "rollout": _rollout_evidence}


def current_evidence(store: Database, project_id: int, gate: str, subject_id: int | None
                     ) -> Evidence | None:
    """The evidence of a subject as the store holds it now (None when it is gone)."""
    if gate not in GATES:
        raise ApprovalError(f"Unknown gate {gate!r}; use one of {', '.join(GATES)}.")
    return _EVIDENCE[gate](store, project_id, subject_id)


def subjects(store: Database, project_id: int, gate: str) -> dict[int, str]:
    """What can be approved at a gate now: subject id -> label (newest first)."""
    if gate == "brief":
        ev = _brief_evidence(store, project_id, None)
        return {ev.subject_id: ev.subject} if ev else {}
    if gate == "data":
        rows = datasets_db.list_datasets(store, project_id)
        parents = {d.parent_id for d in rows if d.parent_id is not None}
        return {d.id: f"{d.name} ({d.content_hash}, {d.n_rows:,} rows)"
                for d in sorted(rows, key=lambda d: (d.created_at, d.id), reverse=True)
                if d.id not in parents and d.role != "production"}
    if gate == "model":
        return {mv.id: f"v{mv.version} (run #{mv.run_id}){' ' + mv.alias if mv.alias else ''}"
                for mv in training_db.list_model_versions(store, project_id, status="active")}
    if gate == "rollout":
        return {s.id: f"#{s.id} {s.name} · {s.pattern} · {s.decision}"
                for s in deploy_db.list_deploy_simulations(store, project_id)}
    raise ApprovalError(f"Unknown gate {gate!r}; use one of {', '.join(GATES)}.")


# ------------------------------------------------------------------ approve
def approve(store: Database, project_id: int, gate: str, actor: str, comment: str,
            subject_id: int | None = None) -> int:
    """Record an approval of a gate on the subject's current evidence; returns its id.

    Raises ``ApprovalError`` (nothing stored) without a comment, for an unknown subject, or
    for a dataset that has a newer version (approve the newest).
    """
    comment = " ".join(str(comment or "").split())
    if not comment:
        raise ApprovalError(
            f"{GATES.get(gate, gate)}: write a comment saying what you checked before approving."
        )
    ev = current_evidence(store, project_id, gate, subject_id)
    if ev is None:
        raise ApprovalError(
            f"{GATES[gate]}: there is nothing to approve (no brief, dataset, model version or "
            "rehearsal with that id in this project). Create it first."
        )
    if gate == "data" and ev.subject_id != subject_id:
        raise ApprovalError(
            f"This dataset has a newer version, {ev.facts['dataset']} "
            f"({ev.facts['content_hash']}): approve that version instead."
        )
    return approvals_db.insert_approval(store, project_id, gate, ev.subject_id, ev.subject,
                                        ev.facts, ev.digest, comment, actor)


# ----------------------------------------------------------------- validity
def why_invalid(store: Database, approval: ApprovalRow) -> str:
    """Empty when the approval still holds, else what changed since it was given."""
    ev = current_evidence(store, approval.project_id, approval.gate, approval.subject_id)
    if ev is None:
        return f"{approval.subject} no longer exists"
    if ev.digest == approval.evidence_hash:
        return ""
    if approval.gate == "data" and ev.subject_id != approval.subject_id:
        return (f"a new data version exists: {ev.facts['dataset']} "
                f"({ev.facts['content_hash']})")
    changed = [k for k in sorted(set(ev.facts) | set(approval.evidence))
               if ev.facts.get(k) != approval.evidence.get(k)]
    if approval.gate == "brief":
        return f"the brief changed since (now {ev.subject})"
    return "changed: " + ", ".join(
        f"{k} {approval.evidence.get(k)} → {ev.facts.get(k)}" for k in changed)


def gate_status(store: Database, project_id: int) -> list[GateStatus]:
    """Each gate's latest approval and whether it still holds, in lifecycle order."""
    out = []
    for gate, label in GATES.items():
        rows = approvals_db.list_approvals(store, project_id, gate)
        if not rows:
            out.append(GateStatus(gate, label, "not approved"))
            continue
        a = rows[0]
        reason = why_invalid(store, a)
        out.append(GateStatus(gate, label, "invalidated" if reason else "approved", a.subject,
                              a.approved_by, a.approved_at, a.comment, reason))
    return out


def approvals_frame(store: Database, project_id: int) -> pd.DataFrame:
    """Every approval, newest first, with whether it still holds."""
    rows = [
        {"gate": GATES.get(a.gate, a.gate), "subject": a.subject, "approved by": a.approved_by,
         "approved at": a.approved_at, "comment": a.comment,
         "still valid": (reason := why_invalid(store, a)) == "", "what changed": reason,
         "evidence": a.evidence_hash[:12]}
        for a in approvals_db.list_approvals(store, project_id)
    ]
    cols = ["gate", "subject", "approved by", "approved at", "comment", "still valid",
            "what changed", "evidence"]
    return pd.DataFrame(rows, columns=cols)


def _valid(store: Database, project_id: int, gate: str, match: dict[str, Any]) -> bool:
    for a in approvals_db.list_approvals(store, project_id, gate):
        if all(a.evidence.get(k) == v for k, v in match.items()) and not why_invalid(store, a):
            return True
    return False


def approvals_required(store: Database, project_id: int) -> bool:
    """Whether the latest brief asks for approvals before a promotion to champion."""
    v = get_brief(store, project_id)
    return bool(v is not None and v.brief.require_approvals)


def check_promotion(store: Database, project_id: int, version_id: int) -> None:
    """Refuse a promotion to champion that lacks the approvals the brief asks for.

    When the latest brief sets "approvals required before promotion", the brief, the data
    version the model was trained on and the model version itself each need an approval
    that still holds. Raises ``ApprovalError`` listing what is missing.
    """
    v = get_brief(store, project_id)
    if v is None or not v.brief.require_approvals:
        return
    ev = _model_evidence(store, project_id, version_id)
    if ev is None:
        raise ApprovalError("That model version does not exist (any more).")
    missing = []
    if not _valid(store, project_id, "brief", {}):
        missing.append(f"{GATES['brief']} (approve brief v{v.version})")
    if not _valid(store, project_id, "data", {"content_hash": ev.facts["dataset_hash"]}):
        missing.append(f"{GATES['data']} (approve the data version {ev.facts['dataset_hash']} "
                       "this model was trained on)")
    if not _valid(store, project_id, "model", {"artifact_sha256": ev.facts["artifact_sha256"],
                                               "model_version": ev.facts["model_version"]}):
        missing.append(f"{GATES['model']} (approve {ev.subject})")
    if missing:
        raise ApprovalError(
            f"The brief requires approvals before promotion, and {ev.subject} lacks: "
            + "; ".join(missing) + ". Record them in the Approvals section of the Overview, "
            "then promote again."
        )
