"""Finding a real Kafka broker for the tests: env, then testcontainers (Docker), then the project script."""

from __future__ import annotations

import os
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def docker_engine_answers() -> bool:
    try:
        return subprocess.run(["docker", "info"], capture_output=True, timeout=10).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


@contextmanager
def kafka_broker() -> Iterator[str]:
    """Yields bootstrap servers; raises when no broker can be had (the caller fails the run)."""
    if os.environ.get("KAFKA_BOOTSTRAP_SERVERS"):
        yield os.environ["KAFKA_BOOTSTRAP_SERVERS"]
        return
    if docker_engine_answers():
        from testcontainers.kafka import KafkaContainer
        with KafkaContainer("apache/kafka:4.1.1").with_kraft() as container:
            yield container.get_bootstrap_server()
        return
    data_dir = tempfile.mkdtemp(prefix="tienphong-kafka-")
    port = free_port()
    env = dict(os.environ, KAFKA_DATA_DIR=data_dir, KAFKA_PORT=str(port), KAFKA_CONTROLLER_PORT=str(free_port()))
    started = subprocess.run([str(REPO / "scripts" / "kafka.sh"), "start"], env=env, capture_output=True, text=True)
    if started.returncode != 0:
        raise RuntimeError(f"could not start the project's Kafka broker:\n{started.stdout}\n{started.stderr}")
    try:
        yield f"127.0.0.1:{port}"
    finally:
        subprocess.run([str(REPO / "scripts" / "kafka.sh"), "stop"], env=env, capture_output=True)
