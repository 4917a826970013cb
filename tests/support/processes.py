"""Every process of `tienphong run` (tienphong/supervisor.py) as real children, on free ports."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.support.broker import free_port
from tienphong.supervisor import PROCESSES, wait_ready


@contextmanager
def running_processes(env: dict[str, str], log_dir: Path, ready_timeout: float = 90) -> Iterator[dict[str, str]]:
    """Yields the services' base URLs; stops every child on exit (killing any that hang)."""
    ports = {"registration": free_port(), "support": free_port(), "reporting": free_port()}
    subprocess.run([sys.executable, "-m", "tienphong.cli", "migrate"], env=os.environ | env, check=True,
                   stdout=subprocess.DEVNULL)
    children: list[subprocess.Popen[bytes]] = []
    logs = []
    try:
        for name, argv in PROCESSES:
            process_env = os.environ | env
            if argv[0] == "serve":
                process_env["PORT"] = str(ports[argv[1]])
            log = open(log_dir / f"{name}.log", "wb")  # noqa: SIM115 - closed below
            logs.append(log)
            children.append(subprocess.Popen([sys.executable, "-m", "tienphong.cli", *argv], env=process_env,
                                             stdout=log, stderr=subprocess.STDOUT))
        for service, port in ports.items():
            ready = wait_ready(f"http://127.0.0.1:{port}/readyz", ready_timeout)
            assert ready, (log_dir / f"{service}.log").read_text()
        yield {service: f"http://127.0.0.1:{port}" for service, port in ports.items()}
    finally:
        for child in children:
            child.terminate()
        for child in children:
            try:
                child.wait(timeout=20)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
        for log in logs:
            log.close()


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
