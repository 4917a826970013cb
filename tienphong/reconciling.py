"""`tienphong reconcile`: the write services' event stores against their topics (shared.messaging.reconcile),
composed with the consumers' offset tables it may have to rewind."""

from __future__ import annotations

from shared.config import WRITE_SERVICES, from_env
from shared.db import make_engine, migrate
from shared.messaging.reconcile import EventSource, Report, reconcile
from shared.messaging.topics import REGISTRATION_EVENTS, SUPPORT_EVENTS

TOPICS = {"registration": REGISTRATION_EVENTS, "support": SUPPORT_EVENTS}
CONSUMING_SERVICES = ("reporting", "support")


def _store(service: str):  # type: ignore[no-untyped-def]
    return __import__(f"services.{service}.store", fromlist=["VERSIONS"])


def reconcile_all(env: dict[str, str] | None = None) -> list[Report]:
    offset_tables = []
    for service in CONSUMING_SERVICES:
        engine = make_engine(from_env(service, env).database_url)
        migrate(engine, _store(service).VERSIONS)
        offset_tables.append((service, engine, _store(service).consumer_offsets))
    reports = []
    for service in WRITE_SERVICES:
        config = from_env(service, env)
        store = _store(service)
        engine = make_engine(config.database_url, durable=True)
        migrate(engine, store.VERSIONS)
        source = EventSource(service, engine, store.event_store, store.outbox, config.topic(TOPICS[service]))
        reports.append(reconcile(config.kafka_bootstrap_servers, source, offset_tables))
    return reports
