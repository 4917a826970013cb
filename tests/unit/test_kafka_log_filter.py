"""kafka-python's warning about a slow network step is dropped when the step is the usual GIL-bound read of
a large fetch response, and kept when it is long enough to matter; other records of its logger pass."""

from __future__ import annotations

import logging

import pytest

import shared.messaging.kafka_logs  # noqa: F401 - installs the filter

SLOW = ("Task <kafka.net.selector.Task object at 0x7f49> ran for {:.3f}s (>0.100s threshold). It is blocking the "
        "event loop -- likely a tight sync loop inside a coroutine. Other pollers will time out.")


@pytest.mark.parametrize(("message", "level", "kept"), [
    (SLOW.format(0.25), logging.WARNING, False),
    (SLOW.format(0.999), logging.WARNING, False),
    (SLOW.format(1.0), logging.WARNING, True),
    (SLOW.format(12.5), logging.WARNING, True),
    (SLOW.format(0.25), logging.ERROR, True),
    ("Selector thread stopped", logging.WARNING, True),
])
def test_only_short_slow_step_warnings_are_dropped(caplog: pytest.LogCaptureFixture, message: str, level: int,
                                                    kept: bool) -> None:
    with caplog.at_level(logging.DEBUG, logger="kafka.net.selector"):
        logging.getLogger("kafka.net.selector").log(level, message)
    assert [r.getMessage() for r in caplog.records] == ([message] if kept else [])
