"""The running system bench/write_peers.py posts to: every process of `tienphong run` on free ports, real keys,
participants registered and selected through the API, and an event -> summary freshness probe."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from pathlib import Path

import requests
from sqlalchemy import func, select

from services.support.store import known_participants
from shared.auth import AccessStore
from shared.config import from_env
from shared.db import make_engine
from tests.support.processes import running_processes
from tests.support.system import registration_body

PROBE_UNIT = "YD-DINHTAN"  # the freshness probe's own commune: no other POST changes its summary


class Stack:
    def __init__(self, data_dir: Path, bootstrap: str, template: str | None, workers: int, threads: int,
                 checkout: Path | None = None) -> None:
        data_dir.mkdir(parents=True, exist_ok=True)
        self.env = {"TIENPHONG_DATA_DIR": str(data_dir), "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
                    "TIENPHONG_TOPIC_PREFIX": "wb" + uuid.uuid4().hex[:10], "TIENPHONG_TOPIC_PARTITIONS": "6",
                    "TIENPHONG_RATE_LIMIT_PER_MINUTE": "1000000000", "TIENPHONG_LOG_LEVEL": "WARNING",
                    "WEB_CONCURRENCY": str(workers), "GUNICORN_THREADS": str(threads)}
        if template:
            self.env["DATABASE_URL"] = template
        if checkout is not None:  # another checkout's processes, with the number of workers it chooses itself
            self.env["PYTHONPATH"] = str(checkout)
            del self.env["WEB_CONCURRENCY"]
        self.data_dir = data_dir
        self._stack = ExitStack()
        self.urls: dict[str, str] = {}

    def __enter__(self) -> Stack:
        self.urls = self._stack.enter_context(running_processes(self.env, self.data_dir))
        access = AccessStore(make_engine(from_env("access", self.env).access_url))
        self.union_token = access.create_key("huyen-doan", "union", "TH")[1]
        self.bank_token = access.create_key("nhcsxh-thanh-hoa", "bank", "TH")[1]
        self.viewer_token = access.create_key("tinh-doan", "viewer", "TH")[1]
        return self

    def __exit__(self, *exc: object) -> None:
        self._stack.close()

    def session(self, token: str) -> requests.Session:
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {token}"
        return session

    def register_selected(self, session: requests.Session, number: int, org_unit: str) -> str:
        base = self.urls["registration"]
        reply = session.post(f"{base}/api/v1/participants", timeout=30, json=registration_body(
            full_name=f"Đoàn viên {number}", phone=f"09{number:08d}", org_unit=org_unit))
        reply.raise_for_status()
        participant_id: str = reply.json()["participant_id"]
        session.post(f"{base}/api/v1/participants/{participant_id}/decisions", timeout=30, json={
            "decision": "selected", "sector": "livestock", "decided_on": "2017-06-30"}).raise_for_status()
        return participant_id

    def selected_participants(self, count: int) -> list[str]:
        sessions = threading.local()

        def one(number: int) -> str:
            if not hasattr(sessions, "s"):
                sessions.s = self.session(self.union_token)
            return self.register_selected(sessions.s, number, "TX-XUANHOA")

        with ThreadPoolExecutor(8) as pool:
            return list(pool.map(one, range(count)))


def participants_ready(system: Stack, ids: list[str], timeout: float = 120) -> None:
    """Until support's consumer has learned every selection (the POSTs would be 409 not_selected before)."""
    engine = make_engine(from_env("support", system.env).database_url)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with engine.connect() as conn:
            known = conn.execute(select(func.count()).select_from(known_participants)
                                 .where(known_participants.c.status == "selected")).scalar_one()
        if known >= len(ids):
            return
        time.sleep(0.2)
    raise RuntimeError(f"support learned {known} of {len(ids)} selections in {timeout}s")


@contextmanager
def freshness(system: Stack) -> Iterator[list[float]]:
    """Meanwhile, one funding every 0.2 s for a participant of its own commune, and the milliseconds from its
    201 to the reporting summary showing it; the samples are filled in when the block ends."""
    samples: list[float] = []
    stop = threading.Event()
    union = system.session(system.union_token)
    probe = system.register_selected(union, 99_999_999, PROBE_UNIT)
    bank, viewer = system.session(system.bank_token), system.session(system.viewer_token)
    summary_url = f"{system.urls['reporting']}/api/v1/summary/{PROBE_UNIT}?as_of=2018-12-31"

    def funded() -> int:
        return int(viewer.get(summary_url, timeout=30).json()["totals"]["funding_vnd"])

    def run() -> None:
        expected = funded()
        amount = 1_000_000
        while not stop.is_set():
            reply = bank.post(f"{system.urls['support']}/api/v1/participants/{probe}/fundings", timeout=30,
                              json={"disbursed_on": "2017-08-01", "source": "vbsp", "amount_vnd": amount})
            if reply.status_code != 201:  # the selection not yet known to support
                time.sleep(0.2)
                continue
            posted = time.perf_counter()
            expected += amount
            while funded() < expected and time.perf_counter() - posted < 60:
                time.sleep(0.005)
            samples.append((time.perf_counter() - posted) * 1000)
            stop.wait(0.2)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        yield samples
    finally:
        stop.set()
        thread.join(timeout=90)
