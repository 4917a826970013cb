"""`tienphong serve` with several gunicorn workers, as real processes: /metrics counts every worker's
requests, the per-key budget is the service's, the control socket lives in the data directory, and a
master killed with -9 takes its workers with it, so a new master binds the same port."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import requests

from shared.auth import AccessStore
from shared.config import from_env
from shared.db import make_engine
from tests.support.broker import free_port
from tienphong.supervisor import wait_ready

WORKERS = 2


def children(pid: int) -> list[int]:
    try:
        listed = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except FileNotFoundError:
        return []
    return [int(child) for child in listed.split()]


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"  # a zombie has exited; only its parent's wait is missing


@contextmanager
def serve(env: dict[str, str], port: int, log: Path) -> Iterator[subprocess.Popen[bytes]]:
    with open(log, "ab") as out:
        master = subprocess.Popen([sys.executable, "-m", "tienphong.cli", "serve", "registration"],
                                  env=os.environ | env | {"PORT": str(port), "WEB_CONCURRENCY": str(WORKERS)},
                                  stdout=out, stderr=subprocess.STDOUT)
    try:
        assert wait_ready(f"http://127.0.0.1:{port}/healthz", 60), log.read_text()
        deadline = time.monotonic() + 30
        while len(children(master.pid)) < WORKERS and time.monotonic() < deadline:
            time.sleep(0.2)
        yield master
    finally:
        if master.poll() is None:
            master.terminate()
        master.wait(timeout=30)


def counted(metrics: str, endpoint: str) -> float:
    pattern = re.compile(r'^http_requests_total\{(?=[^}]*endpoint="' + re.escape(endpoint) + r'")[^}]*\} (\S+)$',
                         re.M)
    return sum(float(value) for value in pattern.findall(metrics))


def test_workers_share_metrics_and_budget_and_die_with_their_master(env: dict[str, str], tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    env = env | {"HOME": str(home), "TIENPHONG_RATE_LIMIT_PER_MINUTE": "60"}  # a burst of 10, 1 a second
    port = free_port()
    log = tmp_path / "registration.log"
    with serve(env, port, log) as master:
        workers = children(master.pid)
        assert len(workers) == WORKERS, log.read_text()
        base = f"http://127.0.0.1:{port}"
        assert (tmp_path / "run" / f"registration-{port}" / "gunicorn.ctl").exists()
        assert not (home / ".gunicorn").exists()

        access = AccessStore(make_engine(from_env("access", env).access_url))
        _, token = access.create_key("huyen-doan-tho-xuan", "union", "TX")
        headers = {"Authorization": f"Bearer {token}"}
        started = time.monotonic()
        # new connections from 6 threads: both workers answer some of them
        with ThreadPoolExecutor(6) as pool:
            answers = list(pool.map(lambda _: requests.get(f"{base}/api/v1/participants?org_unit=TX",
                                                           headers=headers, timeout=10).status_code, range(40)))
        elapsed = time.monotonic() - started
        assert set(answers) <= {200, 429}
        # the burst, plus the tokens refilled meanwhile: never a burst per worker
        assert 10 <= answers.count(200) <= 10 + int(elapsed) + 1, (answers.count(200), elapsed)

        scrapes = [counted(requests.get(f"{base}/metrics", timeout=10).text, "/api/v1/participants")
                   for _ in range(6)]
        assert scrapes == [40.0] * 6  # every scrape, whichever worker answers it

        master.send_signal(signal.SIGKILL)
        master.wait(timeout=10)
        deadline = time.monotonic() + 10
        while any(alive(pid) for pid in workers) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not any(alive(pid) for pid in workers)

    with serve(env, port, log) as again:  # the same port, at once: no "Connection in use"
        assert requests.get(f"http://127.0.0.1:{port}/healthz", timeout=10).status_code == 200
        assert len(children(again.pid)) == WORKERS
    assert "Connection in use" not in log.read_text()
