"""Progress of long work: a callable given the fraction done (0..1) and what is happening,
e.g. a page's progress bar or a command line's log; its return value is ignored."""

from __future__ import annotations

from collections.abc import Callable

Progress = Callable[[float, str], object]


def no_progress(fraction: float, message: str) -> None:
    """The progress callback that reports nothing."""
