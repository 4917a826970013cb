"""Request budgets: per key (token bucket), so one runaway agency script cannot starve the others;
per username and address for login attempts (sliding window)."""

from __future__ import annotations

import math
import threading
import time
from collections import deque


class RateLimiter:
    def __init__(self, per_minute: int, burst: int | None = None) -> None:
        self.rate = per_minute / 60.0
        self.capacity = float(burst if burst is not None else max(1, per_minute // 6))
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def acquire(self, key: str) -> float:
        """0 when the request may go ahead, else the seconds to wait before retrying."""
        if self.rate <= 0:
            return 0.0
        now = time.monotonic()
        with self._lock:
            tokens, last = self._buckets.get(key, (self.capacity, now))
            tokens = min(self.capacity, tokens + (now - last) * self.rate)
            if tokens >= 1.0:
                self._buckets[key] = (tokens - 1.0, now)
                return 0.0
            self._buckets[key] = (tokens, now)
            return (1.0 - tokens) / self.rate


def retry_after_header(wait_seconds: float) -> str:
    return str(max(1, math.ceil(wait_seconds)))


class WindowLimiter:
    """At most `limit` attempts per key in any `window` seconds: for login attempts, a budget that
    fast guessing cannot refill (a token bucket refills while argon2 works)."""

    def __init__(self, limit: int, window: float = 60.0, max_keys: int = 100_000) -> None:
        self.limit = limit
        self.window = window
        self._max_keys = max_keys
        self._attempts: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def acquire(self, key: str) -> float:
        """0 when the attempt may go ahead (and is counted), else the seconds until one may."""
        now = time.monotonic()
        with self._lock:
            attempts = self._attempts.setdefault(key, deque())
            wait = take_in_window(attempts, now, self.limit, self.window)
            if len(self._attempts) > self._max_keys:  # many usernames or addresses: forget the quiet ones
                self._attempts = {k: a for k, a in self._attempts.items() if a and a[-1] > now - self.window}
            return wait


def take_in_window(attempts: deque[float], now: float, limit: int, window: float) -> float:
    """The sliding window's rule on one key's attempts (oldest first), changed in place: forget those
    older than the window; count this one when fewer than `limit` remain (0), else the seconds to wait."""
    while attempts and attempts[0] <= now - window:
        attempts.popleft()
    if len(attempts) >= limit:
        return attempts[0] + window - now
    attempts.append(now)
    return 0.0
