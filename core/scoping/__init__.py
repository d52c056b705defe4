"""Scoping: the project brief and the metrics contract that every later stage checks.

DESIGN
------
* A ``Brief`` is what a team writes down before building: the business problem, f(x) = y,
  economic value, ML and software metrics, baselines, feasibility, ethics, governance,
  milestones. Its measurable part is the ``Contract`` (targets, floors, costs, budgets,
  sensitive columns, baselines) that training, error analysis, deployment and monitoring
  read through ``get_contract``.
* Every save is a new version (JSON in ``scoping_briefs``, with author and time); nothing is
  ever overwritten, so a diff of any two versions is always possible.
* ``validate_brief`` returns field-level messages; ``save_brief`` refuses to store a brief
  with any of them, so a target that cannot hold never becomes a contract.
* ``to_markdown`` writes a brief a stakeholder can read; ``from_markdown`` parses the same
  document back into an equal brief (the round trip is tested), so an edited export can be
  imported again.

Modules
-------
* ``vocabulary``: metric names (direction, range, label), task types, baseline kinds,
  automation degrees, governance items; ``meets``.
* ``contract``: ``Contract`` and its parts (``MetricTarget``, ``MetricFloor``, ``Baseline``),
  its thresholds and cost threshold; ``contract_frame``.
* ``brief``: ``Brief``, ``GovernanceItem``, ``Milestone``, ``BriefVersion``; the normal form
  and the JSON form.
* ``validation``: ``ScopingError``, ``validate_brief`` (one check per section, a rule table for
  the contract's numbers), ``check_brief`` (go-decision readiness), ``advisories``.
* ``markdown``: ``to_markdown`` / ``from_markdown``, one writer and one reader per section.
* ``diff``: ``flatten_brief``, ``diff_briefs``.
* ``versions``: the brief in the store (save, get, history, diff, restore, import, record a
  baseline) and what later stages read: ``get_contract``, ``readiness``, ``scope_step``.
"""

from core.scoping.brief import (
    TEXT_FIELDS,
    Brief,
    BriefVersion,
    GovernanceItem,
    Milestone,
    default_governance,
    normalize_brief,
    parse_date,
)
from core.scoping.contract import (
    CONTRACT_NUMBER_LABELS,
    Baseline,
    Contract,
    MetricFloor,
    MetricTarget,
    contract_frame,
)
from core.scoping.diff import diff_briefs
from core.scoping.markdown import export_filename, from_markdown, to_markdown
from core.scoping.validation import (
    NUMBER_RULES,
    ScopingError,
    advisories,
    validate_brief,
)
from core.scoping.versions import (
    diff_versions,
    get_brief,
    get_contract,
    import_brief,
    list_versions,
    project_columns,
    readiness,
    record_baseline,
    restore_version,
    save_brief,
    scope_step,
)
from core.scoping.vocabulary import (
    AUTOMATION,
    BASELINE_KINDS,
    GOVERNANCE_ITEMS,
    GOVERNANCE_STATUS,
    METRIC_LABELS,
    METRICS,
    TASK_TYPES,
    comparison,
    meets,
)

__all__ = [
    "AUTOMATION",
    "BASELINE_KINDS",
    "CONTRACT_NUMBER_LABELS",
    "GOVERNANCE_ITEMS",
    "GOVERNANCE_STATUS",
    "METRICS",
    "METRIC_LABELS",
    "NUMBER_RULES",
    "TASK_TYPES",
    "TEXT_FIELDS",
    "Baseline",
    "Brief",
    "BriefVersion",
    "Contract",
    "GovernanceItem",
    "MetricFloor",
    "MetricTarget",
    "Milestone",
    "ScopingError",
    "advisories",
    "comparison",
    "contract_frame",
    "default_governance",
    "diff_briefs",
    "diff_versions",
    "export_filename",
    "from_markdown",
    "get_brief",
    "get_contract",
    "import_brief",
    "list_versions",
    "meets",
    "normalize_brief",
    "parse_date",
    "project_columns",
    "readiness",
    "record_baseline",
    "restore_version",
    "save_brief",
    "scope_step",
    "to_markdown",
    "validate_brief",
]
