"""Provenance: the events behind a figure, all of them or the latest few, each with its source."""

from __future__ import annotations

import heapq
from collections.abc import Iterator
from datetime import UTC, date, datetime
from operator import itemgetter
from typing import Any

import orjson
from sqlalchemy import Connection, and_, or_, select

from services.reporting.domain import COUNT_PREFIX, DECISIONS, Fact, live_facts
from services.reporting.figures import read_one_snapshot, unit_metrics
from services.reporting.history import Source, histories
from services.reporting.store import ReadModel, registered_in
from shared.orgunits import OrgTree

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
    # the window reads the unit's own daily figures: only where they are its figures (a hierarchy unchanged
    # there, shared.grouping); otherwise every event behind the figure is read
    windowable = limit is not None and tree.cover(code) == {code: 1}
    figures = unit_metrics(conn, model, {code}, [as_of])[as_of].get(code, {}) if windowable else {}
    if limit is None or not windowable or not _windowed(conn, model, figures):
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
