"""Every process of `tienphong run` (tienphong/supervisor.py) as real children, on free ports, for tests that
talk to them over HTTP and kill, freeze or restart them."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from tests.support.broker import free_port
from tienphong.supervisor import PROCESSES, wait_ready


class Stack:
    def __init__(self, env: dict[str, str], log_dir: Path) -> None:
        self.env = env
        self.log_dir = log_dir
        self.ports = {"registration": free_port(), "support": free_port(), "reporting": free_port(),
                      "gateway": free_port()}
        self.urls = {service: f"http://127.0.0.1:{port}" for service, port in self.ports.items()}
        self.children: dict[str, subprocess.Popen[bytes]] = {}
        self._logs: list[IO[bytes]] = []

    def start(self, name: str) -> None:
        argv = dict(PROCESSES)[name]
        process_env = os.environ | self.env
        if argv[0] == "serve":
            process_env["PORT"] = str(self.ports[argv[1]])
        if argv[0] == "gateway":  # in front of this stack's three services
            process_env["PORT"] = str(self.ports["gateway"])
            process_env |= {f"TIENPHONG_{s.upper()}_PORT": str(p) for s, p in self.ports.items() if s != "gateway"}
        if argv[0] == "consume":  # a stable member name, as `tienphong run` and compose give each consumer
            process_env["TIENPHONG_CONSUMER_INSTANCE"] = name
        log = open(self.log_dir / f"{name}.log", "ab")  # noqa: SIM115 - closed in stop_all
        self._logs.append(log)
        self.children[name] = subprocess.Popen([sys.executable, "-m", "tienphong.cli", *argv], env=process_env,
                                               stdout=log, stderr=subprocess.STDOUT)

    def kill(self, name: str, sig: int = signal.SIGKILL) -> None:
        self.children[name].send_signal(sig)
        if sig in (signal.SIGKILL, signal.SIGTERM):
            self.children[name].wait(timeout=30)

    def log(self, name: str) -> str:
        return (self.log_dir / f"{name}.log").read_text(errors="replace")

    def start_all(self, ready_timeout: float) -> None:
        subprocess.run([sys.executable, "-m", "tienphong.cli", "migrate"], env=os.environ | self.env, check=True,
                       stdout=subprocess.DEVNULL)
        for name, _ in PROCESSES:
            self.start(name)
        for service, url in self.urls.items():
            assert wait_ready(f"{url}/readyz", ready_timeout), self.log(service)

    def stop_all(self) -> None:
        for child in self.children.values():
            if child.poll() is None:
                child.send_signal(signal.SIGCONT)  # a frozen one must be able to hear the TERM
                child.terminate()
        for child in self.children.values():
            try:
                child.wait(timeout=20)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
        for log in self._logs:
            log.close()


@contextmanager
def running_stack(env: dict[str, str], log_dir: Path, ready_timeout: float = 90) -> Iterator[Stack]:
    stack = Stack(env, log_dir)
    try:
        stack.start_all(ready_timeout)
        yield stack
    finally:
        stack.stop_all()


@contextmanager
def running_processes(env: dict[str, str], log_dir: Path, ready_timeout: float = 90) -> Iterator[dict[str, str]]:
    """Yields the services' base URLs; stops every child on exit (killing any that hang)."""
    with running_stack(env, log_dir, ready_timeout) as stack:
        yield stack.urls


def processes_with_env(name: str, value: str) -> list[int]:
    """Ids of this user's processes whose environment has name=value (a test's data dir, say): what a
    test started, however deep, and whatever became of its parents."""
    wanted = f"{name}={value}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            environ = (entry / "environ").read_bytes()
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:  # gone meanwhile, or another user's
            continue
        if state != "Z" and wanted in environ.split(b"\0"):
            found.append(int(entry.name))
    return found
