"""Half-month arithmetic of the running totals.

Running totals are kept through the end of each half-month (the 15th and the month's last day), each
named by its first day: a figure at any date is then one row per figure plus at most 8 days of daily
sums, and none at the month ends that periods end on.
"""

from __future__ import annotations

from calendar import monthrange
from datetime import date, timedelta


def next_month(month: date) -> date:
    return (month.replace(day=28) + timedelta(days=4)).replace(day=1)


def period_of(day: date) -> date:
    """The half-month holding `day`, by its first day (the 1st or the 16th)."""
    return day.replace(day=1 if day.day <= 15 else 16)


def next_period(start: date) -> date:
    return start.replace(day=16) if start.day == 1 else next_month(start)


def previous_period(start: date) -> date:
    return start.replace(day=1) if start.day == 16 else (start - timedelta(days=1)).replace(day=16)


def period_end(start: date) -> date:
    # within the month, never through the next one (there is none after 9999-12)
    return start.replace(day=15) if start.day == 1 else start.replace(day=monthrange(start.year, start.month)[1])
