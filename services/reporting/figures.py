"""A unit's figures at dates, from the read model's sums: as they are now, or as the system knew them at a past
moment (`known_at`)."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta

import orjson
from sqlalchemy import Connection, Subquery, Table, distinct, func, literal, select, union_all

from services.reporting.domain import contributions
from services.reporting.half_months import period_end, period_of, previous_period
from services.reporting.history import histories
from services.reporting.store import ReadModel, horizon, registered_in
from shared.orgunits import OrgTree

PerUnit = dict[str, dict[str, int]]


def unit_metrics(conn: Connection, model: ReadModel, units: set[str], days: list[date]) -> dict[date, PerUnit]:
    """Figures of each unit (itself and everything below it) at each of `days`, in one query: the running
    totals of the nearest half-month end, corrected by the daily figures between it and the day (at most 8
    days of them; none for the month ends that periods end on)."""
    out: dict[date, PerUnit] = {day: defaultdict(dict) for day in days}
    last = horizon(conn, model)
    if last is None:
        return out  # no figure yet
    codes = sorted(units)
    cumulative, daily = model.cumulative, model.daily
    parts = []
    for i, day in enumerate(days):
        start = period_of(day)
        end = period_end(start)
        if (end - day).days < (day - start).days + 1:  # this half's totals, less the days after `day`
            # on the half's last day nothing follows (and no day follows 9999-12-31)
            period, after = start, ((day + timedelta(days=1), end) if day < end else (end, start))
            sign = -1
        else:  # the previous half's totals, plus this half's days up to `day`
            period, after = previous_period(start), (start, day)
            sign = 1
        parts.append(select(cumulative.c.org_unit, cumulative.c.amounts, literal(i).label("at"),
                            literal(1).label("sign"))
                     .where(cumulative.c.org_unit.in_(codes), cumulative.c.period == min(period, last)))
        if after[0] <= after[1] and period <= last:
            parts.append(select(daily.c.org_unit, daily.c.amounts, literal(i).label("at"),
                                literal(sign).label("sign"))
                         .where(daily.c.org_unit.in_(codes), daily.c.day >= after[0], daily.c.day <= after[1]))
    loads = orjson.loads
    for unit, amounts, i, sign in conn.execute(union_all(*parts)).all():  # one fetch
        figures = out[days[i]][unit]
        for metric, amount in loads(amounts).items():
            figures[metric] = figures.get(metric, 0) + sign * amount
    for per_unit in out.values():
        for unit, figures in per_unit.items():
            per_unit[unit] = {metric: amount for metric, amount in figures.items() if amount}
    return out


def grouped_metrics(conn: Connection, model: ReadModel, tree: OrgTree, units: set[str],
                    days: list[date]) -> dict[date, PerUnit]:
    """Figures of each of `units` as `tree` groups history: a unit's figures are the sum of its cover's stored
    ones (shared.grouping.Grouping.cover: merged and split units counted in their successors; one row each,
    as stored, where the hierarchy did not change)."""
    covers = {code: tree.cover(code) for code in units}
    if all(cover == {code: 1} for code, cover in covers.items()):
        return unit_metrics(conn, model, units, days)
    stored = unit_metrics(conn, model, {part for cover in covers.values() for part in cover}, days)
    out: dict[date, PerUnit] = {}
    for day, per_unit in stored.items():
        grouped: PerUnit = {}
        for code, cover in covers.items():
            figures: dict[str, int] = {}
            for part, weight in cover.items():
                for metric, amount in per_unit.get(part, {}).items():
                    figures[metric] = figures.get(metric, 0) + weight * amount
            grouped[code] = {metric: amount for metric, amount in figures.items() if amount}
        out[day] = grouped
    return out


def reported_units(tree: OrgTree, code: str) -> set[str]:
    """The units a summary or report of `code` shows: itself and its children."""
    return {code, *(c.code for c in tree.children(code))}


# Share of a unit's participants with events recorded after a `known_at` moment above which its figures are
# recomputed from every event rather than corrected from the current ones (each corrected participant's
# contributions are computed twice).
KNOWN_AT_CORRECTED_SHARE = 0.5


def known_metrics(conn: Connection, model: ReadModel, tree: OrgTree, code: str, days: list[date],
                  known_at: datetime) -> dict[date, PerUnit]:
    """The figures as the system knew them at `known_at`, for `code` and its children: the current figures
    corrected for the participants with events recorded since (few, for a moment not long ago), else
    recomputed from the events recorded by then. Both exact by construction."""
    wanted = reported_units(tree, code)
    # stored in UTC; SQLite compares the text
    moment = known_at.astimezone(UTC)
    e = model.events
    below = sorted(tree.descendants(code))
    read_one_snapshot(conn)  # current figures and events
    # participants registered below `code` (at any time) with an event recorded after the moment
    since = (select(e.c.participant_key).where(registered_in(e, below))
             .intersect(select(e.c.participant_key).where(e.c.recorded_at > moment))).subquery()
    one_snapshot = conn.dialect.name == "sqlite" or conn.get_isolation_level() != "READ COMMITTED"
    if one_snapshot and _few_changed(conn, e, since, below):
        out = grouped_metrics(conn, model, tree, wanted, days)
        changes: dict[tuple[str, str, date], int] = defaultdict(int)
        for history in histories(conn, model, e.c.participant_key.in_(select(since))):
            facts = [fact for fact, _ in history]
            then = contributions([f for f in facts if f.recorded_at <= moment])
            now = contributions(facts)
            for key in then.keys() | now.keys():
                changes[key] += then.get(key, 0) - now.get(key, 0)
        _add_contributions(out, tree, wanted, days, changes)
        return out
    out = {day: {} for day in days}
    # every event of the participants registered below `code` by then (their contributions decide where
    # they count)
    registered_then = select(e.c.participant_key).where(registered_in(e, below), e.c.recorded_at <= moment)
    summed: dict[tuple[str, str, date], int] = defaultdict(int)
    for history in histories(conn, model, e.c.participant_key.in_(registered_then), e.c.recorded_at <= moment):
        for key, amount in contributions([fact for fact, _ in history]).items():
            summed[key] += amount
    _add_contributions(out, tree, wanted, days, summed)
    return out


def read_one_snapshot(conn: Connection) -> None:
    """Makes the reads of a connection not yet in a transaction see one snapshot, as SQLite's read transaction
    does anyway: figures and the events behind them, read by several queries, then agree."""
    if conn.dialect.name == "postgresql" and not conn.in_transaction():
        conn.execution_options(isolation_level="REPEATABLE READ")


def _few_changed(conn: Connection, events: Table, since: Subquery, units: list[str]) -> bool:
    """Whether the participants changed since a moment (`since`) are few enough among those registered in
    `units` to correct the current figures rather than recompute."""
    changed = conn.execute(select(func.count()).select_from(since)).scalar_one()
    registered = conn.execute(select(func.count(distinct(events.c.participant_key)))
                              .where(registered_in(events, units))).scalar_one()
    return bool(changed <= KNOWN_AT_CORRECTED_SHARE * registered)


def _add_contributions(out: dict[date, PerUnit], tree: OrgTree, wanted: set[str], days: list[date],
                       contributed: dict[tuple[str, str, date], int]) -> None:
    """Adds contributions (summed by unit, metric and day: far fewer than the participants' own) to the
    figures of every wanted unit at or above their unit, at each of `days` from their own day on."""
    above: dict[str, list[str]] = {}
    for (unit, metric, day), amount in contributed.items():
        if not amount:
            continue
        targets = above.get(unit)
        if targets is None:
            targets = above[unit] = [code for code in tree.ancestors(unit) if code in wanted]
        for as_of in days:
            if day <= as_of:
                per_unit = out[as_of]
                for code in targets:
                    figures = per_unit.setdefault(code, {})
                    figures[metric] = figures.get(metric, 0) + amount


def figures_of(per_unit: PerUnit, code: str) -> dict[str, int]:
    return dict(per_unit.get(code, {}))
