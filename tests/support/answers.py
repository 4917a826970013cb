"""A call made in a thread, for tests that a read does not wait behind something holding a lock."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def answered_within(seconds: float, ask: Callable[[], T]) -> T:
    """`ask()`'s answer, failing the test if it takes longer than `seconds` (the thread is left to finish)."""
    replies: list[T] = []
    worker = threading.Thread(target=lambda: replies.append(ask()), daemon=True)
    worker.start()
    worker.join(timeout=seconds)
    assert replies, f"no answer within {seconds} s while a writer held the database"
    return replies[0]
