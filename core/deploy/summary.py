"""What a replay amounts to: exposure (what users were served), the rollback story (onset,
detection, bad-side requests) and the verdict — "go", "no-go", or "not judged" when a
guardrail that needs labels (the contract's primary metric among them) could never be
judged, so the rehearsal is neither a pass nor a fail. Plus the tables that compare
rehearsals and show each guardrail per traffic step."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from core.deploy.settings import GUARDRAIL_METRICS, Guardrail, RolloutSettings, request_number

if TYPE_CHECKING:
    from core.deploy.replay import Replay
    from core.deploy.rollout import RolloutResult

GO, NO_GO, NOT_JUDGED = "go", "no-go", "not judged"
# what to do when label guardrails could not be judged, by the replay's label state
LABEL_ADVICE = {
    "not set": "Set the label column under 'Stream columns' (or the project's target column "
    "on the Overview page) and replay.",
    "missing": "The stream has no label column {column!r}: pick its label column under "
    "'Stream columns' and replay.",
    "none arrived": "No label has arrived for the replayed requests yet: wait for labels, "
    "then replay.",
    "arrived": "Too few labels had arrived in each window: raise the label delay (each window "
    "is then judged on labels that have arrived), choose a longer window, or wait for labels.",
}


def summarise(
    replay: Replay,
    timeline: pd.DataFrame,
    checks: pd.DataFrame,
    events: pd.DataFrame,
    *,
    routed: np.ndarray,
    full_at: pd.Timestamp | None,
    pooled: dict[str, dict[str, Any]] | None,
    warnings: list[str],
) -> dict[str, Any]:
    """The stored summary of one replay: exposure, timings, the rollback story and verdict.

    ``pooled`` are the guardrails judged over the whole period (a shadow's), else None.
    """
    s, edges = replay.settings, replay.windows.edges
    rollback = events[events["kind"] == "rollback"]
    timed = not s.file_order  # file order has no clock: durations are counted in requests
    out: dict[str, Any] = {
        "pattern": s.pattern,
        "order": s.order,
        "window": f"{s.window_requests} requests" if s.file_order else s.window,
        "candidate_threshold": replay.candidate_threshold,
        "requests": len(replay.y),
        "windows": len(timeline),
        "start": str(edges[0]),
        "end": str(edges[-1]),
        **_exposure(replay, routed),
        "rollbacks": len(rollback),
        "final_share": float(timeline["share_target"].iloc[-1]) if len(timeline) else 0.0,
        "agreement": _agreement(replay),
        "full_rollout_at": None if full_at is None else str(full_at),
        "time_to_full_rollout_days": _days(edges[0], full_at) if timed else None,
        "requests_to_full_rollout": (
            None if full_at is None else int((replay.times < pd.Timestamp(full_at)).sum())
        ),
        "time_to_detect_hours": None,
        "requests_to_detect": None,
        "time_to_rollback_hours": None,
        "bad_side_requests": None,
        "bad_side_wrong": None,
    }
    if s.regression:
        out["task"] = "regression"
        out["error_tolerance"] = s.error_tolerance
    if pooled is not None:
        out.update(_accuracies(replay))
    if len(rollback):
        out.update(_rollback_story(replay, timeline, checks, rollback.iloc[0], routed, out))
    if pooled is not None:
        decision, reasons = shadow_verdict(pooled, checks, s, replay.label_state)
    else:
        decision, reasons = live_verdict(s, out, checks, replay.label_state)
    if pooled is not None and s.regression:
        reasons.append(_shadow_maes(out, int(np.isfinite(replay.y).sum())))
    if s.file_order:
        reasons.append(file_order_note(len(replay.y), s.window_requests))
    out["decision"] = decision
    out["reasons"] = reasons
    out["warnings"] = list(warnings)
    out["label_state"] = replay.label_state
    if pooled:
        out["pooled"] = pooled
    return out


def _shadow_maes(out: dict[str, Any], labelled: int) -> str:
    """Both sides' MAE over a regression's shadow, as a reason.

    >>> _shadow_maes({"candidate_mae": 6.25, "incumbent_mae": 11.0}, 2000)
    'MAE over the shadow: candidate 6.25, incumbent 11 (2,000 labelled requests).'
    """
    cand, inc = out.get("candidate_mae"), out.get("incumbent_mae")
    if cand is None:
        return "MAE over the shadow: not known (no labelled request)."
    inc_text = "not known" if inc is None else f"{inc:.3g}"
    return (
        f"MAE over the shadow: candidate {cand:.3g}, incumbent {inc_text} "
        f"({labelled:,} labelled requests)."
    )


def file_order_note(requests: int, per_window: int) -> str:
    """What a result replayed in file order says about its order.

    >>> file_order_note(3000, 250).split(":")[0]
    'Replayed in file order'
    """
    return (
        f"Replayed in file order: the stream has no time column, so its {requests:,} "
        f"requests were replayed as they are stored, in windows of {per_window:,} requests; "
        "durations are counted in requests."
    )


def _hours(a: Any, b: Any) -> float | None:
    if a is None or b is None:
        return None
    return round((pd.Timestamp(b) - pd.Timestamp(a)) / pd.Timedelta(hours=1), 2)


def _days(a: Any, b: Any) -> float | None:
    hours = _hours(a, b)
    return None if hours is None else round(hours / 24, 2)


def _exposure(replay: Replay, routed: np.ndarray) -> dict[str, Any]:
    """What the candidate served: requests, wrong and failed answers. The wrong counts are
    None (not known) when the candidate served requests of which none has a label, or, for
    a regression, when no error tolerance says which answers are wrong."""
    y, cand, inc = replay.y, replay.candidate, replay.incumbent
    lab = np.isfinite(y)
    cand_wrong, inc_wrong = replay.wrong(cand.decision, y), replay.wrong(inc.decision, y)
    served_wrong = 0 if cand_wrong is None else int((routed & cand_wrong).sum())
    cf_wrong = 0 if inc_wrong is None else int((routed & inc_wrong).sum())
    failed = int((routed & cand.failed).sum())
    known = not (routed.any() and not (lab & routed).any()) and cand_wrong is not None
    return {
        "served_by_candidate": int(routed.sum()),
        "wrong_served_by_candidate": served_wrong if known else None,
        "excess_wrong": served_wrong - cf_wrong if known else None,
        "failed_served_by_candidate": failed,
        "errors_exposed": served_wrong + failed if known else None,
    }


def _agreement(replay: Replay) -> float | None:
    cand, inc = replay.candidate.decision, replay.incumbent.decision
    both = np.isfinite(inc)
    if replay.settings.regression:  # within the tolerance of each other (see ``_arms``)
        return float(np.mean(replay.candidate.agree[both])) if both.any() else None
    return float(np.mean(cand[both] == inc[both])) if both.any() else None


def _accuracies(replay: Replay) -> dict[str, float | None]:
    """Both sides' accuracy on every labelled request (a shadow sees them all); for a
    regression, both sides' MAE."""
    y = replay.y
    lab = np.isfinite(y)
    if replay.settings.regression:
        return {
            f"{side}_mae": (float(np.nanmean(np.abs(arm.decision[lab] - y[lab])))
                            if np.isfinite(arm.decision[lab]).any() else None)
            for side, arm in (("candidate", replay.candidate), ("incumbent", replay.incumbent))
        }
    if not lab.any():
        return {"candidate_accuracy": None, "incumbent_accuracy": None}
    return {
        "candidate_accuracy": float(np.mean(replay.candidate.decision[lab] == y[lab])),
        "incumbent_accuracy": float(np.mean(replay.incumbent.decision[lab] == y[lab])),
    }


def _onset_window(w: int, timeline: pd.DataFrame, checks: pd.DataFrame) -> int:
    """The start of the unbroken run of windows, ending at detection ``w``, in which a
    breached guardrail's point estimate was already on the wrong side of its threshold."""
    breached = checks[(checks["window_idx"] == w) & (checks["status"] == "breach")]["guardrail"]
    onset_w = w
    for g in breached:
        bad = checks[checks["guardrail"] == g].set_index("window_idx")["point_bad"]
        k = w
        while k - 1 in bad.index and bool(bad.loc[k - 1]) and timeline.loc[k - 1, "n_routed"] > 0:
            k -= 1
        onset_w = min(onset_w, k)
    return onset_w


def _rollback_story(
    replay: Replay,
    timeline: pd.DataFrame,
    checks: pd.DataFrame,
    rb: pd.Series,
    routed: np.ndarray,
    exposure: dict[str, Any],
) -> dict[str, Any]:
    """Onset, detection and rollback times, and what the bad side served meanwhile."""
    s = replay.settings
    onset = timeline.loc[_onset_window(int(rb["window_idx"]), timeline, checks), "window_start"]
    if s.pattern == "blue_green" and s.switch_at is not None:
        onset = max(pd.Timestamp(onset), pd.Timestamp(s.switch_at))  # nothing served before
    detected = pd.Timestamp(rb["at"])
    # file order has no clock: the rollback takes effect from the next request
    back = detected + pd.Timedelta(seconds=0 if s.file_order else s.rollback_seconds)
    t = replay.times
    meanwhile = routed & (t >= onset).to_numpy() & (t < back).to_numpy()
    served_wrong = replay.wrong(replay.candidate.decision, replay.y)
    known = exposure["errors_exposed"] is not None and served_wrong is not None
    return {
        "onset": str(onset),
        "detected_at": str(detected),
        "rolled_back_at": str(back),
        "time_to_detect_hours": None if s.file_order else _hours(onset, detected),
        "requests_to_detect": int(((t >= onset) & (t < detected)).sum()),
        "time_to_rollback_hours": None if s.file_order else round(s.rollback_seconds / 3600, 4),
        "bad_side_requests": int(meanwhile.sum()),
        "bad_side_wrong": (
            int((meanwhile & served_wrong).sum()) if known and served_wrong is not None else None
        ),
        "rollback_share": float(rb["share_from"]),
        "rollback_reason": str(rb["reason"]),
    }


# ------------------------------------------------------------------- verdicts
def not_judged_advice(
    unjudged: Sequence[str], label_state: str, label_column: str | None
) -> list[str]:
    """The "not judged" headline naming the guardrails, and what to do about it.

    >>> headline, advice = not_judged_advice(["Accuracy ≥ 0.8"], "not set", None)
    >>> print(headline.split(",")[0]); print(advice.split(" (")[0])
    Not judged: Accuracy ≥ 0.8 could not be judged
    Set the label column under 'Stream columns'
    """
    if not unjudged:
        return [
            "Not judged: no guardrail could be judged (none was set, or too few requests in "
            "every window), so this rehearsal is neither a pass nor a fail.",
            "Add guardrails (the contract's are the default) or choose a longer window, "
            "and replay.",
        ]
    return [
        f"Not judged: {', '.join(unjudged)} could not be judged, so this rehearsal is neither "
        "a pass nor a fail.",
        LABEL_ADVICE[label_state].format(column=label_column),
    ]


def _unjudged(rails: Sequence[Guardrail], judged: set[str]) -> list[str] | None:
    """The label guardrails never judged; [] when no guardrail at all was judged; None when
    the rehearsal was judged.

    >>> acc, p95 = Guardrail("accuracy", 0.8), Guardrail("p95_latency_ms", 250)
    >>> _unjudged([acc, p95], {p95.label}), _unjudged([p95], set()), _unjudged([acc], {acc.label})
    (['Accuracy ≥ 0.8'], [], None)
    """
    missing = [g.label for g in rails if g.needs_labels and g.label not in judged]
    if missing:
        return list(dict.fromkeys(missing))
    return None if judged else []


NO_ERROR_GUARDRAIL = [
    "Not judged: no guardrail judges the regression model's errors (MAE, RMSE or MAPE), "
    "so this rehearsal is neither a pass nor a fail.",
    "Add an MAE or RMSE ceiling to the guardrails (or a target to the brief) and replay.",
]


def _no_error_guardrail(s: RolloutSettings) -> bool:
    """A regression rehearsal with no label guardrail judged nothing of its predictions."""
    return s.regression and not any(g.needs_labels for g in s.guardrails)


def shadow_verdict(
    pooled: dict[str, dict[str, Any]],
    checks: pd.DataFrame,
    s: RolloutSettings,
    label_state: str,
) -> tuple[str, list[str]]:
    """A shadow's verdict from its guardrails judged over the whole period."""
    reasons, ok = [], True
    for g, r in pooled.items():
        if r["holds"] is None:
            reasons.append(f"{g}: not judged (no labels or too few requests).")
            continue
        ok &= bool(r["holds"])
        verb = "holds" if r["holds"] else "fails"
        reasons.append(
            f"{g}: {verb} over the whole shadow ({r['value']:.3g}, bound {r['bound']:.3g}, "
            f"n={r['n']})."
        )
    breaches = checks[checks["status"] == "breach"]
    for g, grp in breaches.groupby("guardrail", sort=False):
        reasons.append(
            f"{g}: breached in {len(grp)} single window(s) (from window {grp['window_idx'].min() + 1})."
        )
    if not ok:
        return NO_GO, ["A guardrail fails over the shadow period: not ready for traffic.", *reasons]
    if _no_error_guardrail(s):
        return NOT_JUDGED, [NO_ERROR_GUARDRAIL[0], *reasons, NO_ERROR_GUARDRAIL[1]]
    unjudged = _unjudged(s.guardrails, {g for g, r in pooled.items() if r["holds"] is not None})
    if unjudged is not None:
        headline, advice = not_judged_advice(unjudged, label_state, s.label_column)
        return NOT_JUDGED, [headline, *reasons, advice]
    return GO, ["Every guardrail holds over the shadow period: ready for a canary.", *reasons]


def live_verdict(
    s: RolloutSettings, out: dict[str, Any], checks: pd.DataFrame, label_state: str
) -> tuple[str, list[str]]:
    """A canary's or blue-green's verdict: a rollback is a no-go; a label guardrail never
    judged is "not judged"; otherwise a go once the last step was reached."""
    judged = set(checks.loc[checks["status"].isin(["pass", "breach"]), "guardrail"])
    reasons = [
        f"{g}: never judged (no labels or too few requests in every window)."
        for g in sorted(set(checks["guardrail"]) - judged)
    ]
    if out["rollbacks"]:
        bad_wrong = out["bad_side_wrong"]
        return NO_GO, [
            f"{out.get('rollback_reason', 'Rolled back')} at {out['rollback_share']:g}% "
            f"of traffic (window ending {when(s, out['detected_at'])}).",
            *reasons,
            f"{out['bad_side_requests']} requests were served by the bad side between "
            f"the onset and the rollback; "
            + (
                f"{bad_wrong} of them were wrong."
                if bad_wrong is not None
                else "how many were wrong is not known (no label)."
            ),
        ]
    if _no_error_guardrail(s):
        return NOT_JUDGED, [NO_ERROR_GUARDRAIL[0], *reasons, NO_ERROR_GUARDRAIL[1]]
    unjudged = _unjudged(s.guardrails, judged)
    if unjudged is not None:
        headline, advice = not_judged_advice(unjudged, label_state, s.label_column)
        return NOT_JUDGED, [headline, *reasons, advice]
    if out["full_rollout_at"] is None:
        return NO_GO, [
            "The rollout did not reach its last step in the replay (it ended at "
            f"{out['final_share']:g}%).",
            *reasons,
        ]
    if s.pattern == "canary" and s.schedule and s.schedule[-1] < 100:
        reasons.append(
            f"The schedule stops at {s.schedule[-1]:g}%: the rest stays with the incumbent."
        )
    after = (
        f"{out['requests_to_full_rollout']:,} requests"
        if s.file_order
        else f"{out['time_to_full_rollout_days']:g} days"
    )
    return GO, [
        f"Full rollout after {after} with every guardrail holding; no rollback.",
        *reasons,
    ]


def when(s: RolloutSettings, at: Any) -> str:
    """A moment of the replay as the user reads it: a time, or a request number in file
    order (whose clock is one second per request).

    >>> from core.deploy.settings import FILE_ORIGIN
    >>> when(RolloutSettings(order="file"), FILE_ORIGIN + pd.Timedelta(seconds=9))
    'request #10'
    """
    return f"request #{request_number(at):,}" if s.file_order else str(at)


# ------------------------------------------------------------------- tables
def compare_patterns(results: Sequence[RolloutResult | dict[str, Any]]) -> pd.DataFrame:
    """One row per simulation: errors exposed, time to full rollout, rollbacks, exposure."""
    rows = []
    for r in results:
        summ = r if isinstance(r, dict) else r.summary
        rows.append(
            {
                "pattern": str(summ.get("pattern", "")).replace("_", "-"),
                "decision": summ.get("decision"),
                "served by candidate": summ.get("served_by_candidate"),
                "errors exposed": summ.get("errors_exposed"),
                "extra wrong vs incumbent": summ.get("excess_wrong"),
                "rollbacks": summ.get("rollbacks"),
                "days to full rollout": summ.get("time_to_full_rollout_days"),
                "requests to full rollout": summ.get("requests_to_full_rollout"),
                "hours to detect": summ.get("time_to_detect_hours"),
                "requests to detect": summ.get("requests_to_detect"),
                "bad-side requests": summ.get("bad_side_requests"),
            }
        )
    return pd.DataFrame(rows)


STEP_COLUMNS = ["guardrail", "share %", "windows", "judged", "passed", "breached", "worst"]


def guardrail_steps(checks: pd.DataFrame) -> pd.DataFrame:
    """Per guardrail and traffic share: windows judged, passed, breached, worst value."""
    if checks.empty:
        return pd.DataFrame(columns=STEP_COLUMNS)
    c = checks.copy()
    c["judged"] = c["status"].isin(["pass", "breach"])
    c["passed"] = c["status"] == "pass"
    c["breached"] = c["status"] == "breach"
    rows = []
    for (g, share), grp in c.groupby(["guardrail", "share"], sort=False):
        higher = GUARDRAIL_METRICS[grp["metric"].iloc[0]].higher_is_better
        vals = grp.loc[grp["judged"], "value"]
        rows.append(
            {
                "guardrail": g,
                "share %": share,
                "windows": len(grp),
                "judged": int(grp["judged"].sum()),
                "passed": int(grp["passed"].sum()),
                "breached": int(grp["breached"].sum()),
                "worst": (vals.min() if higher else vals.max()) if len(vals) else None,
            }
        )
    return pd.DataFrame(rows)
