"""Readiness checks: the database answers, a Kafka bootstrap server accepts connections."""

from __future__ import annotations

import socket
from collections.abc import Callable

from sqlalchemy import Engine

from shared.db import ping


def database_check(engine: Engine) -> Callable[[], None]:
    return lambda: ping(engine)


def kafka_check(bootstrap_servers: str, timeout: float = 1.0) -> Callable[[], None]:
    def check() -> None:
        errors = []
        for server in bootstrap_servers.split(","):
            host, _, port = server.strip().rpartition(":")
            try:
                with socket.create_connection((host or "127.0.0.1", int(port)), timeout=timeout):
                    return
            except OSError as exc:
                errors.append(f"{server}: {exc}")
        raise ConnectionError("; ".join(errors) or "no bootstrap servers")

    return check
