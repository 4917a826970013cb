"""Building blocks every service's composition root uses (called from create_app, never at import)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import Flask
from sqlalchemy import Engine, Table

from shared.access_web import install_auth
from shared.auth import AccessStore
from shared.config import WRITE_SERVICES, Config
from shared.db import make_engine
from shared.health import database_check, kafka_check
from shared.messaging.progress import ConsumerProgress, MessagingCollector, OutboxBacklog
from shared.orgunits import OrgTree, load
from shared.ratelimit_store import request_budget
from shared.supervision import SupervisorCollector
from shared.web import Metrics, base_app, install_request_metrics, ops_blueprint

# connections beyond the pool, for a moment (a thread that needs a second connection of one database waits
# for none), while a worker's connections stay bounded (docs/scaling.md)
POOL_OVERFLOW = 2


@dataclass
class ServiceParts:
    app: Flask
    engine: Engine
    access: AccessStore
    tree: OrgTree
    metrics: Metrics
    # checks /readyz runs, in order; a service appends what else it needs (its relay, its consumer)
    readiness: list[tuple[str, Callable[[], None]]]


def status_reader(config: Config) -> Engine:
    """A read-only engine of the service's database for /readyz and /metrics (a scrape or a probe at a time):
    one connection per worker, not a request pool."""
    return make_engine(config.database_url, read_only=True, pool_size=1, max_overflow=POOL_OVERFLOW)


def request_reader(engine: Engine, status: Engine) -> Engine:
    """The engine a write service's GETs read through: on SQLite its read-only `status` engine (status_reader; a
    SQLite engine's pool is not sized), since the writers' engine takes the write lock at BEGIN and a read
    queued in SQLite's busy handler behind the POSTs, which take turns on a kernel lock and hand it to each
    other; on PostgreSQL the writers' own pool, sized for requests, where reads never wait for writes."""
    return status if engine.dialect.name == "sqlite" else engine


def build_service(config: Config, title: str, migrate: bool) -> ServiceParts:
    app = base_app(f"tienphong.{config.service}")
    app.config["TIENPHONG"] = config
    engine = make_engine(config.database_url, pool_size=config.db_pool_size, max_overflow=POOL_OVERFLOW,
                         durable=config.service in WRITE_SERVICES)
    # the access database serves look-ups cached for seconds and one rate-limit statement a request: half as many,
    # all kept open: overflow connections were opened and closed again all the time under load (py-spy: 5 % of
    # a busy PostgreSQL POST's time went to connecting, a server process started each time)
    access = AccessStore(make_engine(config.access_url, pool_size=max(2, config.db_pool_size // 2) + POOL_OVERFLOW,
                                     max_overflow=0, durable=True))
    if migrate:
        access.migrate()
    tree = load(config.org_units_file)
    metrics = Metrics(config.service)
    metrics.registry.register(SupervisorCollector(config.data_dir))  # children of `tienphong run`, if any
    install_request_metrics(app, metrics)
    install_auth(app, access, request_budget(access.engine, config.service, config.rate_limit_per_minute),
                 session_limiter=request_budget(access.engine, f"{config.service}-sessions",
                                                config.session_rate_limit_per_minute))
    readiness = [("database", database_check(engine)), ("access_database", database_check(access.engine)),
                 ("kafka", kafka_check(config.kafka_bootstrap_servers))]
    app.register_blueprint(ops_blueprint(config.service, readiness, metrics, title))
    app.extensions["tienphong"] = {"engine": engine, "access": access, "tree": tree}
    return ServiceParts(app, engine, access, tree, metrics, readiness)


def watch_messaging(parts: ServiceParts, config: Config, reader: Engine, outbox: Table | None = None,
                    consumer: ConsumerProgress | None = None, dead_letters: Table | None = None) -> None:
    """The service's relay (its outbox) and consumer in /readyz and /metrics: not ready while either has
    work waiting and has done none of it for `config.stall_seconds`. `reader` is a read-only engine of the
    service's database (on SQLite the writers' engine takes the write lock even to read)."""
    backlog = None if outbox is None else OutboxBacklog(reader, outbox, config.stall_seconds)
    if backlog is not None:
        parts.readiness.append(("relay", backlog.check))
    if consumer is not None:
        parts.readiness.append(("consumer", consumer.check))
    parts.metrics.registry.register(MessagingCollector(
        config.service, consumer, None if dead_letters is None else (reader, dead_letters), backlog))
