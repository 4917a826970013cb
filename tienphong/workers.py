"""Composition of the non-HTTP processes: the outbox relays and the Kafka consumers."""

from __future__ import annotations

import gc
import logging
import signal
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from kafka import KafkaProducer

from shared.config import Config
from shared.db import make_engine, migrate
from shared.events.rawcheck import read_events
from shared.messaging.consumer import ConsumerLoop
from shared.messaging.outbox import Relay, make_producer
from shared.messaging.topics import (
    DEAD_LETTER,
    EVENT_TOPICS,
    REGISTRATION_EVENTS,
    SUPPORT_EVENTS,
    ensure_topics,
)

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from services.reporting.projector import Projection

log = logging.getLogger("tienphong.workers")
RELAY_SERVICES = ("registration", "support")
CONSUMER_SERVICES = ("reporting", "support")
# Records per projection transaction at most (fewer when fewer are waiting): large batches add each
# day's figures once for many events and amortize the index pages every commit rewrites.
PROJECTION_BATCH = 20_000
# Fetch responses that hold a whole batch (~12 MB of events): with 8 MiB, every poll waited a round trip
# for a second response (5 % of a projection process's time); 12 MiB keeps two processes under 300 MiB.
# Partitions are read in step by time (ConsumerLoop's in_step) in slices of 1 MiB (~2,500 events): with 2
# MiB a batch spanned more days, whose sums it rewrote (PostgreSQL's count of daily rows updated: 77,000-93,000
# against 54,000-57,000 in paired runs of bench/consumers.py, 1,000,000 events), and the largest process held
# 240-248 MiB against 199-205.
PROJECTION_FETCH_BYTES, PROJECTION_PARTITION_FETCH_BYTES = 12 * 1024 * 1024, 1024 * 1024
# SQLite page cache of a projection's writing connection: the events table's participant index takes
# random inserts, and with the default 2 MiB most of them read their page back from the OS
PROJECTION_PAGE_CACHE_MIB = 32


def settle_gc() -> None:
    """For batch consumers, which allocate millions of short-lived objects: with the default thresholds
    the cyclic collector runs every 700 allocations and walks the long-lived tally cache each time (a
    quarter of the projection's time); even every 100,000 it walked the objects of the batch in hand (2 us
    per event). What exists at start is frozen out of collection and automatic collection turned off: the
    consumer loop collects between batches instead (ConsumerLoop._collect_garbage), when the batch's
    objects are gone. Refcounting frees nearly everything anyway; memory stays flat."""
    gc.freeze()
    gc.disable()


def create_topics(config: Config) -> None:
    names = [config.topic(n) for n in (*EVENT_TOPICS, DEAD_LETTER)]
    ensure_topics(config.kafka_bootstrap_servers, names, config.topic_partitions, config.topic_replication,
                  config.topic_min_insync)


def build_relay(config: Config) -> Relay:
    if config.service == "registration":
        from services.registration.store import VERSIONS, outbox
    elif config.service == "support":
        from services.support.store import VERSIONS, outbox  # type: ignore[no-redef]
    else:
        raise ValueError(f"no outbox in {config.service}")
    engine = make_engine(config.database_url)
    migrate(engine, VERSIONS)

    def producer() -> KafkaProducer:
        return make_producer(config.kafka_bootstrap_servers, f"tienphong-{config.service}-relay")

    return Relay(engine, outbox, producer)


def build_consumer(config: Config) -> ConsumerLoop:
    engine = make_engine(config.database_url,
                         cache_mib=PROJECTION_PAGE_CACHE_MIB if config.service == "reporting" else None)
    group = config.consumer_group or f"{config.topic_prefix}-{config.service}"
    if config.service == "reporting":
        from services.reporting.projector import LiveProjection
        from services.reporting.store import VERSIONS, consumer_offsets
        topics = [config.topic(n) for n in (REGISTRATION_EVENTS, SUPPORT_EVENTS)]
        migrate(engine, VERSIONS)
        from shared.orgunits import load
        reader = make_engine(config.database_url, read_only=True)
        live = LiveProjection(engine, load(config.org_units_file), config.projection_cache, reader)
        return ConsumerLoop(engine, consumer_offsets, live.projection.model.consumer_name,
                            config.kafka_bootstrap_servers, group, topics, live.apply_batch,
                            dead_letter_topic=config.topic(DEAD_LETTER),
                            record_dead_letters=live.record_dead_letters, before_poll=live.before_poll,
                            read=read_events, max_poll_records=PROJECTION_BATCH, forget=live.forget,
                            prepare=live.prepare, read_engine=reader,
                            fetch_max_bytes=PROJECTION_FETCH_BYTES,
                            max_partition_fetch_bytes=PROJECTION_PARTITION_FETCH_BYTES, in_step=True)
    if config.service == "support":
        from services.support.store import VERSIONS as SUPPORT_VERSIONS
        from services.support.store import consumer_offsets as support_offsets
        from services.support.view import apply_batch as apply_view
        migrate(engine, SUPPORT_VERSIONS)
        return ConsumerLoop(engine, support_offsets, group, config.kafka_bootstrap_servers, group,
                            [config.topic(REGISTRATION_EVENTS)], apply_view,
                            dead_letter_topic=config.topic(DEAD_LETTER))
    raise ValueError(f"{config.service} consumes nothing")


def run_until_signalled(target: Relay | ConsumerLoop) -> None:
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    target.run(stop)


def _projection_loop_factory(engine: Engine, config: Config) -> Callable[[str, str, Projection], ConsumerLoop]:
    from services.reporting.store import consumer_offsets
    topics = [config.topic(n) for n in (REGISTRATION_EVENTS, SUPPORT_EVENTS)]
    reader = make_engine(config.database_url, read_only=True)

    def make_loop(name: str, group: str, projection: Projection) -> ConsumerLoop:
        return ConsumerLoop(engine, consumer_offsets, name, config.kafka_bootstrap_servers, group, topics,
                            projection.apply_batch, dead_letter_topic=None,
                            record_dead_letters=projection.record_dead_letters, read=read_events,
                            max_poll_records=PROJECTION_BATCH, forget=projection.forget,
                            prepare=projection.prepare, read_engine=reader,
                            fetch_max_bytes=PROJECTION_FETCH_BYTES,
                            max_partition_fetch_bytes=PROJECTION_PARTITION_FETCH_BYTES, in_step=True)

    return make_loop


def _rebuild_helper(config: Config, generation: int, group: str) -> None:
    """Runs in a child process: a share of the partitions of a rebuild."""
    from services.reporting.rebuild import fill
    from services.reporting.store import read_model
    from shared.orgunits import load
    settle_gc()
    engine = make_engine(config.database_url, cache_mib=PROJECTION_PAGE_CACHE_MIB)
    fill(_projection_loop_factory(engine, config), read_model(generation), group,
         load(config.org_units_file), config.projection_cache)


def rebuild_projections(config: Config, show_progress: bool = True, processes: int = 1) -> int:
    """`tienphong projections rebuild`: a new read-model generation from offset 0, then the swap;
    `processes` > 1 splits the partitions between this process and helpers (one per core helps)."""
    import multiprocessing

    from tqdm import tqdm

    from services.reporting.rebuild import rebuild
    from services.reporting.store import VERSIONS
    from shared.orgunits import load

    engine = make_engine(config.database_url, cache_mib=PROJECTION_PAGE_CACHE_MIB)
    migrate(engine, VERSIONS)

    def helpers(generation: int, group: str) -> Callable[[], None]:
        context = multiprocessing.get_context("spawn")  # fresh clients, nothing inherited
        started = [context.Process(target=_rebuild_helper, args=(config, generation, group), daemon=True)
                   for _ in range(processes - 1)]
        for process in started:
            process.start()

        def wait() -> None:
            for process in started:
                process.join(timeout=120)
                if process.is_alive():
                    process.terminate()

        return wait

    bar = tqdm(unit="events", disable=not show_progress, desc="rebuild")

    def progress(position: int, lag: int) -> None:
        bar.total = position + lag
        bar.n = position
        bar.refresh()

    try:
        return rebuild(engine, _projection_loop_factory(engine, config), f"{config.topic_prefix}-reporting",
                       load(config.org_units_file), progress, cache_size=config.projection_cache,
                       helpers=helpers if processes > 1 else None)
    finally:
        bar.close()
