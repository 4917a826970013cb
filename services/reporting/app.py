"""Composition root of the reporting service."""

from __future__ import annotations

from collections.abc import Iterator

from flask import Flask
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import Engine, select

from services.reporting import (
    api,
    dashboard,
    dashboard_api,
    documents_api,
    forms,
    hierarchy_reads,
    loans_api,
    people,
    planning_api,
)
from services.reporting.alerts import Settings
from services.reporting.document_heads import Heads
from services.reporting.hierarchy_reads import Hierarchies
from services.reporting.params import parse_date
from services.reporting.reads import Reads
from services.reporting.store import (
    VERSIONS,
    active_generation,
    consumer_heartbeats,
    consumer_offsets,
    dead_letters,
    org_unit_changes,
    read_model,
)
from services.reporting.targets import Targets
from shared.config import Config, from_env
from shared.db import make_engine
from shared.db import migrate as run_migrations
from shared.hierarchy_store import HierarchySource
from shared.messaging.offsets import EndOffsets
from shared.messaging.progress import ConsumerProgress
from shared.messaging.topics import EVENT_TOPICS
from shared.service import POOL_OVERFLOW, build_service, watch_messaging
from shared.sessions import install_sessions


class ProjectionCollector(Collector):
    """The consumer runs in its own process; its counters live in the read model's database."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def collect(self) -> Iterator[CounterMetricFamily | GaugeMetricFamily]:
        try:
            with self._engine.connect() as conn:
                model = read_model(active_generation(conn))
                counters = dict(conn.execute(select(model.stats.c.name, model.stats.c.value)).all())
        except Exception:  # noqa: BLE001 - tables not created yet, or the database is down
            return
        yield GaugeMetricFamily("tienphong_projection_generation", "Active read-model generation",
                                value=model.generation)
        yield CounterMetricFamily("tienphong_projection_events_applied", "Events applied to the read models",
                                  value=counters.get("events_applied", 0))
        yield CounterMetricFamily("tienphong_projection_dead_letters", "Unreadable events sent to dead letters",
                                  value=counters.get("dead_letters", 0))


def create_app(config: Config | None = None, migrate: bool = True) -> Flask:
    config = config or from_env("reporting")
    parts = build_service(config, "Tiên Phong reporting", migrate)
    if migrate:
        run_migrations(parts.engine, VERSIONS)
    install_sessions(parts.app, parts.access, config)  # dashboard accounts: /login, /logout, cookie reads
    end_offsets = EndOffsets(config.kafka_bootstrap_servers, [config.topic(name) for name in EVENT_TOPICS])
    reader = make_engine(config.database_url, read_only=True, pool_size=config.db_pool_size,
                         max_overflow=POOL_OVERFLOW)
    # reads never on the writer's engine: on SQLite it takes the write lock and waits for a consumer's batch
    parts.metrics.registry.register(ProjectionCollector(reader))
    # the live projection stores its offsets under the active generation's consumer name
    projection = ConsumerProgress(reader, consumer_offsets, consumer_heartbeats,
                                  lambda conn: read_model(active_generation(conn)).consumer_name, end_offsets,
                                  config.stall_seconds)
    watch_messaging(parts, config, reader, consumer=projection, dead_letters=dead_letters)
    targets = Targets.load()
    # the hierarchy's changes as the consumer learned them from Kafka; the reads group history through it
    hierarchies = Hierarchies(HierarchySource(reader, org_unit_changes, parts.tree, config.program_start,
                                              config.hierarchy_refresh_seconds))
    parts.app.register_blueprint(hierarchy_reads.blueprint(hierarchies, parse_date))  # GET /org-units
    parts.app.register_blueprint(api.blueprint(parts.engine, reader, parts.tree, targets, end_offsets, hierarchies))
    reads = Reads(parts.engine, reader, parts.tree, targets, hierarchies)
    parts.app.register_blueprint(planning_api.blueprint(reads, Settings(  # definitions, targets, alerts
        config.alert_months_without_start, config.alert_months_without_evaluation)))
    heads = Heads.load(parts.tree, config.report_headers_file)
    parts.app.register_blueprint(documents_api.blueprint(reads, heads, config.pdf_font_dir))  # .docx, .pdf
    parts.app.register_blueprint(dashboard_api.blueprint(reads))  # series, page views
    parts.app.register_blueprint(dashboard.blueprint(reader, parts.tree, config, hierarchies, parts.access))  # pages
    parts.app.register_blueprint(loans_api.blueprint(parts.engine, reader, parts.tree, hierarchies))  # /api/v1/loans
    parts.app.register_blueprint(people.blueprint(reader, parts.tree, hierarchies))  # /api/v1/me, directory, my-entries
    parts.app.register_blueprint(forms.blueprint())  # /forms/: the data-entry app (docs/forms.md)
    return parts.app
