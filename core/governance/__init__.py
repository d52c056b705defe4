"""Governance and reporting: approvals of the lifecycle gates, the model card and the
stakeholder report, all built from what the store holds.

DESIGN
------
* Four gates — brief go, data version accepted, model promoted to champion, rollout go —
  each approved by a person with a comment, on evidence (content hashes of the brief, the
  dataset, the model's artifact and data version, the rehearsal's verdict). Approvals are
  append-only; one holds only while its evidence recomputed from the store is unchanged.
* When the brief asks for approvals before promotion, ``core.training.registry`` calls
  ``check_promotion`` before a version becomes champion (the rule lives in core, not in a
  page).
* ``facts`` gathers the stored results once (brief, data versions and quality, runs and
  their metrics with confidence intervals, slices, labels, rehearsals, monitoring,
  approvals, the team's limitations); the model card (Markdown) and the report (HTML and
  PDF) are views of the same facts.

Modules
-------
* ``approvals``: ``GATES``, ``approve``, ``gate_status``, ``approvals_frame``,
  ``check_promotion``, ``subjects``.
* ``intervals``: Wilson and bootstrap confidence intervals (the methods the card states).
* ``facts``: ``ProjectFacts`` and ``collect_facts``; the team's limitations
  (``save_limitations``, ``get_limitations``).
* ``card``: ``model_card`` (Markdown).
* ``report``: ``report_html`` (one self-contained file, plotly.js inline) and ``report_pdf``
  (the same page printed by headless chromium).
* ``tour``: the guided tour's stops (page, what to look at), read by ``ui/tour.py``.
* ``cli``: ``python -m core.report --project P --html PATH --pdf PATH``.
"""

from core.governance.approvals import (
    GATES,
    ApprovalError,
    GateStatus,
    approvals_frame,
    approvals_required,
    approve,
    check_promotion,
    gate_status,
    subjects,
)

__all__ = [
    "GATES",
    "ApprovalError",
    "GateStatus",
    "approvals_frame",
    "approvals_required",
    "approve",
    "check_promotion",
    "gate_status",
    "subjects",
]
