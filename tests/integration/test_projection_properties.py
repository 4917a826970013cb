"""Property: whatever the history and however it is delivered (any cross-service order, duplicates,
any batching, batches failing and delivered again), every summary figure equals a plain recomputation
from the event list; and a rebuild from the same events gives the same figures as incremental projection."""

from __future__ import annotations

import itertools
from datetime import date
from pathlib import Path
from typing import Any
from unittest.mock import patch

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.reporting import figures as read_figures
from services.reporting import provenance, reports, store
from services.reporting.projector import Projection
from services.reporting.store import read_model
from services.reporting.targets import Targets
from shared.config import from_env
from shared.db import make_engine, migrate
from shared.events import Envelope, decode, encode
from shared.events.rawcheck import read_event, read_raw
from shared.messaging.consumer import Delivery
from shared.orgunits import load
from tests.support.histories import participant_history, recompute

# both sides of each half-month's middle, half-month and month ends, and beyond the last figure
AS_OF_DATES = [date(2017, 6, 15), date(2017, 7, 16), date(2017, 7, 20), date(2017, 8, 8), date(2017, 9, 3),
               date(2017, 12, 31), date(2018, 2, 27), date(2018, 6, 30), date(2019, 12, 31)]
generations = itertools.count(100)


class Failed(Exception):
    """A batch that fails after its preparation: before its writes, or with them rolled back."""


def deliver(projection: Projection, engine: Any, deliveries: list[Envelope], batch_sizes: list[int],
            failures: tuple[str, ...] = (), takeover: int | None = None, tree: Any = None) -> None:
    """Applies the deliveries in batches of the given sizes. The n-th batch first fails as failures[n] says
    ("before" its writes, "after" them, "" not at all), then is delivered again, as the consumer does after
    calling forget(): prepare() has already changed the cached tallies in place when it fails. From batch
    `takeover` on, another projection (another process, after a rebalance) continues with an empty cache."""
    position = 0
    sizes = itertools.cycle(batch_sizes)
    for n in itertools.count():
        if position >= len(deliveries):
            return
        if n == takeover:
            projection = Projection(projection.model, tree, projection.tallies.capacity)
            projection.forget(False)  # as the consumer does: these partitions were applied by someone else
        size = next(sizes)
        # as the consumer reads them (payload kept as JSON text, read_event), and every third as other
        # consumers do (payload as a dict): the projection takes both, and they must count the same
        chunk = [Delivery("t", 0, i, *read_event(encode(e))) if i % 3
                 else Delivery("t", 0, i, decode(encode(e)), read_raw(decode(encode(e))))
                 for i, e in enumerate(deliveries[position:position + size], start=position)]
        position += size
        if n < len(failures) and failures[n]:
            try:
                with engine.begin() as conn:
                    write = projection.prepare(conn, chunk)
                    if failures[n] == "after":
                        write(conn)
                    raise Failed
            except Failed:
                projection.forget(False)
        with engine.begin() as conn:
            projection.apply_batch(conn, chunk)


def check_provenance(conn: Any, model: Any, tree: Any, code: str, as_of: date, totals: dict[str, int]) -> None:
    """The events listed behind each figure add up to it."""
    for metric in provenance.METRIC_EVENT_TYPES:
        behind = provenance.events_behind(conn, model, tree, code, metric, as_of)
        listed = behind.events
        assert behind.total == len(listed)
        # the latest few in business order, and how many there are in all
        latest = provenance.events_behind(conn, model, tree, code, metric, as_of, limit=2)
        assert (latest.total, latest.events) == (len(listed), listed[-2:])
        if metric == "funding_vnd":
            value = sum(int(e["data"]["amount_vnd"]) for e in listed)
        elif metric == "jobs_created":
            value = sum(int(e["data"].get("jobs_created") or 0) for e in listed)
        elif metric == "replications":
            value = len(listed)
        else:  # participants with such an event
            value = len({e["participant_id"] for e in listed})
        assert value == totals.get(metric, 0), (code, as_of, metric, listed)


def figures(summary: dict[str, Any]) -> dict[str, Any]:
    return {"totals": {k: v for k, v in summary["totals"].items() if v},
            "funding_by_source": summary["funding_by_source"], "by_sector": summary["by_sector"]}


def test_figures_equal_recomputation_for_any_delivery(tmp_path: Path, database_template: str | None) -> None:
    config = from_env("reporting", {"TIENPHONG_DATA_DIR": str(tmp_path), **(
        {"DATABASE_URL": database_template} if database_template else {})})
    engine = make_engine(config.database_url)
    reader = make_engine(config.database_url, read_only=True)  # the API's: on SQLite, never the write lock
    from services.reporting.store import VERSIONS
    migrate(engine, VERSIONS)
    tree = load(config.org_units_file)
    targets = Targets.load()

    @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
    @given(histories=st.lists(participant_history(), min_size=1, max_size=6,
                              unique_by=lambda history: history[0].participant_id), data=st.data())
    def check(histories: list[list[Envelope]], data: st.DataObject) -> None:
        events = [e for history in histories for e in history]
        duplicates = data.draw(st.lists(st.sampled_from(events), max_size=5))
        deliveries = data.draw(st.permutations(events + duplicates))
        batch_sizes = data.draw(st.lists(st.integers(1, 7), min_size=1, max_size=4))
        failures = tuple(data.draw(st.lists(st.sampled_from(["", "", "before", "after"]), max_size=8)))
        # a cache smaller than the participants makes batches load evicted states from the events table
        cache_size = data.draw(st.integers(0, 8))
        # tiny query chunks: stored figures and facts read back in many queries
        chunk = data.draw(st.sampled_from([2, store.CHUNK]))
        takeover = data.draw(st.none() | st.integers(1, 6))
        moments = data.draw(st.lists(st.sampled_from(sorted({e.recorded_at for e in events})), max_size=2))
        incremental = Projection(read_model(next(generations)), tree, cache_size)
        rebuilt = Projection(read_model(next(generations)), tree)
        for projection in (incremental, rebuilt):
            projection.model.create(engine)
        try:
            with patch.object(store, "CHUNK", chunk):
                deliver(incremental, engine, deliveries, batch_sizes, failures, takeover, tree)
            # a rebuild reads the log once, in order, in large batches
            deliver(rebuilt, engine, sorted(events, key=lambda e: e.recorded_at), [500])
            with engine.connect() as conn:
                for as_of in AS_OF_DATES:
                    for code in ("TH", "TX", "TX-XUANHOA", "TS"):
                        expected = recompute(events, set(tree.descendants(code)), as_of)
                        expected["totals"] = {k: v for k, v in expected["totals"].items() if v}
                        got = figures(reports.summary(conn, incremental.model, tree, targets, code, as_of))
                        assert got == expected, (code, as_of)
                        again = figures(reports.summary(conn, rebuilt.model, tree, targets, code, as_of))
                        assert again == got, (code, as_of)
                        if as_of in AS_OF_DATES[::4]:
                            check_provenance(conn, incremental.model, tree, code, as_of, got["totals"])
                # as known at a moment: the current figures corrected for what was recorded since, or all
                # recomputed from what was recorded by then (whichever is cheaper), equal to the recomputation
                for moment in moments:
                    for share in (0.0, 1.0):  # never correct unless nothing changed since, always correct
                        with patch.object(read_figures, "KNOWN_AT_CORRECTED_SHARE", share):
                            for code, as_of in (("TH", AS_OF_DATES[-1]), ("TX-XUANHOA", AS_OF_DATES[4])):
                                expected = recompute([e for e in events if e.recorded_at <= moment],
                                                     set(tree.descendants(code)), as_of)
                                expected["totals"] = {k: v for k, v in expected["totals"].items() if v}
                                with reader.connect() as fresh:  # as a request does: its first statement
                                    got = figures(reports.summary(fresh, incremental.model, tree, targets, code,
                                                                  as_of, known_at=moment))
                                assert got == expected, (code, as_of, moment, share)
        finally:
            incremental.model.drop(engine)
            rebuilt.model.drop(engine)

    check()
