"""One strategy per rollout pattern: which requests the candidate serves in a window, and
what happens at the window's end.

* ``Shadow``: the candidate decides beside the incumbent on every request and serves none; a
  breach is only recorded ("would have breached"), and the whole period is judged at once.
* ``Canary``: a growing share routed by the stable hash, promoted along the schedule after
  enough healthy windows, rolled back on a breach.
* ``BlueGreen``: everything switches to the candidate at ``switch_at`` and is rolled back
  at once on a breach.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from core.deploy.guardrails import judge_arm, status_of
from core.deploy.replay import Replay
from core.deploy.routing import routed_share

EVENT_COLUMNS = ["at", "window_idx", "kind", "share_from", "share_to", "reason"]


class EventLog:
    """The rollout's events in order: start, switch, promote, full_rollout, rollback, breach."""

    def __init__(self) -> None:
        self.rows: list[dict[str, Any]] = []

    def add(
        self, at: Any, w: int, kind: str, share_from: float, share_to: float, reason: str
    ) -> None:
        self.rows.append(
            {
                "at": pd.Timestamp(at),
                "window_idx": w,
                "kind": kind,
                "share_from": share_from,
                "share_to": share_to,
                "reason": reason,
            }
        )

    def has(self, kind: str) -> bool:
        return any(e["kind"] == kind for e in self.rows)

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.rows, columns=EVENT_COLUMNS)


@dataclass(frozen=True)
class Route:
    """A window's routing: the planned share and step, who the candidate served
    (``routed``), whose requests its guardrails judge (``arm``) and the incumbent's
    (``reference``) they are compared with."""

    share: float
    step: int
    routed: np.ndarray
    arm: np.ndarray
    reference: np.ndarray


class Strategy:
    """A pattern: ``start`` logs the opening event, ``route`` routes a window, ``close``
    decides at its end; ``full_at`` is when the candidate took all it was meant to."""

    pattern = ""

    def __init__(self, replay: Replay, events: EventLog) -> None:
        self.replay = replay
        self.s = replay.settings
        self.events = events
        self.full_at: pd.Timestamp | None = None

    def start(self) -> None:
        """Log the opening event, if the pattern has one."""

    def route(self, w: int) -> Route:
        raise NotImplementedError

    def close(self, w: int, n_routed: int, share: float, breached: list[str], judged: int) -> None:
        raise NotImplementedError

    def pooled(self) -> dict[str, dict[str, Any]] | None:
        """Guardrails judged over the whole replay (None: the pattern judges per window)."""
        return None

    def _n(self, w: int) -> int:
        sl = self.replay.windows.rows(w)
        return sl.stop - sl.start


class Shadow(Strategy):
    pattern = "shadow"

    def start(self) -> None:
        self.events.add(
            self.replay.windows.start(0),
            0,
            "start",
            0.0,
            0.0,
            "Shadow starts: the candidate decides on 100%, serves 0%",
        )

    def route(self, w: int) -> Route:
        n = self._n(w)
        return Route(0.0, 0, np.zeros(n, bool), np.ones(n, bool), np.ones(n, bool))

    def close(self, w: int, n_routed: int, share: float, breached: list[str], judged: int) -> None:
        if breached:
            self.events.add(
                self.replay.windows.end(w),
                w,
                "breach",
                0.0,
                0.0,
                "Would have breached: " + "; ".join(breached),
            )

    def pooled(self) -> dict[str, dict[str, Any]]:
        """A shadow is judged on all it saw, not window by window."""
        out = {}
        for g in self.s.guardrails:
            value, bound, m = judge_arm(g.metric, self.replay.candidate, self.s.confidence)
            status = status_of(g, bound)
            holds = None if status == "too few" else status == "pass"
            out[g.label] = {"value": value, "bound": bound, "n": m, "holds": holds}
        return out


class _Live(Strategy):
    """A pattern that serves the candidate: a breach on served traffic rolls it back."""

    def __init__(self, replay: Replay, events: EventLog) -> None:
        super().__init__(replay, events)
        self.rolled_back = False

    def close(self, w: int, n_routed: int, share: float, breached: list[str], judged: int) -> None:
        if self.rolled_back:
            return
        live = n_routed > 0
        if breached and live:
            self.rolled_back = True
            end = self.replay.windows.end(w)
            self.events.add(end, w, "rollback", share, 0.0, "Rolled back: " + "; ".join(breached))
            return
        self.advance(w, live, bool(breached), judged)

    def advance(self, w: int, live: bool, breached: bool, judged: int) -> None:
        raise NotImplementedError


class Canary(_Live):
    pattern = "canary"

    def __init__(self, replay: Replay, events: EventLog) -> None:
        super().__init__(replay, events)
        self.schedule = list(self.s.schedule)
        self.step = 0
        self.healthy = 0

    def start(self) -> None:
        first = self.schedule[0]
        self.events.add(
            self.replay.windows.start(0),
            0,
            "start",
            0.0,
            first,
            f"Canary starts at {first:g}% of traffic",
        )

    def route(self, w: int) -> Route:
        share = 0.0 if self.rolled_back else self.schedule[self.step]
        routed = routed_share(self.replay.buckets[self.replay.windows.rows(w)], share)
        return Route(share, 0 if self.rolled_back else self.step + 1, routed, routed, ~routed)

    def advance(self, w: int, live: bool, breached: bool, judged: int) -> None:
        """Count healthy windows; promote along the schedule, or hold the last step."""
        if judged > 0 and not breached:
            self.healthy += 1
        if self.healthy < self.s.healthy_windows:
            return
        end, now = self.replay.windows.end(w), self.schedule[self.step]
        if self.step < len(self.schedule) - 1:
            nxt = self.schedule[self.step + 1]
            self.events.add(
                end,
                w,
                "promote",
                now,
                nxt,
                f"{self.healthy} healthy window(s) at {now:g}%: promoted to {nxt:g}%",
            )
            self.step += 1
            self.healthy = 0
            if nxt >= 100 and self.full_at is None:
                self.full_at = end
        elif self.full_at is None:
            self.full_at = end
            self.events.add(
                end,
                w,
                "full_rollout",
                now,
                now,
                f"{now:g}% held for {self.healthy} healthy window(s)",
            )


class BlueGreen(_Live):
    pattern = "blue_green"

    def __init__(self, replay: Replay, events: EventLog) -> None:
        super().__init__(replay, events)
        self.switch_at = pd.Timestamp(self.s.switch_at or replay.windows.start(0)).to_datetime64()

    def route(self, w: int) -> Route:
        windows = self.replay.windows
        end = windows.end(w).to_datetime64()
        after = self.replay.t[windows.rows(w)] >= self.switch_at
        routed = np.zeros_like(after) if self.rolled_back else after
        if not self.rolled_back and self.switch_at < end and not self.events.has("switch"):
            self.events.add(
                max(pd.Timestamp(self.switch_at), windows.start(w)),
                w,
                "switch",
                0.0,
                100.0,
                "Blue-green switch: green takes 100%, blue stays warm",
            )
        share = 0.0 if self.rolled_back or end <= self.switch_at else 100.0
        return Route(share, 0, routed, routed, ~routed)

    def advance(self, w: int, live: bool, breached: bool, judged: int) -> None:
        if live and self.full_at is None:
            self.full_at = max(pd.Timestamp(self.switch_at), self.replay.windows.start(w))


STRATEGIES: dict[str, type[Strategy]] = {
    "shadow": Shadow,
    "canary": Canary,
    "blue_green": BlueGreen,
}


def make_strategy(replay: Replay, events: EventLog) -> Strategy:
    """The strategy of the replay's pattern."""
    return STRATEGIES[replay.settings.pattern](replay, events)
