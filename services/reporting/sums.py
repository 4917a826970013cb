"""The read model's sums: contribution changes rolled up to every unit above and to half-months, then
added to the stored daily figures and running totals (one row per unit and day, or half-month: the
touched rows read and rewritten once per batch)."""

from __future__ import annotations

from datetime import date
from typing import Any

import orjson
from sqlalchemy import Connection, Table, text

from services.reporting import store
from services.reporting.domain import Change
from services.reporting.half_months import next_period, period_of
from services.reporting.store import HORIZON, ReadModel, horizon
from shared.bulk import bulk_put
from shared.db import upsert_many
from shared.orgunits import OrgTree

UnitDay = tuple[str, date]  # org_unit, day (or a half-month's first day)
Amounts = dict[str, int]  # metric -> amount, the non-zero ones


class Sums:
    """Rolls contribution changes up the hierarchy of one tree and adds them to a read model's sums."""

    def __init__(self, tree: OrgTree) -> None:
        # contributions are made at communes; each is also added to every unit above, so that a summary
        # reads its own unit and its children only (a changed hierarchy is applied by a rebuild)
        chains = {u.code: tree.ancestors(u.code) for u in tree}
        self._parent = {code: chain[1] for code, chain in chains.items() if len(chain) > 1}
        self._depth = {code: len(chain) - 1 for code, chain in chains.items()}  # a unit not in the tree: 0
        self._levels = max(self._depth.values(), default=0) + 1

    def roll_up(self, changes: list[Change]) -> tuple[dict[UnitDay, Amounts], dict[UnitDay, Amounts]]:
        """The changes to the daily figures and to the half-month figures (by the half's first day) of each
        unit and every unit above it."""
        daily = _by_unit_and_day(changes)
        # each unit's sums added to its parent's, from the lowest units up: a commune's once, not once per unit
        # above it; then every unit's days to its half-months
        parent, depth = self._parent, self._depth
        by_level: list[list[UnitDay]] = [[] for _ in range(self._levels)]
        for key in daily:
            by_level[depth.get(key[0], 0)].append(key)
        for level in range(self._levels - 1, 0, -1):
            above = by_level[level - 1]
            for unit, day in by_level[level]:
                target = daily.get((parent[unit], day))
                if target is None:
                    daily[(parent[unit], day)] = dict(daily[(unit, day)])
                    above.append((parent[unit], day))
                else:
                    _add_to(target, daily[(unit, day)])
        halves: dict[UnitDay, Amounts] = {}
        periods: dict[date, date] = {}
        for (unit, day), group in daily.items():
            period = periods.get(day)
            if period is None:
                period = periods[day] = period_of(day)
            target = halves.get((unit, period))
            if target is None:
                halves[(unit, period)] = dict(group)
            else:
                _add_to(target, group)
        return daily, halves

    @staticmethod
    def write(conn: Connection, model: ReadModel, daily: dict[UnitDay, Amounts],
              halves: dict[UnitDay, Amounts]) -> None:
        """Adds rolled-up changes to the stored daily figures and running totals."""
        if not daily:
            return  # nothing changed (then no half-month changed either)
        sqlite = conn.dialect.name == "sqlite"
        if not sqlite:
            # one batch at a time reads and rewrites the sums and moves the horizon (SQLite's write lock
            # already serializes batches)
            conn.execute(text("SELECT pg_advisory_xact_lock(hashtext(:name))"), {"name": model.cumulative.name})

        def day_value(d: date) -> date | str:
            return d.isoformat() if sqlite else d

        _add_amounts(conn, model.daily, "day", {(u, day_value(d)): a for (u, d), a in daily.items()})
        latest_known = _extend_horizon(conn, model, max(period for _, period in halves), day_value)
        # running totals: a change in half-month h adds to every half-month from h to the horizon
        starts = [min(period for _, period in halves)]
        while starts[-1] < latest_known:
            starts.append(next_period(starts[-1]))
        index = {start: i for i, start in enumerate(starts)}
        values = [day_value(start) for start in starts]
        running: dict[tuple[str, date | str], Amounts] = {}
        for (unit, period), change in halves.items():
            for value in values[index[period]:]:
                target = running.get((unit, value))
                if target is None:
                    target = running[(unit, value)] = {}
                _add_to(target, change)
        _add_amounts(conn, model.cumulative, "period", running)


def _by_unit_and_day(changes: list[Change]) -> dict[UnitDay, Amounts]:
    # by unit, then day: two lookups of keys whose hashes are cached, instead of a (unit, day) tuple made,
    # hashed and freed per change
    by_unit: dict[str, dict[date, Amounts]] = {}
    for unit, metric, day, amount in changes:
        days = by_unit.get(unit)
        if days is None:
            by_unit[unit] = {day: {metric: amount}}
            continue
        group = days.get(day)
        if group is None:
            days[day] = {metric: amount}
        else:
            group[metric] = group.get(metric, 0) + amount
    return {(unit, day): group for unit, days in by_unit.items() for day, group in days.items()}


def _add_to(target: Amounts, change: Amounts) -> None:
    for metric, amount in change.items():
        target[metric] = target.get(metric, 0) + amount


def _extend_horizon(conn: Connection, model: ReadModel, latest: date, day_value: Any) -> date:
    """Moves the running totals' horizon forward to `latest` (copying the totals of the half-months it
    passes) when the batch reaches a later half-month; returns the horizon."""
    latest_known = horizon(conn, model)
    if latest_known is None:
        latest_known = latest
    cumulative = model.cumulative.name
    mark = "?" if conn.dialect.name == "sqlite" else "%s"
    while latest_known < latest:
        following = next_period(latest_known)
        conn.exec_driver_sql(
            f"INSERT INTO {cumulative} (org_unit, period, amounts)"
            f" SELECT org_unit, {mark}, amounts FROM {cumulative} WHERE period = {mark}",
            (day_value(following), day_value(latest_known)))
        latest_known = following
    upsert_many(conn, model.stats, [{"name": HORIZON, "value": latest_known.toordinal()}], keys=["name"])
    return latest_known


def _add_amounts(conn: Connection, table: Table, dated: str, changes: dict[tuple[str, Any], Amounts]) -> None:
    """Adds `changes` to the figures stored in `table` by (org_unit, `dated`): read, summed and written back
    (the caller holds the lock that serializes batches). Dates in the driver's form."""
    units = sorted({unit for unit, _ in changes})
    days = sorted({day for _, day in changes})
    mark = "?" if conn.dialect.name == "sqlite" else "%s"
    stored: dict[tuple[str, Any], str] = {}
    half = store.CHUNK // 2  # read at call time: tests shrink it
    # units x days: a few more rows than needed, usually in one query
    for some_units in (units[i:i + half] for i in range(0, len(units), half)):
        for some_days in (days[i:i + half] for i in range(0, len(days), half)):
            stored.update(((unit, day), amounts) for unit, day, amounts in conn.exec_driver_sql(
                f"SELECT org_unit, {dated}, amounts FROM {table.name}"
                f" WHERE org_unit IN ({', '.join(mark for _ in some_units)})"
                f" AND {dated} IN ({', '.join(mark for _ in some_days)})", (*some_units, *some_days)))
    loads, dumps = orjson.loads, orjson.dumps
    rows = []
    for key, change in changes.items():
        before = stored.get(key)
        figures: Amounts = loads(before) if before else {}
        for metric, amount in change.items():
            value = figures.get(metric, 0) + amount
            if value:
                figures[metric] = value
            else:
                figures.pop(metric, None)
        if before is None and not figures:
            continue
        rows.append((*key, dumps(figures).decode()))
    rows.sort()  # in key order: neighbouring rows land on the same pages
    bulk_put(conn, table, ("org_unit", dated), "amounts", rows)
