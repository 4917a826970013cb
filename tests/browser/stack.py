"""The whole system as processes for the browser tests: services, relays and consumers (as in
tests/e2e), with the demo program (tienphong/demo.py) loaded through the public API."""

from __future__ import annotations

import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests

from shared.auth import AccessStore
from shared.config import from_env
from shared.db import make_engine
from tests.support.processes import running_processes

PASSWORD = "mat-khau-thu-nghiem-2017"
USERS = {"lanh-dao-tinh": "TH", "huyen-doan-tho-xuan": "TX"}  # username: scope, both viewers


@dataclass
class Stack:
    urls: dict[str, str]
    env: dict[str, str]
    access: AccessStore
    keys: dict[str, str] = field(default_factory=dict)

    @property
    def base(self) -> str:
        return self.urls["reporting"]

    def auth(self, name: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.keys[name]}"}

    def get(self, path: str, **params: str) -> Any:
        reply = requests.get(f"{self.base}/api/v1/{path}", params=params, headers=self.auth("viewer"), timeout=30)
        assert reply.status_code == 200, reply.text
        return reply.json()

    def settle(self, timeout: float = 60) -> int:
        """Wait until the read model has applied everything in Kafka; returns events_applied."""
        deadline = time.monotonic() + timeout
        last = -1
        while time.monotonic() < deadline:
            projection = self.get("projection")
            if projection["lag"] == 0 and projection["events_applied"] == last and not projection["kafka_error"]:
                return int(last)
            last = projection["events_applied"]
            time.sleep(0.5)
        raise AssertionError("the reporting read model did not catch up")


def load_demo(stack: Stack) -> None:
    """The demo program of tienphong/demo.py, posted to this stack. Its agencies' keys are made in the
    access database and data dir that the environment names, so the environment points here meanwhile."""
    from tienphong import demo

    with pytest.MonkeyPatch.context() as patch:
        for name, value in stack.env.items():
            patch.setenv(name, value)
        demo.load_full(seed=2017, urls=stack.urls, progress=False, report=lambda _: None)


def registration(name: str, commune: str, registered_on: str, model: str, birth_date: str = "1994-05-06",
                 gender: str = "female") -> dict[str, Any]:
    phone = f"09{zlib.crc32(name.encode()) % 10**8:08d}"  # one per person: a shared one is a likely duplicate
    return {"full_name": name, "birth_date": birth_date, "gender": gender, "phone": phone,
            "org_unit": commune, "branch_name": "Chi đoàn thôn 3", "branch_kind": "residential",
            "model_name": model, "has_existing_model": False, "registered_on": registered_on}


@contextmanager
def running_stack(env: dict[str, str], log_dir: Path) -> Iterator[Stack]:
    with running_processes(env, log_dir) as urls:
        access = AccessStore(make_engine(from_env("access", env).access_url))
        stack = Stack(urls, env, access)
        for name, kind in (("viewer", "viewer"), ("union", "union")):  # to compare figures; to post live
            stack.keys[name] = access.create_key("tinh-doan-thanh-hoa", kind, "TH", f"browser tests {name}")[1]
        for username, scope in USERS.items():
            access.create_user(username, PASSWORD, scope, "viewer")
        load_demo(stack)
        stack.settle()
        yield stack
