"""Composition root of the registration service: the only place that builds its adapters."""

from __future__ import annotations

from flask import Flask

from services.registration import api, imports, org_units
from services.registration.store import VERSIONS, event_store, org_unit_changes, outbox
from shared.config import Config, from_env
from shared.db import migrate as run_migrations
from shared.hierarchy_store import HierarchySource
from shared.messaging.topics import REGISTRATION_EVENTS
from shared.service import build_service, request_reader, status_reader, watch_messaging
from shared.sessions import install_session_auth
from shared.write_api import Writer


def create_app(config: Config | None = None, migrate: bool = True) -> Flask:
    config = config or from_env("registration")
    parts = build_service(config, "Tiên Phong registration", migrate)
    if migrate:
        run_migrations(parts.engine, VERSIONS)
    install_session_auth(parts.app, parts.access, config, writes=True)  # people's writes through the gateway (forms)
    reader = status_reader(config)
    # read-only: on SQLite the writers' engine would take the write lock to look for a new change
    hierarchy = HierarchySource(reader, org_unit_changes, parts.tree, config.program_start,
                                config.hierarchy_refresh_seconds)
    writer = Writer(parts.engine, event_store, outbox, config.topic(REGISTRATION_EVENTS), parts.tree,
                    "registration", config.program_start, limits=config.plausibility, hierarchy=hierarchy)
    parts.app.register_blueprint(api.blueprint(writer, request_reader(parts.engine, reader), parts.tree))
    parts.app.register_blueprint(imports.blueprint(writer, parts.tree))
    parts.app.register_blueprint(org_units.blueprint(writer, hierarchy))
    watch_messaging(parts, config, reader, outbox=outbox)
    return parts.app
