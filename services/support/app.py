"""Composition root of the support service."""

from __future__ import annotations

from flask import Flask

from services.support import api
from services.support.store import VERSIONS, event_store, outbox
from shared.config import Config, from_env
from shared.db import migrate as run_migrations
from shared.messaging.topics import SUPPORT_EVENTS
from shared.service import build_service
from shared.write_api import Writer


def create_app(config: Config | None = None, migrate: bool = True) -> Flask:
    config = config or from_env("support")
    parts = build_service(config, "Tiên Phong support", migrate)
    if migrate:
        run_migrations(parts.engine, VERSIONS)
    writer = Writer(parts.engine, event_store, outbox, config.topic(SUPPORT_EVENTS), parts.tree, "support",
                    config.program_start)
    parts.app.register_blueprint(api.blueprint(writer, parts.engine))
    return parts.app
