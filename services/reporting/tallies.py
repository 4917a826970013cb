"""The projection's memory of participants between batches: a bounded cache of their tallies."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable

from services.reporting.domain import Tally


class Tallies:
    """A bounded cache of participants' tallies (a few hundred bytes each), least recently used evicted first,
    so the consumer's memory stays flat however many participants the program has; the events table is the
    truth."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._items: OrderedDict[str, Tally] = OrderedDict()
        self.evicted = False
        # a participant's tally, or None; recency is refreshed when it is put. The dict's own method, called
        # once per participant of every batch: a method wrapping it cost a Python call each time
        self.get: Callable[[str], Tally | None] = self._items.get

    def put(self, tallies: dict[str, Tally], renewed: dict[str, Tally]) -> None:
        """Keeps a batch's `tallies`, of which `renewed` are new objects (the others are the cached ones,
        changed in place)."""
        items = self._items
        if len(items) + len(renewed) <= self.capacity * 3 // 4:
            # far from full, recency is not kept (new tallies go last, cached ones stay where they are):
            # refreshing it touched every cached participant of a batch (cache misses: 2.5 % of the
            # projection's time, py-spy); from three quarters full on it is, so that evictions go by recency
            items.update(renewed)
            return
        move_to_end = items.move_to_end
        for participant_id, tally in tallies.items():
            items[participant_id] = tally
            move_to_end(participant_id)
        while len(items) > self.capacity:
            items.popitem(last=False)
            self.evicted = True

    def clear(self) -> None:
        self._items.clear()
        self.evicted = False
