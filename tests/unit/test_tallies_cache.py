"""The projection's cache of tallies: bounded, least recently used evicted first once it is three quarters
full (below that, recency is not kept: nothing can be evicted yet)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from services.reporting.domain import Tally
from services.reporting.tallies import Tallies


def test_evicts_the_least_recently_put_once_three_quarters_full() -> None:
    cache = Tallies(8)
    tallies = {pid: Tally() for pid in "abcdefghij"}
    cache.put(*[{pid: tallies[pid] for pid in "abcdef"}] * 2)  # 6 of 8: far from full
    cache.put({"a": tallies["a"], "g": tallies["g"]}, {"g": tallies["g"]})  # 7 of 8: recency kept from now on
    assert not cache.evicted
    cache.put(*[{pid: tallies[pid] for pid in "hi"}] * 2)
    assert cache.evicted and [pid for pid in "abcdefghi" if cache.get(pid) is None] == ["b"]
    assert cache.get("a") is tallies["a"] and cache.get("i") is tallies["i"]
    cache.clear()
    assert cache.get("a") is None and not cache.evicted


@given(st.integers(0, 12), st.lists(st.lists(st.tuples(st.sampled_from("abcdefghijklmnop"), st.booleans()),
                                            max_size=6), max_size=30))
def test_bounded_and_holds_what_was_last_put(capacity: int, batches: list[list[tuple[str, bool]]]) -> None:
    cache = Tallies(capacity)
    stored: dict[str, Tally] = {}
    for batch in batches:
        # a batch's tallies: the cached one (changed in place), or a new one (not cached, or replaced)
        put = {pid: (None if replace else cache.get(pid)) or Tally() for pid, replace in batch}
        cache.put(put, {pid: tally for pid, tally in put.items() if cache.get(pid) is not tally})
        stored.update(put)
        held = [pid for pid in stored if cache.get(pid) is not None]
        assert len(held) <= capacity
        assert all(cache.get(pid) is stored[pid] for pid in held)  # the latest tally put, never an older one
        # a batch's own participants stay (up to the capacity), others evicted only when it overflows
        assert len([pid for pid in put if cache.get(pid) is not None]) == min(len(put), capacity)
        if len(stored) <= capacity:
            assert not cache.evicted and len(held) == len(stored)  # nothing to evict yet
