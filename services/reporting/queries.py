"""Read-side queries: summaries as of a date, period reports, the events behind a figure, and the
same figures as the system knew them at a past moment (`known_at`)."""

from __future__ import annotations

import heapq
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from itertools import groupby
from operator import itemgetter
from typing import Any

import orjson
from sqlalchemy import (
    Connection,
    Subquery,
    Table,
    and_,
    distinct,
    func,
    literal,
    or_,
    select,
    union_all,
)
from sqlalchemy.sql.elements import ColumnElement

from services.reporting.domain import (
    COUNT_PREFIX,
    DECISIONS,
    SOURCE_PREFIX,
    Fact,
    contributions,
    live_facts,
    shape,
)
from services.reporting.periods import Period
from services.reporting.projector import fact_columns, facts_of, horizon, period_end, period_of, previous_period
from services.reporting.store import ReadModel, registered_in
from services.reporting.targets import Targets
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
            period, after = start, (day + timedelta(days=1), end)
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
        out = unit_metrics(conn, model, wanted, days)
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


Source = tuple[str, str]  # the posting agency and its key


def histories(conn: Connection, model: ReadModel, *where: ColumnElement[bool],
              source: bool = False) -> Iterator[list[tuple[Fact, Source | None]]]:
    """The events that match `where`, one participant at a time, each with its source when asked: memory stays
    flat however many participants a province has (rows are streamed, not fetched at once)."""
    e = model.events
    if conn.dialect.name == "postgresql":
        # Every row is read: without this, PostgreSQL plans the cursor for its first tenth, walking the
        # participant index in order (1.4 s instead of 0.2 for a province's latest commendations).
        conn.exec_driver_sql("SET LOCAL cursor_tuple_fraction = 1.0")
    columns = [*fact_columns(e), *((e.c.source_agency, e.c.source_key_id) if source else ())]
    rows = conn.execute(select(*columns).where(*where).order_by(e.c.participant_key, e.c.participant_id)
                        .execution_options(yield_per=2000))
    for _, group in groupby(rows, key=itemgetter(2)):  # participant_id
        rows_of = list(group)
        facts = facts_of(rows_of)
        yield list(zip(facts, ((row[7], row[8]) for row in rows_of), strict=True)) if source else \
            [(fact, None) for fact in facts]


def figures_of(per_unit: PerUnit, code: str) -> dict[str, int]:
    return dict(per_unit.get(code, {}))


def summary_from(tree: OrgTree, targets: Targets, code: str, as_of: date, per_unit: PerUnit) -> dict[str, Any]:
    unit = tree.get(code)
    assert unit is not None
    own = shape(figures_of(per_unit, code))
    children = []
    for child in tree.children(code):
        figures = shape(figures_of(per_unit, child.code))
        children.append({
            "org_unit": {"code": child.code, "name": child.name, "level": child.level},
            "totals": figures["totals"], "funding_by_source": figures["funding_by_source"],
            "by_sector": figures["by_sector"],
            "target": {"successful_models": targets.target(tree, child.code, as_of),
                       "achieved": figures["totals"]["successful"]},
        })
    return {
        "org_unit": {"code": unit.code, "name": unit.name, "level": unit.level},
        "as_of": as_of.isoformat(),
        **own,
        "target": {"successful_models": targets.target(tree, code, as_of),
                   "achieved": own["totals"]["successful"]},
        "children": children,
    }


def summary(conn: Connection, model: ReadModel, tree: OrgTree, targets: Targets, code: str, as_of: date,
            known_at: datetime | None = None) -> dict[str, Any]:
    if known_at is None:
        per_unit = unit_metrics(conn, model, reported_units(tree, code), [as_of])[as_of]
    else:
        per_unit = known_metrics(conn, model, tree, code, [as_of], known_at)[as_of]
    body = summary_from(tree, targets, code, as_of, per_unit)
    if known_at is not None:
        body["known_at"] = known_at.isoformat()
    return body


# --- period reports ------------------------------------------------------------------------------

def activity(before: dict[str, int], after: dict[str, int]) -> dict[str, Any]:
    """What happened between two cumulative states."""

    def d(metric: str) -> int:
        return int(after.get(metric, 0)) - int(before.get(metric, 0))

    by_source = {k[len(SOURCE_PREFIX):]: d(k) for k in sorted(set(before) | set(after))
                 if k.startswith(SOURCE_PREFIX) and d(k)}
    return {
        "registrations": d("registered"), "selections": d("selected"), "rejections": d("rejected"),
        "trainings": d(COUNT_PREFIX + "participant.trained"), "participants_trained": d("trained"),
        "fundings": d(COUNT_PREFIX + "participant.funded"), "participants_funded": d("funded"),
        "funding_vnd": d("funding_vnd"), "funding_by_source": by_source,
        "supports": d(COUNT_PREFIX + "participant.supported"),
        "evaluations": d(COUNT_PREFIX + "participant.evaluated"), "successful_change": d("successful"),
        "commendations": d(COUNT_PREFIX + "participant.commended"), "replications": d("replications"),
        "jobs_created_change": d("jobs_created"),
    }


def period_figures(code: str, period: Period, at: dict[date, PerUnit]) -> dict[str, Any]:
    before = figures_of(at[period.start - timedelta(days=1)], code)
    after = figures_of(at[period.end], code)
    return {"in_period": activity(before, after), "cumulative": shape(after)["totals"]}


def period_report(conn: Connection, model: ReadModel, tree: OrgTree, targets: Targets, code: str, period: Period,
                  known_at: datetime | None = None) -> dict[str, Any]:
    unit = tree.get(code)
    assert unit is not None
    previous = period.previous()
    days = sorted({previous.start - timedelta(days=1), period.start - timedelta(days=1), period.end})
    units = reported_units(tree, code)
    if known_at is None:
        at = unit_metrics(conn, model, units, days)
    else:
        at = known_metrics(conn, model, tree, code, days, known_at)
    current = period_figures(code, period, at)
    body: dict[str, Any] = {
        "org_unit": {"code": unit.code, "name": unit.name, "level": unit.level},
        "period": period.as_dict(),
        **current,
        "target": {"successful_models": targets.target(tree, code, period.end),
                   "achieved": current["cumulative"]["successful"]},
        "previous": {"period": previous.as_dict(), **period_figures(code, previous, at)},
        "children": [{"org_unit": {"code": c.code, "name": c.name, "level": c.level},
                      **period_figures(c.code, period, at)} for c in tree.children(code)],
    }
    if known_at is not None:
        restated_figures = period_figures(code, period, unit_metrics(conn, model, units, days))
        differences = _differences(current, restated_figures)
        body.update({"known_at": known_at.isoformat(), "restated": bool(differences),
                     "differences": differences})
    return body


def _differences(then: dict[str, Any], now: dict[str, Any], path: str = "") -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for key in sorted(set(then) | set(now)):
        a, b = then.get(key, 0), now.get(key, 0)
        name = f"{path}.{key}" if path else key
        if isinstance(a, dict) or isinstance(b, dict):
            out.extend(_differences(a if isinstance(a, dict) else {}, b if isinstance(b, dict) else {}, name))
        elif a != b:
            out.append({"figure": name, "reported": a, "now": b})
    return out


# --- provenance ----------------------------------------------------------------------------------

METRIC_EVENT_TYPES = {
    "registered": ("participant.registered",), "selected": ("participant.selected",),
    "rejected": ("participant.rejected",), "trained": ("participant.trained",),
    "funded": ("participant.funded",), "funding_vnd": ("participant.funded",),
    "supported": ("participant.supported",), "evaluated": ("participant.evaluated",),
    "successful": ("participant.evaluated",), "jobs_created": ("participant.evaluated",),
    "commended": ("participant.commended",), "replications": ("model.replicated",),
}


# For the latest few events behind a figure: the daily figure that counts them (or bounds them: the latest
# evaluations are among all evaluations), and the figure that counts them all.
COUNT_OF = {metric: COUNT_PREFIX + types[0] for metric, types in METRIC_EVENT_TYPES.items()}
COUNT_OF.update({"selected": "selected", "rejected": "rejected"})
TOTAL_OF = {**COUNT_OF, "successful": "successful", "jobs_created": "evaluated"}
# A unit with fewer events than this share of all reads its participants' histories for the latest few,
# rather than scan the events table for them (the scan costs the same for a commune as for the province).
WINDOWED_SHARE = 0.1


# (order, tie-breaker, fact, its source, participant's name)
Listed = tuple[tuple[date, datetime, str], int, Fact, Source | None, str | None]


class Behind:
    """The events behind a figure: how many, and all of them or the latest few, in business order (oldest
    first), shaped for a response one at a time (a province's whole list is 60 MB of JSON)."""

    def __init__(self, total: int, listed: list[Listed]) -> None:
        self.total = total
        listed.sort(key=itemgetter(0))
        self._listed = listed

    def __len__(self) -> int:
        return len(self._listed)

    def shaped(self) -> Iterator[dict[str, Any]]:
        for _, _, f, source, name in self._listed:
            yield {
                "event_id": f.event_id, "type": f.type, "participant_id": f.participant_id, "participant_name": name,
                "org_unit": f.org_unit, "occurred_on": f.occurred_on.isoformat(),
                "recorded_at": f.recorded_at.isoformat(),
                "source": {"agency": source[0], "key_id": source[1]} if source else None,
                "data": f.data,
            }

    @property
    def events(self) -> list[dict[str, Any]]:
        return list(self.shaped())


def events_behind(conn: Connection, model: ReadModel, tree: OrgTree, code: str, metric: str,
                  as_of: date, limit: int | None = None) -> Behind:
    """The live events a figure counts, each with the agency that posted it and the name its participant
    registered with. With `limit`, only the latest are read and shaped: a province's list has events by
    the hundred thousand, of which a dashboard shows a few hundred."""
    units = set(tree.descendants(code))
    e = model.events
    needed = _deciding_types(metric)
    read_one_snapshot(conn)  # the figure's count and the window agree
    figures = unit_metrics(conn, model, {code}, [as_of])[as_of].get(code, {}) if limit is not None else {}
    if limit is None or not _windowed(conn, model, figures):
        # every participant registered in the units
        registered = select(e.c.participant_key).where(registered_in(e, sorted(units)))
        found, kept = _collect(histories(conn, model, e.c.participant_key.in_(registered), e.c.type.in_(needed),
                                         source=True),
                               metric, units, as_of, limit, None)
        return Behind(found, kept)
    # The latest `limit` lie on or after the day from which the unit's daily figures count that many such
    # events: read only the participants with one of those events since then (a scan of the events table
    # by type and day), then check how many of their events count. Daily figures that only bound the count
    # (the latest evaluations) may leave too few: then further back.
    wanted = limit
    while True:
        since = _window_start(conn, model, code, units, metric, as_of, wanted)
        window = [e.c.type.in_(METRIC_EVENT_TYPES[metric]), e.c.occurred_on <= as_of]
        if since is not None:
            day, recorded = since
            window.append(e.c.occurred_on >= day if recorded is None else
                          or_(e.c.occurred_on > day, and_(e.c.occurred_on == day, e.c.recorded_at >= recorded)))
        # of the participants registered in these units (at some time: the history tells where they count)
        candidates = (select(e.c.participant_key).where(*window)
                      .intersect(select(e.c.participant_key).where(registered_in(e, sorted(units)))))
        found, latest = _collect(histories(conn, model, e.c.participant_key.in_(candidates.scalar_subquery()),
                                           e.c.type.in_(needed), source=True), metric, units, as_of, limit, since)
        if since is None:
            return Behind(found, latest)  # every event behind the figure was read
        if found >= limit:
            return Behind(figures.get(TOTAL_OF[metric], 0), latest)
        # further back, by what this window held (the figures overcount the latest evaluations)
        wanted = wanted * 8 if not found else wanted * limit // found * 5 // 4 + 1


def _windowed(conn: Connection, model: ReadModel, figures: dict[str, int]) -> bool:
    """Whether a unit with these figures holds enough of all events to find its latest few by a window."""
    events = sum(amount for metric, amount in figures.items() if metric.startswith(COUNT_PREFIX))
    applied = conn.execute(select(model.stats.c.value).where(model.stats.c.name == "events_applied")).scalar()
    return events >= WINDOWED_SHARE * int(applied or 0)


def _collect(histories: Iterator[list[tuple[Fact, Source | None]]], metric: str, units: set[str], as_of: date,
             limit: int | None, since: tuple[date, datetime | None] | None) -> tuple[int, list[Listed]]:
    """How many events of these histories `metric` counts in `units` (those from `since` on, day and
    recording time), and all of them, or the latest `limit`."""
    found = 0
    kept: list[Listed] = []
    for history in histories:
        for item in _chosen(history, metric, units, as_of):
            if since is not None and (item[0][0] < since[0] if since[1] is None else item[0][:2] < since):
                continue
            found += 1
            item = (item[0], found, *item[2:])
            if limit is None:
                kept.append(item)
            elif len(kept) < limit:
                heapq.heappush(kept, item)
            elif item[0] > kept[0][0]:
                heapq.heapreplace(kept, item)
    return found, kept


def _deciding_types(metric: str) -> list[str]:
    """The events that decide what a figure counts: those of its types, registrations (where a participant
    counts), retractions, and decisions for the decision figures; no other event is read."""
    needed = {*METRIC_EVENT_TYPES[metric], "participant.registered", "event.retracted"}
    if metric in ("selected", "rejected"):
        needed |= set(DECISIONS)
    return sorted(needed)


def _chosen(history: list[tuple[Fact, Source | None]], metric: str, units: set[str], as_of: date) -> list[Listed]:
    """The events of one participant's history (its deciding events) that `metric` counts in `units`."""
    types = METRIC_EVENT_TYPES[metric]
    sources = {fact.event_id: source for fact, source in history}
    live = [f for f in live_facts([fact for fact, _ in history]) if f.occurred_on <= as_of]
    registrations = [f for f in live if f.type == "participant.registered"]
    if not registrations or registrations[-1].org_unit not in units:
        return []
    chosen = [f for f in live if f.type in types]
    if metric in ("selected", "rejected"):
        decisions = [f for f in live if f.type in DECISIONS]
        chosen = decisions[-1:] if decisions and decisions[-1].type in types else []
    elif metric in ("successful", "jobs_created"):
        chosen = chosen[-1:]  # the latest evaluation decides
        if metric == "successful" and chosen and chosen[0].data["status"] != "successful":
            chosen = []
    name = registrations[-1].data.get("full_name")
    return [(f.order(), 0, f, sources[f.event_id], None if name is None else str(name)) for f in chosen]


def _window_start(conn: Connection, model: ReadModel, code: str, units: set[str], metric: str, as_of: date,
                  wanted: int) -> tuple[date, datetime | None] | None:
    """Where `code`'s latest `wanted` events behind `metric` through `as_of` likely start: the day from which
    its daily figures count that many, and on that day, when it holds more, the recording time from which its
    units' events of that day (live or not) number the rest. None if the figures never count that many."""
    d, e = model.daily, model.events
    seen = 0
    rows = conn.execute(select(d.c.day, d.c.amounts).where(d.c.org_unit == code, d.c.day <= as_of)
                        .order_by(d.c.day.desc()))
    for day, amounts in rows:  # noqa: B007 - the day the loop stops at
        count = orjson.loads(amounts).get(COUNT_OF[metric], 0)
        if seen + count >= wanted:
            rows.close()
            break
        seen += count
    else:
        return None
    if count <= 4 * wanted:
        return day, None
    # A day with many more (selections decided together, say): its latest by recording time. By the unit each
    # event was posted in, a guess that spares matching every participant's registration: the caller checks
    # the window and widens it when it holds too few.
    recorded = conn.execute(select(e.c.recorded_at)
                            .where(e.c.type.in_(METRIC_EVENT_TYPES[metric]), e.c.occurred_on == day,
                                   e.c.org_unit.in_(sorted(units)))
                            .order_by(e.c.recorded_at.desc()).offset(wanted - seen - 1).limit(1)).scalar()
    if recorded is None:
        return day, None
    return day, recorded if recorded.tzinfo else recorded.replace(tzinfo=UTC)
