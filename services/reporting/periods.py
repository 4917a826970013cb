"""Reporting periods: a month (2017-10), a half year (2018-H1) or a year (2018)."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta

from shared.date_bounds import EARLIEST, LATEST

# ASCII digits, whole text (re's `$` would also take a trailing newline, and `\d` any script's digits)
_MONTH = re.compile(r"([0-9]{4})-([0-9]{2})")
_HALF = re.compile(r"([0-9]{4})-H([12])")
_YEAR = re.compile(r"([0-9]{4})")


@dataclass(frozen=True)
class Period:
    code: str
    kind: str  # month | half_year | year
    start: date
    end: date

    def previous(self) -> Period:
        # not bounded: the report of the first period the range holds still shows the one before it
        return _parse(_previous_code(self))

    def last_year(self) -> Period:
        """The same period a year earlier (for a year, the year before)."""
        year = int(self.code[:4]) - 1
        return _parse(f"{year:04d}{self.code[4:]}")

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "kind": self.kind, "start": self.start.isoformat(), "end": self.end.isoformat()}


class PeriodOutOfRange(ValueError):
    """A well-formed period the program does not hold (it, or the period before it, outside the date range)."""


def _month_end(year: int, month: int) -> date:
    # the month's own length: no step into the next month, which does not exist after 9999-12
    return date(year, month, calendar.monthrange(year, month)[1])


def parse_period(code: str) -> Period:
    """Raises ValueError for anything but YYYY-MM, YYYY-H1/H2 or YYYY, PeriodOutOfRange for one whose
    year is outside the dates the program holds (shared.date_bounds)."""
    period = _parse(code)
    if period.start < EARLIEST or period.end > LATEST:
        raise PeriodOutOfRange(code)
    return period


def _check_year(code: str, year: int) -> None:
    if year < 1:  # year 0000: no such year in the calendar
        raise PeriodOutOfRange(code)


def _parse(code: str) -> Period:
    if match := _MONTH.fullmatch(code):
        year, month = int(match[1]), int(match[2])
        if not 1 <= month <= 12:
            raise ValueError(code)
        _check_year(code, year)
        return Period(code, "month", date(year, month, 1), _month_end(year, month))
    if match := _HALF.fullmatch(code):
        year, half = int(match[1]), int(match[2])
        _check_year(code, year)
        return Period(code, "half_year", date(year, 1 if half == 1 else 7, 1),
                      date(year, 6, 30) if half == 1 else date(year, 12, 31))
    if match := _YEAR.fullmatch(code):
        year = int(match[1])
        _check_year(code, year)
        return Period(code, "year", date(year, 1, 1), date(year, 12, 31))
    raise ValueError(code)


def _previous_code(period: Period) -> str:
    start = period.start
    if period.kind == "month":
        prior = start - timedelta(days=1)
        return f"{prior.year:04d}-{prior.month:02d}"
    if period.kind == "half_year":
        return f"{start.year:04d}-H1" if start.month == 7 else f"{start.year - 1:04d}-H2"
    return f"{start.year - 1:04d}"
