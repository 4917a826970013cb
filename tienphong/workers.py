"""Starting the non-HTTP processes: the outbox relays and the Kafka consumers, each built by the service that
owns it (a relay from the service's outbox table, a consumer by services/<name>/consumer.py)."""

from __future__ import annotations

import importlib
import logging
import signal
import threading
from collections.abc import Callable

from shared.config import Config
from shared.db import make_engine, migrate
from shared.messaging.backoff import until_it_works
from shared.messaging.consumer import ConsumerLoop
from shared.messaging.outbox import Relay, relay_to
from shared.messaging.topics import DEAD_LETTER, EVENT_TOPICS, ensure_topics

log = logging.getLogger("tienphong.workers")
RELAY_SERVICES = ("registration", "support")
CONSUMER_SERVICES = ("reporting", "support")


def migrate_all(services: tuple[str, ...] = ("registration", "support", "reporting")) -> None:
    """Brings the access database and each service's database to the newest schema."""
    from shared.auth import AccessStore
    from shared.config import from_env
    AccessStore(make_engine(from_env("access").access_url)).migrate()
    for service in services:
        store = importlib.import_module(f"services.{service}.store")
        migrate(make_engine(from_env(service).database_url), store.VERSIONS)


def create_topics(config: Config) -> None:
    names = [config.topic(n) for n in (*EVENT_TOPICS, DEAD_LETTER)]
    ensure_topics(config.kafka_bootstrap_servers, names, config.topic_partitions, config.topic_replication,
                  config.topic_min_insync)


def build_relay(config: Config) -> Relay:
    if config.service not in RELAY_SERVICES:
        raise ValueError(f"no outbox in {config.service}")
    store = importlib.import_module(f"services.{config.service}.store")
    engine = make_engine(config.database_url, durable=True)
    migrate(engine, store.VERSIONS)
    reader = make_engine(config.database_url, read_only=True) if engine.dialect.name == "sqlite" else None
    return relay_to(config.kafka_bootstrap_servers, engine, store.outbox, f"tienphong-{config.service}-relay",
                    reader)


def build_consumer(config: Config) -> ConsumerLoop:
    """The consumer of `config.service`, as that service wires it (services/<name>/consumer.py)."""
    if config.service not in CONSUMER_SERVICES:
        raise ValueError(f"{config.service} consumes nothing")
    module = importlib.import_module(f"services.{config.service}.consumer")
    return module.build_consumer(config)  # type: ignore[no-any-return]


def run_until_signalled(config: Config, build: Callable[[], Relay | ConsumerLoop], what: str) -> None:
    """Starts a relay or a consumer and runs it until SIGTERM or SIGINT. A broker or database that is away
    at start is waited for (with capped backoff, logged when it starts and ends), never a reason to exit."""
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())

    def start() -> Relay | ConsumerLoop:
        create_topics(config)
        return build()

    target = until_it_works(start, stop, log, f"starting the {what}")
    if target is not None:
        target.run(stop)


def rebuild_projections(config: Config, show_progress: bool = True, processes: int = 1) -> int:
    """`tienphong projections rebuild`, with a progress bar."""
    from tqdm import tqdm

    from services.reporting.consumer import rebuild_projections as rebuild

    bar = tqdm(unit="events", disable=not show_progress, desc="rebuild")

    def progress(position: int, lag: int) -> None:
        bar.total = position + lag
        bar.n = position
        bar.refresh()

    try:
        return rebuild(config, progress, processes)
    finally:
        bar.close()
