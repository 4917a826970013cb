"""A batch's ids checked at once (`all_canonical`, string operations) say the same as each id matched by the
regular expression of the canonical form, for UUIDs as services write them and for near misses of every
kind the string checks could let through."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from shared.events.envelope import _is_canonical, all_canonical

canonical = st.uuids().map(str)


@st.composite
def near_misses(draw: st.DrawFn) -> str:
    """A canonical id with one character replaced, inserted or removed, two replaced or swapped, upper-case,
    or another text altogether."""
    text = draw(canonical)
    where = draw(st.integers(0, len(text)))
    char = draw(st.sampled_from("0aAfFgG- \t\n\x0b\u00e9\u0660") | st.characters())
    kind = draw(st.sampled_from(["replace", "insert", "remove", "pair", "swap", "upper", "other"]))
    if kind == "replace":
        return text[:where] + char + text[where + 1:]
    if kind == "insert":
        return text[:where] + char + text[where:]
    if kind == "remove":
        return text[:where] + text[where + 1:]
    if kind == "pair":
        return text[:where] + char * 2 + text[where + 2:]
    if kind == "swap" and where < len(text) - 1:
        return text[:where] + text[where + 1] + text[where] + text[where + 2:]
    if kind == "upper":
        return text.upper()
    return draw(st.text(max_size=40))


@given(st.lists(canonical, max_size=20), st.lists(near_misses(), max_size=2), st.randoms())
def test_a_batch_is_canonical_when_each_id_is(ids: list[str], others: list[str], random: object) -> None:
    mixed = ids + others
    random.shuffle(mixed)  # type: ignore[attr-defined]
    assert all_canonical(mixed) == all(_is_canonical(i) is not None for i in mixed)


def test_each_kind_of_miss_is_refused() -> None:
    good = "0123abcd-4567-89ef-0123-456789abcdef"
    assert all_canonical([good, good]) and all_canonical([])
    for bad in (good.upper(), good.replace("-", ""), good[:35], good + "0", good[:10] + "  " + good[12:],
                good[:8] + "0" + good[9:] + "-", good[:35] + "g", good[:20] + "\u00e9" + good[21:],
                " " + good[1:], "  " + good[2:], good[:23] + "4-" + good[25:], good[:7] + "-d" + good[9:]):
        assert not all_canonical([good, bad]) and not all_canonical([bad])
    # one id two characters long and the next two short, hyphens where the other's would be: only the
    # joining spaces' places tell (bytes.fromhex skips a space between two bytes)
    assert not all_canonical([good + "ab", good[2:]])
