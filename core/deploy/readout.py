"""How a stored rehearsal's summary reads: each headline number with what it measures, from
when to when, and "—" with the reason when it does not apply to this rehearsal; and the
rollback story as a sentence. Plain text for the page, computed from the stored summary."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from core.deploy.settings import RolloutSettings
from core.deploy.summary import when

NOT_APPLICABLE = "—"
NOT_KNOWN = "not known"

ONSET = (
    "The onset is the start of the first window of the unbroken run of windows, ending at "
    "the rollback, in which the breached guardrail's estimate on the candidate's traffic was "
    "already on the wrong side of its threshold (for blue-green, not before the switch)."
)
DETECTION = (
    "The detection is the end of the window whose confidence bound crossed the threshold, "
    "when the rollback is decided."
)


@dataclass(frozen=True)
class SummaryMetric:
    """One headline number: its label, value as shown, what it measures, and why it reads
    "—" or "not known" (None when it applies)."""

    label: str
    value: str
    help: str
    reason: str | None = None

    @property
    def full_help(self) -> str:
        return self.help if self.reason is None else f"{self.help}\n\n**Here:** {self.reason}"


def _span(s: RolloutSettings, summ: dict[str, Any]) -> str:
    start, end = summ.get("start"), summ.get("end")
    if start is None or end is None:
        return "over the whole replay"
    if s.file_order:
        return f"over the whole replay (all {summ.get('requests', 0):,} requests, in file order)"
    return f"from the start of the replay ({start}) to its end ({end})"


def summary_metrics(summ: dict[str, Any], s: RolloutSettings) -> list[SummaryMetric]:
    """The six headline numbers of a rehearsal, each with its help and, when it does not
    apply or is not known, the reason.

    >>> m = summary_metrics({"pattern": "shadow", "served_by_candidate": 0, "rollbacks": 0},
    ...                     RolloutSettings(pattern="shadow"))
    >>> [(x.label, x.value) for x in m][3:]
    [('Rollbacks', '—'), ('Days to full rollout', '—'), ('Hours to detect', '—')]
    """
    shadow = summ.get("pattern", s.pattern) == "shadow"
    span = _span(s, summ)
    return [
        _served(summ, span, shadow),
        _errors_exposed(summ, span, shadow, s),
        _excess_wrong(summ, span, shadow, s),
        _rollbacks(summ, span, shadow),
        _full_rollout(summ, s, shadow),
        _detect(summ, s, shadow),
    ]


def _count(value: Any) -> str:
    return NOT_KNOWN if value is None else f"{value:,}"


def _served(summ: dict[str, Any], span: str, shadow: bool) -> SummaryMetric:
    return SummaryMetric(
        "Served by candidate",
        _count(summ.get("served_by_candidate", 0)),
        f"Requests answered by the candidate side (its own decision, or the human fallback "
        f"it asked for), {span}.",
        "a shadow decides beside the incumbent and serves nothing." if shadow else None,
    )


def _no_label_reason(summ: dict[str, Any]) -> str:
    return (
        f"none of the {summ.get('served_by_candidate', 0):,} requests the candidate served "
        "has a label, so nobody can tell which were wrong."
    )


def wrong_rule(s: RolloutSettings, tolerance: float | None = None) -> str:
    """What counts as a wrong answer in this rehearsal, as the legend says it.

    >>> wrong_rule(RolloutSettings(task="regression", tolerance=50.0))
    'a prediction whose absolute error |outcome − prediction| exceeds the error tolerance (50)'
    """
    if not s.regression:
        return "a decision the label disagrees with"
    tol = s.error_tolerance if tolerance is None else tolerance
    told = "not set" if tol is None else f"{tol:g}"
    return (
        "a prediction whose absolute error |outcome − prediction| exceeds the error "
        f"tolerance ({told})"
    )


def _no_tolerance_reason(summ: dict[str, Any]) -> str | None:
    if summ.get("task") == "regression" and summ.get("error_tolerance") is None:
        return (
            "no error tolerance was set (the brief has no MAE target and the guardrails no MAE "
            "ceiling), so nobody can tell which predictions were wrong: set one and replay."
        )
    return None


def _wrong_count(
    summ: dict[str, Any], key: str, shadow_reason: str | None
) -> tuple[str, str | None]:
    """A count of wrong answers as shown, and why it reads so: not known without an error
    tolerance (regression) or labels; else ``shadow_reason`` (None when no shadow ran)."""
    value = summ.get(key)
    if value is None:
        return _count(value), _no_tolerance_reason(summ) or _no_label_reason(summ)
    return _count(value), shadow_reason


def _errors_exposed(
    summ: dict[str, Any], span: str, shadow: bool, s: RolloutSettings
) -> SummaryMetric:
    shown, reason = _wrong_count(
        summ,
        "errors_exposed",
        "a shadow serves nothing, so it exposes no user to an error." if shadow else None,
    )
    wrong = (
        "Wrong decisions (the label disagrees)"
        if not s.regression
        else f"Wrong predictions ({wrong_rule(s, summ.get('error_tolerance'))})"
    )
    return SummaryMetric(
        "Errors exposed",
        shown,
        f"{wrong} plus failed requests (status 500 or above, "
        f"or over the timeout) among the requests the candidate served, {span}.",
        reason,
    )


def _excess_wrong(
    summ: dict[str, Any], span: str, shadow: bool, s: RolloutSettings
) -> SummaryMetric:
    shadow_reason = (
        "a shadow serves nothing; its accuracy beside the incumbent's is in the reasons."
        if not s.regression
        else "a shadow serves nothing; both sides' errors are in the guardrails."
    )
    shown, reason = _wrong_count(summ, "excess_wrong", shadow_reason if shadow else None)
    what = "Wrong decisions" if not s.regression else "Wrong predictions (beyond the tolerance)"
    return SummaryMetric(
        "Extra wrong vs incumbent",
        shown,
        f"{what} the candidate served minus those the incumbent would have made on "
        f"the same labelled requests, {span}; negative when the candidate was right more often.",
        reason,
    )


def _rollbacks(summ: dict[str, Any], span: str, shadow: bool) -> SummaryMetric:
    help_text = (
        "Automatic rollbacks: a guardrail's confidence bound crossed its threshold on the "
        f"traffic the candidate served, {span}. A rollout is rolled back at most once."
    )
    if shadow:
        return SummaryMetric(
            "Rollbacks", NOT_APPLICABLE, help_text,
            "a shadow serves nothing, so nothing is rolled back; windows that would have "
            "breached are listed under Events.",
        )
    return SummaryMetric("Rollbacks", f"{summ.get('rollbacks', 0):,}", help_text)


def _full_rollout(summ: dict[str, Any], s: RolloutSettings, shadow: bool) -> SummaryMetric:
    label = "Requests to full rollout" if s.file_order else "Days to full rollout"
    unit = "requests replayed" if s.file_order else "days"
    help_text = (
        f"{unit.capitalize()} from the start of the replay to the moment the candidate took "
        "its full share: for a canary, the end of the window in which it was promoted to its "
        "last step (100%, or the schedule's last share held for its healthy windows); for "
        "blue-green, the switch."
    )
    value = summ.get("requests_to_full_rollout" if s.file_order else "time_to_full_rollout_days")
    if shadow:
        return SummaryMetric(label, NOT_APPLICABLE, help_text,
                             "a shadow never serves the candidate, so it is never rolled out.")
    if value is None:
        if summ.get("rollbacks"):
            reason = (f"it was rolled back at {summ.get('rollback_share', 0):g}% of traffic "
                      "before reaching its full share.")
        else:
            reason = (f"the replay ended with the candidate at {summ.get('final_share', 0):g}%, "
                      "before its last step.")
        return SummaryMetric(label, NOT_APPLICABLE, help_text, reason)
    return SummaryMetric(label, f"{value:,}" if s.file_order else f"{value:g}", help_text)


def _detect(summ: dict[str, Any], s: RolloutSettings, shadow: bool) -> SummaryMetric:
    label = "Requests to detect" if s.file_order else "Hours to detect"
    window = summ.get("window") or (f"{s.window_requests} requests" if s.file_order else s.window)
    help_text = (
        f"{'Requests replayed' if s.file_order else 'Hours'} from the onset of the "
        f"degradation to its detection. {ONSET} {DETECTION} Both are window edges, so it is "
        f"counted in whole windows ({window} here)."
    )
    value = summ.get("requests_to_detect" if s.file_order else "time_to_detect_hours")
    if shadow:
        return SummaryMetric(label, NOT_APPLICABLE, help_text,
                             "a shadow never rolls back: nothing is detected and acted on.")
    if value is None:
        return SummaryMetric(
            label, NOT_APPLICABLE, help_text,
            "no rollback: no guardrail was breached on the traffic the candidate served, so "
            "there was no degradation to detect.",
        )
    return SummaryMetric(label, f"{value:,}" if s.file_order else f"{value:g}", help_text)


def rollback_story(summ: dict[str, Any], s: RolloutSettings) -> str | None:
    """What the bad side served between the onset and the rollback (None: no rollback)."""
    if summ.get("bad_side_requests") is None:
        return None
    wrong = summ.get("bad_side_wrong")
    delay = (
        "effective from the next request"
        if s.file_order
        else f"{s.rollback_seconds:g} s after detection"
    )
    return (
        f"Between the onset ({when(s, summ['onset'])}) and the rollback "
        f"({when(s, summ['rolled_back_at'])}, {delay}) the bad side served "
        f"{summ['bad_side_requests']:,} requests, "
        + ("how many of them wrong is not known (no label)." if wrong is None
           else f"{wrong:,} of them wrong.")
    )
