"""The events table's participant key, computed for a batch's participants at once: the same numbers as one
by one, for the UUIDs envelopes hold and for any other text (which goes the slow way)."""

from __future__ import annotations

import uuid

from hypothesis import given
from hypothesis import strategies as st

from services.reporting.store import participant_key, participant_keys

canonical = st.uuids().map(str)
other = st.one_of(
    st.uuids().map(lambda u: str(u).upper()),
    st.uuids().map(lambda u: u.hex),  # no hyphens
    st.uuids().map(lambda u: " " + str(u)[1:]),  # fromhex skips spaces: must not shift the digits
    st.uuids().map(lambda u: u.hex[:8] + "-" + u.hex[8:13] + "-" + u.hex[13:]),  # a hyphen one place on
    st.text(max_size=40),
)


@given(st.lists(canonical, max_size=30), st.lists(other, max_size=3), st.randoms())
def test_keys_of_a_batch_are_each_id_s_key(ids: list[str], others: list[str], random: object) -> None:
    assert participant_keys(ids) == [participant_key(p) for p in ids]
    mixed = ids + others
    random.shuffle(mixed)  # type: ignore[attr-defined]
    assert participant_keys(mixed) == [participant_key(p) for p in mixed]


def test_a_key_is_the_id_s_first_60_bits() -> None:
    pid = str(uuid.UUID("0123abcd-4567-89ef-0123-456789abcdef"))
    assert participant_keys([pid]) == [participant_key(pid)] == [0x0123ABCD456789E]
    assert participant_keys(["not a uuid"]) == [-1] and participant_keys([]) == []
