"""Composition root of the registration service: the only place that builds its adapters."""

from __future__ import annotations

from flask import Flask

from services.registration import api, imports
from services.registration.store import VERSIONS, event_store, outbox
from shared.config import Config, from_env
from shared.db import migrate as run_migrations
from shared.messaging.topics import REGISTRATION_EVENTS
from shared.service import build_service, status_reader, watch_messaging
from shared.write_api import Writer


def create_app(config: Config | None = None, migrate: bool = True) -> Flask:
    config = config or from_env("registration")
    parts = build_service(config, "Tiên Phong registration", migrate)
    if migrate:
        run_migrations(parts.engine, VERSIONS)
    writer = Writer(parts.engine, event_store, outbox, config.topic(REGISTRATION_EVENTS), parts.tree,
                    "registration", config.program_start, limits=config.plausibility)
    parts.app.register_blueprint(api.blueprint(writer, parts.engine, parts.tree))
    parts.app.register_blueprint(imports.blueprint(writer, parts.tree))
    watch_messaging(parts, config, status_reader(config), outbox=outbox)
    return parts.app
