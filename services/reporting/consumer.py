"""The reporting service's consumers: the live projection of both topics into the active read models, and
the loops of a rebuild (a new generation from offset 0, in this process and helper processes)."""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable
from dataclasses import replace

from sqlalchemy import Engine

from services.reporting.projector import LiveProjection, Projection
from services.reporting.rebuild import fill, rebuild
from services.reporting.store import VERSIONS, consumer_heartbeats, consumer_offsets, dead_letters, read_model
from shared.config import Config
from shared.db import make_engine, migrate
from shared.messaging.consumer import BatchHandler, ConsumerLoop, ConsumerSettings, settle_gc
from shared.messaging.topics import DEAD_LETTER, REGISTRATION_EVENTS, SUPPORT_EVENTS
from shared.orgunits import load

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


def settings(config: Config, name: str, group: str) -> ConsumerSettings:
    return ConsumerSettings(config.kafka_bootstrap_servers, group,
                            tuple(config.topic(n) for n in (REGISTRATION_EVENTS, SUPPORT_EVENTS)), name,
                            max_poll_records=PROJECTION_BATCH, fetch_max_bytes=PROJECTION_FETCH_BYTES,
                            max_partition_fetch_bytes=PROJECTION_PARTITION_FETCH_BYTES, in_step=True,
                            light_records=config.fast_paths)


def handler(projection: Projection | LiveProjection) -> BatchHandler:
    return BatchHandler(projection.apply_batch, prepare=projection.prepare, forget=projection.forget,
                        record_dead_letters=projection.record_dead_letters,
                        before_poll=getattr(projection, "before_poll", None))


def build_consumer(config: Config) -> ConsumerLoop:
    """The live projection: the active generation's read models, following both topics."""
    engine = make_engine(config.database_url, cache_mib=PROJECTION_PAGE_CACHE_MIB)
    migrate(engine, VERSIONS)
    reader = make_engine(config.database_url, read_only=True)
    live = LiveProjection(engine, load(config.org_units_file), config.projection_cache, reader)
    group = config.consumer_group or f"{config.topic_prefix}-reporting"
    live_settings = replace(settings(config, live.projection.model.consumer_name, group),
                            dead_letter_topic=config.topic(DEAD_LETTER),
                            instance_id=config.consumer_instance or None)
    return ConsumerLoop(engine, consumer_offsets, live_settings, handler(live), reader, dead_letters,
                        consumer_heartbeats)


def loop_factory(engine: Engine, config: Config) -> Callable[[str, str, Projection], ConsumerLoop]:
    """Loops of a rebuild: one generation's projection under its consumer name, in the rebuild's group."""
    reader = make_engine(config.database_url, read_only=True)

    def make_loop(name: str, group: str, projection: Projection) -> ConsumerLoop:
        return ConsumerLoop(engine, consumer_offsets, settings(config, name, group), handler(projection), reader)

    return make_loop


def _rebuild_helper(config: Config, generation: int, group: str) -> None:
    """Runs in a child process: a share of the partitions of a rebuild."""
    settle_gc()
    engine = make_engine(config.database_url, cache_mib=PROJECTION_PAGE_CACHE_MIB)
    fill(loop_factory(engine, config), read_model(generation), group, load(config.org_units_file),
         config.projection_cache)


def rebuild_projections(config: Config, progress: Callable[[int, int], None] | None = None,
                        processes: int = 1) -> int:
    """A new read-model generation from offset 0, then the swap; `processes` > 1 splits the partitions
    between this process and helpers (one per core helps). Returns the new generation."""
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

    return rebuild(engine, loop_factory(engine, config), f"{config.topic_prefix}-reporting",
                   load(config.org_units_file), progress, cache_size=config.projection_cache,
                   helpers=helpers if processes > 1 else None)
