"""Reporting periods: a month (2017-10), a half year (2018-H1) or a year (2018)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_HALF = re.compile(r"^(\d{4})-H([12])$")
_YEAR = re.compile(r"^(\d{4})$")


@dataclass(frozen=True)
class Period:
    code: str
    kind: str  # month | half_year | year
    start: date
    end: date

    def previous(self) -> Period:
        return parse_period(_previous_code(self))

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "kind": self.kind, "start": self.start.isoformat(), "end": self.end.isoformat()}


def _month_end(year: int, month: int) -> date:
    first_next = date(year + month // 12, month % 12 + 1, 1)
    return first_next - timedelta(days=1)


def parse_period(code: str) -> Period:
    """Raises ValueError for anything but YYYY-MM, YYYY-H1/H2 or YYYY."""
    if match := _MONTH.match(code):
        year, month = int(match[1]), int(match[2])
        if not 1 <= month <= 12:
            raise ValueError(code)
        return Period(code, "month", date(year, month, 1), _month_end(year, month))
    if match := _HALF.match(code):
        year, half = int(match[1]), int(match[2])
        return Period(code, "half_year", date(year, 1 if half == 1 else 7, 1),
                      date(year, 6, 30) if half == 1 else date(year, 12, 31))
    if match := _YEAR.match(code):
        year = int(match[1])
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
