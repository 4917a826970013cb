"""Composition root of the support service."""

from __future__ import annotations

from flask import Flask

from services.support import api, imports
from services.support.store import (
    VERSIONS,
    consumer_heartbeats,
    consumer_offsets,
    dead_letters,
    event_store,
    org_unit_changes,
    outbox,
)
from shared.config import Config, from_env
from shared.db import migrate as run_migrations
from shared.hierarchy_store import HierarchySource
from shared.messaging.offsets import EndOffsets
from shared.messaging.progress import ConsumerProgress
from shared.messaging.topics import REGISTRATION_EVENTS, SUPPORT_EVENTS
from shared.service import build_service, request_reader, status_reader, watch_messaging
from shared.sessions import install_session_auth
from shared.write_api import Writer


def create_app(config: Config | None = None, migrate: bool = True) -> Flask:
    config = config or from_env("support")
    parts = build_service(config, "Tiên Phong support", migrate)
    if migrate:
        run_migrations(parts.engine, VERSIONS)
    install_session_auth(parts.app, parts.access, config, writes=True)  # people's writes through the gateway (forms)
    # the hierarchy's changes as support's consumer learned them from Kafka: scope checks on an event's date
    reader = status_reader(config)
    # read-only: on SQLite the writers' engine would take the write lock to look for a new change
    hierarchy = HierarchySource(reader, org_unit_changes, parts.tree, config.program_start,
                                config.hierarchy_refresh_seconds)
    writer = Writer(parts.engine, event_store, outbox, config.topic(SUPPORT_EVENTS), parts.tree, "support",
                    config.program_start, limits=config.plausibility, hierarchy=hierarchy)
    parts.app.register_blueprint(api.blueprint(writer, request_reader(parts.engine, reader)))
    parts.app.register_blueprint(imports.blueprint(writer, parts.tree))
    # support's consumer stores its offsets under its group's name (tienphong/workers.py)
    group = config.consumer_group or f"{config.topic_prefix}-support"
    view = ConsumerProgress(reader, consumer_offsets, consumer_heartbeats, lambda _: group,
                            EndOffsets(config.kafka_bootstrap_servers, [config.topic(REGISTRATION_EVENTS)]),
                            config.stall_seconds)
    watch_messaging(parts, config, reader, outbox=outbox, consumer=view, dead_letters=dead_letters)
    return parts.app
