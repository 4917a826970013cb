"""Three Kafka brokers from the project's script (KAFKA_BROKERS=3 scripts/kafka.sh), on free ports, for the
tests that take one away."""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.support.broker import REPO, free_port

BROKERS = 3


class Cluster:
    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.ports = [free_port() for _ in range(BROKERS)]
        self.env = os.environ | {
            "KAFKA_BROKERS": str(BROKERS), "KAFKA_DATA_DIR": str(data_dir),
            "KAFKA_PORTS": ",".join(map(str, self.ports)),
            "KAFKA_CONTROLLER_PORTS": ",".join(str(free_port()) for _ in range(BROKERS)),
            # three JVMs starting at once on a small, busy machine
            "KAFKA_START_TIMEOUT": "240"}
        self.bootstrap = ",".join(f"127.0.0.1:{port}" for port in self.ports)

    def script(self, command: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(REPO / "scripts" / "kafka.sh"), command], env=self.env, capture_output=True,
                              text=True)

    def kill(self, node: int) -> None:
        """kill -9 of one broker (1-based), as a machine that loses power."""
        pid = int((self.data_dir / f"node-{node}" / "kafka.pid").read_text())
        os.kill(pid, signal.SIGKILL)


@contextmanager
def three_brokers(data_dir: Path) -> Iterator[Cluster]:
    cluster = Cluster(data_dir)
    started = cluster.script("start")
    if started.returncode != 0:
        cluster.script("stop")
        raise RuntimeError(f"three brokers did not start:\n{started.stdout[-4000:]}\n{started.stderr[-4000:]}")
    try:
        yield cluster
    finally:
        cluster.script("stop")
