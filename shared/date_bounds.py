"""The dates the program holds: every date, moment and period a request names is checked against one range,
so a far-off date gets a 422 naming the field and the range instead of an overflow deep in the month and
period arithmetic (a report reads the period before the one asked for and the day before that)."""

from __future__ import annotations

from datetime import UTC, date, datetime

EARLIEST = date(1900, 1, 1)
LATEST = date(2999, 12, 31)


def within(day: date) -> bool:
    return EARLIEST <= day <= LATEST


def moment_within(moment: datetime) -> bool:
    """A timestamp's UTC day in range (an aware one is compared in UTC, as the read models store them)."""
    if moment.tzinfo is not None:
        if not (EARLIEST.year <= moment.year <= LATEST.year):
            return False  # converting a moment at the edge of Python's calendar would itself overflow
        moment = moment.astimezone(UTC)
    return within(moment.date())


def out_of_range_message() -> str:
    """The field message, Vietnamese and English joined by '||' (shared.i18n.field_message picks one)."""
    return (f"Ngày phải trong khoảng {EARLIEST.isoformat()} đến {LATEST.isoformat()}.||"
            f"The date must be between {EARLIEST.isoformat()} and {LATEST.isoformat()}.")


def period_out_of_range_message() -> str:
    return (f"Kỳ báo cáo phải trong khoảng năm {EARLIEST.year} đến {LATEST.year}.||"
            f"The period must fall between the years {EARLIEST.year} and {LATEST.year} "
            f"({EARLIEST.isoformat()} to {LATEST.isoformat()}).")
