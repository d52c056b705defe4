"""Rollout rehearsal: replay a stored production stream through shadow, canary or blue-green.

The package owns the Deploy stage's rules; it reads and writes through ``core.db.deploy``
(and reads streams through ``core.db.datasets``). Submodules:

* ``settings``: the patterns, the guardrail metrics, ``Guardrail``, ``RolloutSettings``, their
  validation, the canary schedule, the guardrails that default to the scoping contract.
* ``deciders``: the ``Decider`` protocol, ``HumanDecider``, ``ModelDecider``, ``make_decider``.
* ``stream``: ``check_stream`` and ``prepare_stream`` (sort, window, score both deciders once).
* ``routing``: the sticky FNV-1a routing buckets.
* ``bounds``: one-sided Wilson, Hanley-McNeil (ROC AUC), p95 order-statistic and CLT
  mean-error bounds.
* ``guardrails``: the guardrail judge, one function per metric family, and pass / breach.
* ``replay``: one pattern's windows and per-request arrays, a window's timeline row and checks.
* ``strategies``: one strategy per pattern (shadow, canary, blue-green) and the event log.
* ``rollout``: ``simulate_rollout``, the window loop that asks the strategy.
* ``summary``: exposure, the rollback story, the verdict (go / no-go / not judged), tables.
* ``readout``: each headline number with what it measures, from when to when, and "—"
  with its reason when it does not apply; the rollback story as a sentence.
* ``simulations``: run and store rehearsals, read them back, the lifecycle's Deploy step,
  the incumbent to offer by default, a stored rehearsal's tables as the user reads them.

DESIGN
------
* Deciders. The incumbent (the human process or a registered model) and the candidate (a
  registered model) are ``Decider`` objects: ``name``, ``features`` and
  ``predict_proba(frame) -> P(positive)``. ``HumanDecider`` reads the recorded decision
  column; ``ModelDecider`` loads a verified registry version.
* Order. A stream is replayed by its time column, or, when it has none, in file order: the
  rows as stored, in windows of N requests, on a clock of one second per request
  (``FILE_ORIGIN``), so every rule below runs unchanged and durations read in requests.
* Incumbent. The human process (the project's incumbent-decision column) when the stream
  has that column, otherwise the current champion: shadow vs incumbent, or vs champion.
* Two stages. ``prepare_stream`` sorts the stream by time, cuts it into windows (a setting)
  and runs both deciders window by window, as batches, timing every batch: the models are
  scored once. ``simulate_rollout`` then replays one pattern over the scored stream. The
  loop runs over windows (tens to hundreds), never over rows; each window is numpy on a
  slice. Three patterns on the same stream share one scoring pass (``compare_patterns``).
* Routing is a stable FNV-1a hash of the routing key (the request id) salted with the seed,
  mod 10,000: a request's bucket never changes, so a key routed to the candidate at 5% is
  still routed there at 25% (stickiness), and equal seeds route identically.
* Guardrails are judged with confidence, not point estimates, so a 5% canary of a few dozen
  requests is not rolled back by noise: a floor is breached when the one-sided upper
  confidence bound of the metric is below it (Wilson for shares, Hanley-McNeil for ROC AUC,
  the CLT for mean losses, an order-statistic bound for the p95 latency). A guardrail that
  needs labels is skipped, and said so, in windows whose labels have not arrived.
* A rehearsal whose label guardrails (the contract's primary metric among them) were never
  judged is "not judged", never a go: its reasons say which and what to do, and the errors
  it exposed are "not known".
* Latency of a model's request = its measured single-call time + the window batch's measured
  time per row + a serving overhead + exponential jitter drawn from the seed. Pass
  ``inference_ms`` to replace the measurement (bit-for-bit reproducible results).
* Results (settings, per-window timeline, guardrail checks, events, summary) are stored
  append-only through the store and read back for the page; nothing is recomputed there.
"""

from core.deploy.bounds import (
    MIN_MEAN_SAMPLE,
    auc_with_se,
    mean_bound,
    p95_bound,
    rmse_bound,
    wilson_bound,
)
from core.deploy.deciders import Decider, HumanDecider, ModelDecider, make_decider
from core.deploy.guardrails import MIN_AUC_CLASS, MIN_LATENCY_SAMPLE, judge
from core.deploy.readout import SummaryMetric, rollback_story, summary_metrics, wrong_rule
from core.deploy.rollout import RolloutResult, simulate_rollout
from core.deploy.routing import N_BUCKETS, route_buckets
from core.deploy.settings import (
    DEFAULT_GUARDRAILS,
    FILE_ORIGIN,
    GUARDRAIL_METRICS,
    ORDERS,
    PATTERNS,
    REGRESSION_MEANINGS,
    TASKS,
    DeployError,
    Guardrail,
    RolloutSettings,
    contract_tolerance,
    default_guardrails,
    guardrail_metrics,
    guardrails_frame,
    guardrails_from_frame,
    looser_than_contract,
    parse_schedule,
    request_number,
    validate_settings,
    with_column_roles,
)
from core.deploy.simulations import (
    StoredSimulation,
    candidates,
    comparison_frame,
    deploy_step,
    events_frame,
    incumbent_choices,
    list_streams,
    load_simulation,
    project_task,
    run_simulation,
    save_simulation,
    simulations_frame,
    stream_columns,
    timeline_frame,
)
from core.deploy.stream import ScoredStream, check_stream, prepare_stream
from core.deploy.summary import GO, NO_GO, NOT_JUDGED, compare_patterns, guardrail_steps

__all__ = [
    "DEFAULT_GUARDRAILS",
    "FILE_ORIGIN",
    "GO",
    "GUARDRAIL_METRICS",
    "MIN_AUC_CLASS",
    "MIN_LATENCY_SAMPLE",
    "MIN_MEAN_SAMPLE",
    "NOT_JUDGED",
    "NO_GO",
    "N_BUCKETS",
    "ORDERS",
    "PATTERNS",
    "REGRESSION_MEANINGS",
    "TASKS",
    "Decider",
    "DeployError",
    "Guardrail",
    "HumanDecider",
    "ModelDecider",
    "RolloutResult",
    "RolloutSettings",
    "ScoredStream",
    "StoredSimulation",
    "SummaryMetric",
    "auc_with_se",
    "candidates",
    "check_stream",
    "compare_patterns",
    "contract_tolerance",
    "comparison_frame",
    "default_guardrails",
    "deploy_step",
    "events_frame",
    "guardrail_metrics",
    "guardrail_steps",
    "guardrails_frame",
    "guardrails_from_frame",
    "incumbent_choices",
    "judge",
    "list_streams",
    "load_simulation",
    "looser_than_contract",
    "make_decider",
    "mean_bound",
    "p95_bound",
    "parse_schedule",
    "prepare_stream",
    "project_task",
    "request_number",
    "rmse_bound",
    "rollback_story",
    "route_buckets",
    "run_simulation",
    "save_simulation",
    "simulate_rollout",
    "simulations_frame",
    "stream_columns",
    "summary_metrics",
    "timeline_frame",
    "validate_settings",
    "wilson_bound",
    "with_column_roles",
    "wrong_rule",
]
