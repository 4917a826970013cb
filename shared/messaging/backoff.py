"""Waiting out outages: capped exponential backoff, and a log line per change of state (not per retry)."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


class Backoff:
    """0.5 s, 1 s, 2 s, ... up to `cap`; back to the start after a success."""

    def __init__(self, initial: float = 0.5, cap: float = 10.0) -> None:
        self._initial = initial
        self._cap = cap
        self._next = initial

    def next(self) -> float:
        delay = self._next
        self._next = min(self._cap, self._next * 2)
        return delay

    def reset(self) -> None:
        self._next = self._initial


def describe(exc: BaseException) -> str:
    """One line naming what failed, the same for the same outage (for comparing states)."""
    text = str(exc).splitlines()[0] if str(exc) else ""
    return f"{type(exc).__name__}: {text}"[:300]


class Condition:
    """What a worker is doing now: 'ok', or failing with a reason. Logs when it changes, and how long the
    failure lasted once it is over, so an outage of an hour is two lines, not thousands."""

    def __init__(self, log: logging.Logger, what: str) -> None:
        self._log = log
        self._what = what
        self.failing: str | None = None
        self._since = 0.0

    def ok(self) -> None:
        if self.failing is not None:
            self._log.warning("%s works again after %.1fs (%s)", self._what, time.monotonic() - self._since,
                              self.failing)
            self.failing = None

    def fail(self, reason: str) -> None:
        if self.failing is None:
            self._since = time.monotonic()
            self._log.error("%s failing, retrying until it works: %s", self._what, reason)
        elif reason != self.failing:
            self._log.error("%s still failing, now: %s", self._what, reason)
        self.failing = reason


def until_it_works(step: Callable[[], T], stop: threading.Event, log: logging.Logger, what: str,
                   cap: float = 10.0) -> T | None:
    """`step()` retried with backoff until it returns (its result) or `stop` is set (None)."""
    backoff, condition = Backoff(cap=cap), Condition(log, what)
    while not stop.is_set():
        try:
            result = step()
        except Exception as exc:  # noqa: BLE001 - an outage of the broker or the database: wait it out
            condition.fail(describe(exc))
            stop.wait(backoff.next())
            continue
        condition.ok()
        return result
    return None
