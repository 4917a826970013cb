"""Fixtures: a real Kafka broker for the session, fresh databases (SQLite or PostgreSQL) per test.

No skips: when a broker or database cannot be had, the run fails (always, and so also under CI=true).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.broker import kafka_broker
from tests.support.databases import backend, drop, fresh_template
from tests.support.system import System, settings


@pytest.fixture(scope="session")
def bootstrap() -> Iterator[str]:
    try:
        broker = kafka_broker()
        servers = broker.__enter__()
    except Exception as exc:  # noqa: BLE001
        pytest.fail(f"no Kafka broker for the tests: {exc}", pytrace=False)
    try:
        yield servers
    finally:
        broker.__exit__(None, None, None)


@pytest.fixture
def database_template() -> Iterator[str | None]:
    try:
        template = fresh_template()
    except Exception as exc:  # noqa: BLE001
        pytest.fail(f"no {backend()} database for the tests: {exc}", pytrace=False)
    try:
        yield template
    finally:
        drop(template)


@pytest.fixture
def env(tmp_path: Path, bootstrap: str, database_template: str | None) -> dict[str, str]:
    return settings(tmp_path, bootstrap, database_template)


@pytest.fixture
def system(env: dict[str, str]) -> Iterator[System]:
    running = System(env)
    try:
        yield running
    finally:
        running.close()
