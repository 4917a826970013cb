"""Fresh databases per test: SQLite files, or PostgreSQL databases when TIENPHONG_TEST_DB=postgresql."""

from __future__ import annotations

import os
import time
import uuid

from sqlalchemy import create_engine, text
from sqlalchemy.exc import ProgrammingError

SERVICES = ("registration", "support", "reporting", "access")


def backend() -> str:
    return os.environ.get("TIENPHONG_TEST_DB", "sqlite")


def admin_url() -> str:
    return os.environ.get("TIENPHONG_TEST_PG_ADMIN_URL",
                          "postgresql+psycopg://tienphong:tienphong@127.0.0.1:5432/postgres")


def fresh_template() -> str | None:
    """A DATABASE_URL template with a new database per service, or None for SQLite in the data dir."""
    if backend() != "postgresql":
        return None
    prefix = "tpt_" + uuid.uuid4().hex[:10]
    base = admin_url().rsplit("/", 1)[0]
    engine = create_engine(admin_url(), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            for service in SERVICES:
                conn.execute(text(f'CREATE DATABASE "{prefix}_{service}"'))
    finally:
        engine.dispose()
    return f"{base}/{prefix}_{{service}}"


def drop(template: str | None) -> None:
    if template is None:
        return
    engine = create_engine(admin_url(), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            for service in SERVICES:
                name = template.rsplit("/", 1)[1].replace("{service}", service)
                for attempt in range(20):
                    try:
                        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                        break
                    except ProgrammingError:
                        # an autovacuum worker (a superuser process) may be in the new database for a
                        # moment; FORCE may not end it for a non-superuser role, so wait for it
                        if attempt == 19:
                            raise
                        time.sleep(0.5)
    finally:
        engine.dispose()
