"""The projection's batch formatting of recording times for SQLite gives, for every time, the text that
SQLAlchemy's SQLite DateTime writes for it in UTC (readers parse it back and compare it as text)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from services.reporting.event_rows import sqlite_times

utc_times = st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=st.just(UTC))
offsets = st.builds(lambda minutes: timezone(timedelta(minutes=minutes)), st.integers(-14 * 60, 14 * 60))


def expected(moment: datetime) -> str:
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


@given(st.lists(utc_times | st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30),
                                         timezones=offsets), max_size=40))
def test_as_sqlalchemy_writes_them_in_utc(times: list[datetime]) -> None:
    assert sqlite_times(times) == [expected(t) for t in times]


@given(st.lists(utc_times.map(lambda t: t.replace(microsecond=0)), min_size=1, max_size=40))
def test_batches_of_whole_seconds(times: list[datetime]) -> None:
    assert sqlite_times(times) == [expected(t) for t in times]


@given(st.lists(utc_times.filter(lambda t: t.microsecond > 0), min_size=1, max_size=40))
def test_batches_with_fractions(times: list[datetime]) -> None:
    assert sqlite_times(times) == [expected(t) for t in times]


def test_whole_seconds_and_microseconds() -> None:
    hanoi = timezone(timedelta(hours=7))
    times = [datetime(2017, 10, 3, 4, 5, 6, tzinfo=UTC), datetime(2017, 10, 3, 4, 5, 6, 120000, tzinfo=UTC),
             datetime(2017, 10, 3, 4, 5, 6, 1, tzinfo=UTC), datetime(2018, 1, 1, 6, 30, tzinfo=hanoi)]
    assert sqlite_times(times) == ["2017-10-03 04:05:06.000000", "2017-10-03 04:05:06.120000",
                                   "2017-10-03 04:05:06.000001", "2017-12-31 23:30:00.000000"]
    assert sqlite_times([]) == []
