"""The write services' event stores and outboxes, and the access database, commit durably; read models
may not (issue 28): the setting read back from each kind of engine the processes build."""

from __future__ import annotations

from sqlalchemy import Engine, create_engine, text

from shared.config import from_env
from tests.support.databases import backend
from tests.support.system import System
from tienphong import workers

SQLITE_FULL, SQLITE_NORMAL = 2, 1


def _database_default_off(url: str) -> None:
    """On PostgreSQL, the database itself is set to synchronous_commit=off, as a careless operator might:
    a durable engine must still commit synchronously."""
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            name = conn.execute(text("select current_database()")).scalar_one()
            conn.execute(text(f'ALTER DATABASE "{name}" SET synchronous_commit = off'))
    finally:
        engine.dispose()


def _durable(engine: Engine) -> bool:
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            level = conn.exec_driver_sql("PRAGMA synchronous").scalar_one()
            assert level in (SQLITE_FULL, SQLITE_NORMAL)
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar_one() == "wal"
            return bool(level == SQLITE_FULL)
        setting = conn.exec_driver_sql("SHOW synchronous_commit").scalar_one()
        return bool(setting == "on")


def test_event_stores_outboxes_and_access_commit_durably_read_models_need_not(env: dict[str, str]) -> None:
    if backend() == "postgresql":
        for service in ("registration", "support", "reporting", "access"):
            _database_default_off(from_env(service, env).database_url if service != "access"
                                  else from_env("access", env).access_url)
    system = System(env)
    try:
        engines = {service: app.extensions["tienphong"]["engine"] for service, app in system.apps.items()}
        assert _durable(engines["registration"]) and _durable(engines["support"])
        assert not _durable(engines["reporting"])  # a read model, rebuilt from the log
        for app in system.apps.values():
            assert _durable(app.extensions["tienphong"]["access"].engine)
        for service in ("registration", "support"):
            assert _durable(system.relay(service)._engine)  # deletes outbox rows once Kafka acknowledged
        assert not _durable(workers.build_consumer(from_env("reporting", env))._engine)
    finally:
        system.close()
