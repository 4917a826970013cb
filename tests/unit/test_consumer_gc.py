"""A consumer process that turned automatic garbage collection off (tienphong's do) still frees cycles: the
loop collects the young generations before each poll, and every generation now and then."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest

import shared.messaging.pacing as consumer_module
from shared.messaging.pacing import Collector


class Node:
    def __init__(self) -> None:
        self.other: Node | None = None


def cycle() -> weakref.ref[Node]:
    a, b = Node(), Node()
    a.other, b.other = b, a
    return weakref.ref(a)


@pytest.fixture
def automatic_gc_off() -> Iterator[None]:
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def loop() -> Collector:
    """What the consumer loop calls before each poll."""
    return Collector()


def test_cycles_of_a_batch_are_freed_before_the_next_poll(automatic_gc_off: None) -> None:
    consumer = loop()
    young = cycle()
    assert young() is not None  # nothing collects it by itself
    consumer.between_batches()
    assert young() is None


def test_old_cycles_are_freed_by_the_periodic_full_collection(automatic_gc_off: None,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    consumer = loop()
    old = cycle()
    node = old()
    gc.collect(1)  # survives twice: now in the oldest generation, which the collection between polls skips
    gc.collect(1)
    del node
    consumer.between_batches()
    assert old() is not None
    monkeypatch.setattr(consumer_module, "FULL_COLLECTION_SECONDS", 0.0)
    consumer.between_batches()
    assert old() is None
