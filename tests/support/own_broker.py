"""A broker of a test's own (the project's script on free ports), for tests that stop, kill or damage it:
never the session's shared broker."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import tempfile
from pathlib import Path

from tests.support.broker import REPO, free_port


class OwnBroker:
    def __init__(self) -> None:
        self.data_dir = Path(tempfile.mkdtemp(prefix="tienphong-own-kafka-"))
        self.port = free_port()
        self._env = dict(os.environ, KAFKA_DATA_DIR=str(self.data_dir), KAFKA_PORT=str(self.port),
                         KAFKA_CONTROLLER_PORT=str(free_port()))

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    def _script(self, action: str) -> None:
        done = subprocess.run([str(REPO / "scripts" / "kafka.sh"), action], env=self._env, capture_output=True,
                              text=True)
        if done.returncode != 0:
            raise RuntimeError(f"kafka.sh {action} failed:\n{done.stdout}\n{done.stderr}")

    def start(self) -> None:
        self._script("start")

    def stop(self) -> None:
        self._script("stop")

    def kill(self) -> None:
        """kill -9, as a power cut or the OOM killer would: no clean shutdown."""
        pid_file = self.data_dir / "kafka.pid"
        if pid_file.exists():
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(pid_file.read_text().strip()), signal.SIGKILL)
        self._script("stop")  # clears the pid file once the process is gone
