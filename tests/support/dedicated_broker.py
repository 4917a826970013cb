"""A broker of one test's own (scripts/kafka.sh on free ports), which the test may kill and damage."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from shared.supervision import alive
from tests.support.broker import REPO, free_port

SCRIPT = str(REPO / "scripts" / "kafka.sh")


class DedicatedBroker:
    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.port = free_port()
        self.env = dict(os.environ, KAFKA_DATA_DIR=str(data_dir), KAFKA_PORT=str(self.port),
                        KAFKA_CONTROLLER_PORT=str(free_port()))
        self.bootstrap = f"127.0.0.1:{self.port}"

    @property
    def log_dir(self) -> Path:
        return self.data_dir / "kraft-data"

    def start(self) -> None:
        """Starts it, again on its own port. While it was down, a client retrying to connect from an ephemeral
        port may have been given that very port (a TCP connection to itself, which then seems to listen):
        such a socket goes away within a moment, so "already in use" is tried again a few times."""
        for _ in range(20):
            started = subprocess.run([SCRIPT, "start"], env=self.env, capture_output=True, text=True)
            if started.returncode == 0 or "already in use" not in started.stderr:
                break
            time.sleep(1)
        assert started.returncode == 0, f"{started.stdout}\n{started.stderr}"

    def stop(self) -> None:
        subprocess.run([SCRIPT, "stop"], env=self.env, capture_output=True)

    def kill(self) -> None:
        """SIGKILL, as a power cut ends it: no clean-shutdown marker, no last checkpoint."""
        pid = int((self.data_dir / "kafka.pid").read_text())
        os.kill(pid, signal.SIGKILL)
        while alive(pid):
            time.sleep(0.1)

    def segment(self, topic: str, partition: int) -> Path:
        """The partition's first segment file (the only one at a test's sizes)."""
        return self.log_dir / f"{topic}-{partition}" / "00000000000000000000.log"

    def lose_tail(self, topic: str, partition: int, keep_bytes: int) -> None:
        """With the broker down: the partition's log cut back to `keep_bytes`, as if the last appends had
        never reached the disk, and its recovery point set to 0 so that the broker, finding no clean-shutdown
        marker, checks the whole partition at start and rebuilds its indexes (as after a power cut)."""
        with open(self.segment(topic, partition), "r+b") as segment:
            segment.truncate(keep_bytes)
        (self.log_dir / ".kafka_cleanshutdown").unlink(missing_ok=True)
        checkpoint = self.log_dir / "recovery-point-offset-checkpoint"
        lines = checkpoint.read_text().splitlines() if checkpoint.exists() else []
        if lines:  # version, count, then "topic partition offset"; a partition not listed is recovered from 0
            kept = [e for e in lines[2:] if e.split(" ")[:2] != [topic, str(partition)]]
            checkpoint.write_text("\n".join([lines[0], str(len(kept)), *kept]) + "\n")


@contextmanager
def dedicated_broker(data_dir: Path) -> Iterator[DedicatedBroker]:
    broker = DedicatedBroker(data_dir)
    broker.start()
    try:
        yield broker
    finally:
        broker.stop()
