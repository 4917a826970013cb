"""Fuzz on every write endpoint of both services: bodies from valid ones with fields dropped or replaced
by any JSON (wrong types, huge numbers, NaN, control characters, lone surrogates, nested garbage), and
bodies that are not objects. Never a 500; a refusal has the error shape and leaves no trace."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.write_checks import error_of, trace
from tests.support.write_endpoints import ENDPOINTS, World, post_raw, world_of


@pytest.fixture(scope="module")
def world(bootstrap: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    with world_of(bootstrap, tmp_path_factory.mktemp("fuzz")) as running:
        yield running


_chars = st.characters(categories=["Cs", "Cc", "Lu", "Ll", "Mn", "Nd", "Zs", "So", "Po"])
_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.integers(min_value=-(10**13), max_value=10**13),
    st.floats(allow_nan=True, allow_infinity=True), st.text(_chars, max_size=40), st.text(max_size=3),
    st.sampled_from(["2017-02-30", "2017-06-10", "2018-12-31", "9999-12-31", "0001-01-01", "2016-12-31", "",
                     "selected", "rejected", "vbsp", "youth_union_120", "course", "mentoring", "TX-XUANHOA", "TX"]),
    st.dates().map(lambda d: d.isoformat()),
)
_values = st.recursive(_scalars, lambda inner: st.lists(inner, max_size=3)
                       | st.dictionaries(st.text(_chars, max_size=6), inner, max_size=3), max_leaves=6)


@st.composite
def _requests(draw: st.DrawFn) -> tuple[int, Any]:
    index = draw(st.integers(min_value=0, max_value=len(ENDPOINTS) - 1))
    body: Any = ENDPOINTS[index].body()
    if draw(st.integers(min_value=0, max_value=9)) == 0:
        return index, draw(_values)  # not even an object
    names = sorted(body) + ["extra", "", "amount_vnd", "sector"]
    for name in draw(st.lists(st.sampled_from(names), min_size=1, max_size=4, unique=True)):
        if draw(st.booleans()):
            body.pop(name, None)
        else:
            body[name] = draw(_values)
    return index, body


@settings(max_examples=250, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(request=_requests())
def test_fuzz_never_500_and_a_refusal_leaves_no_trace(world: World, request: tuple[int, Any]) -> None:
    index, body = request
    endpoint = ENDPOINTS[index]
    system = world.system
    system.publish()
    before = trace(system)
    reply = post_raw(world, endpoint, json.dumps(body, allow_nan=True))  # NaN, Infinity: Python reads them
    assert reply.status_code < 500, (reply.status_code, reply.get_json(silent=True))
    if reply.status_code < 300:
        return  # the fuzz found a valid body: fine
    error_of(reply, reply.status_code, reply.json["error"]["code"])
    assert trace(system) == before
    assert system.publish() == 0
