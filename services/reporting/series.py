"""A unit's totals at the end of every month of a range, for a trend: one read of the running totals.

The running totals are kept through the end of each half-month (services/reporting/half_months.py), so a
month's end is exactly the row of its second half: a trend of any length is one query of one row per month,
never one summary per month."""

from __future__ import annotations

from datetime import date
from typing import Any

import orjson
from sqlalchemy import Connection, func, select

from services.reporting.half_months import next_month
from services.reporting.reports import shape
from services.reporting.store import ReadModel, horizon

MAX_MONTHS = 1200  # a century of months: a trend asked for beyond that is a mistake, not a chart


def months(first: date, last: date) -> list[date]:
    """The first day of every month from `first`'s to `last`'s, both included."""
    out, month = [], first.replace(day=1)
    while month <= last:
        out.append(month)
        if month.year == 9999 and month.month == 12:
            break  # no month follows
        month = next_month(month)
    return out


def active_range(conn: Connection, model: ReadModel, cover: dict[str, int]) -> tuple[date, date] | None:
    """The first and the latest day with any figure of the unit (or a unit below it), None when it has none.
    `cover`: the units whose stored figures make up the unit's (OrgTree.cover; a day with figures in any of
    them counts, which may start the range early where weights cancel)."""
    daily = model.daily
    first, last = conn.execute(select(func.min(daily.c.day), func.max(daily.c.day))
                               .where(daily.c.org_unit.in_(sorted(cover)), daily.c.amounts != "{}")).one()
    if first is None or last is None:
        return None
    return _as_date(first), _as_date(last)


def _as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def month_ends(conn: Connection, model: ReadModel, cover: dict[str, int], first: date,
               last: date) -> list[dict[str, Any]]:
    """The unit's totals at the end of each month from `first` to `last` (first days of months), summed over
    its `cover` (OrgTree.cover: the unit itself where the hierarchy did not change), each times its weight."""
    wanted = months(first, last)
    latest = horizon(conn, model)
    if latest is None:
        return [{"month": _label(m), "totals": shape({})["totals"]} for m in wanted]
    # a month's second half ends on its last day; after the horizon nothing changes, so its row stands
    halves = {m: min(m.replace(day=16), latest) for m in wanted}
    cumulative = model.cumulative
    rows = conn.execute(select(cumulative.c.org_unit, cumulative.c.period, cumulative.c.amounts)
                        .where(cumulative.c.org_unit.in_(sorted(cover)),
                               cumulative.c.period.in_(sorted(set(halves.values())))))
    stored: dict[date, dict[str, int]] = {}
    for unit, period, amounts in rows:
        figures = stored.setdefault(_as_date(period), {})
        for metric, amount in orjson.loads(amounts).items():
            figures[metric] = figures.get(metric, 0) + cover[unit] * amount
    # a unit has no row before its first figure: zeros
    return [{"month": _label(m), "totals": shape(stored.get(halves[m], {}))["totals"]} for m in wanted]


def _label(month: date) -> str:
    return f"{month.year:04d}-{month.month:02d}"
