"""The budgets kept in the shared store: two limiters on one access database (two gunicorn workers, or two
replicas) take from one bucket, or count one login window, on both backends; concurrent takers never get
more than it holds."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

from shared.config import from_env
from shared.db import make_engine
from shared.ratelimit_store import SharedRateLimiter, SharedWindowLimiter
from tests.support.system import settings


class Limiter(Protocol):
    def acquire(self, key: str) -> float: ...


def access_url(tmp_path: Path, template: str | None) -> str:
    return from_env("access", settings(tmp_path, "127.0.0.1:1", template)).access_url


def test_two_workers_share_one_bucket_per_service_and_key(tmp_path: Path, database_template: str | None) -> None:
    url = access_url(tmp_path, database_template)
    # 6 a minute, a burst of 1: each worker counting alone would let one request through each
    first = SharedRateLimiter(make_engine(url), "registration", per_minute=6)
    second = SharedRateLimiter(make_engine(url), "registration", per_minute=6)
    assert first.acquire("k1") == 0.0
    wait = second.acquire("k1")
    assert 9.0 < wait <= 10.0  # a token every 10 s
    assert first.acquire("k1") > 0
    assert second.acquire("k2") == 0.0  # another key's bucket is its own
    other_service = SharedRateLimiter(make_engine(url), "reporting", per_minute=6)
    assert other_service.acquire("k1") == 0.0  # and so is another service's


def granted_side_by_side(limiters: Sequence[Limiter], key: str, threads: int, each: int) -> list[bool]:
    """`threads` threads, spread over the limiters (the workers), each asking `each` times for `key`."""
    granted: list[bool] = []
    lock = threading.Lock()

    def ask(limiter: Limiter) -> None:
        for _ in range(each):
            ok = limiter.acquire(key) == 0.0
            with lock:
                granted.append(ok)

    running = [threading.Thread(target=ask, args=(limiters[i % len(limiters)],)) for i in range(threads)]
    for thread in running:
        thread.start()
    for thread in running:
        thread.join()
    return granted


def test_concurrent_takers_get_exactly_the_burst(tmp_path: Path, database_template: str | None) -> None:
    url = access_url(tmp_path, database_template)
    # a burst of 20, refilling one token a minute: 8 threads on two "workers" taking 10 each
    limiters = [SharedRateLimiter(make_engine(url), "support", per_minute=1, burst=20) for _ in range(2)]
    granted = granted_side_by_side(limiters, "bank", threads=8, each=10)
    assert len(granted) == 80
    assert sum(granted) == 20


def test_login_attempts_are_counted_across_workers(tmp_path: Path, database_template: str | None) -> None:
    url = access_url(tmp_path, database_template)
    # 2 attempts a minute per username: each worker counting alone would let 4 through
    first, second = (SharedWindowLimiter(make_engine(url), "login-username", limit=2) for _ in range(2))
    assert first.acquire("lan") == 0.0 and second.acquire("lan") == 0.0
    assert 59.0 < first.acquire("lan") <= 60.0 and 59.0 < second.acquire("lan") <= 60.0  # until the first leaves
    assert second.acquire("minh") == 0.0  # another username's window is its own
    other_namespace = SharedWindowLimiter(make_engine(url), "login-address", limit=2)
    assert other_namespace.acquire("lan") == 0.0


def test_concurrent_login_attempts_get_exactly_the_limit(tmp_path: Path, database_template: str | None) -> None:
    url = access_url(tmp_path, database_template)
    limiters = [SharedWindowLimiter(make_engine(url), "login-address", limit=12) for _ in range(2)]
    granted = granted_side_by_side(limiters, "10.0.0.7", threads=6, each=5)
    assert len(granted) == 30
    assert sum(granted) == 12
