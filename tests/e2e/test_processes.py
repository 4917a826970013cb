"""The three services, two relays and two consumers as real processes (gunicorn), HTTP in, summary out."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from shared.auth import AccessStore
from shared.config import from_env
from shared.db import make_engine
from tests.support.processes import running_processes
from tests.support.system import registration_body


@pytest.fixture
def running(env: dict[str, str], tmp_path: Path) -> Iterator[dict[str, str]]:
    with running_processes(env, tmp_path) as urls:
        yield urls


def test_registration_flows_through_kafka_to_the_summary(running: dict[str, str], env: dict[str, str]) -> None:
    access = AccessStore(make_engine(from_env("access", env).access_url))
    _, union = access.create_key("huyen-doan-tho-xuan", "union", "TX")
    _, bank = access.create_key("nhcsxh-thanh-hoa", "bank", "TH")
    _, viewer = access.create_key("tinh-doan", "viewer", "TH")

    def auth(token: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"}

    reply = requests.post(f"{running['registration']}/api/v1/participants", json=registration_body(),
                          headers=auth(union), timeout=10)
    assert reply.status_code == 201, reply.text
    participant_id = reply.json()["participant_id"]
    reply = requests.post(f"{running['registration']}/api/v1/participants/{participant_id}/decisions",
                          json={"decision": "selected", "sector": "livestock", "decided_on": "2017-06-30"},
                          headers=auth(union), timeout=10)
    assert reply.status_code == 201, reply.text
    # support learns of the selection from Kafka only; it answers once its view has caught up
    for _ in range(30):  # 404 until it learned of the registration, 409 until of the selection
        reply = requests.post(f"{running['support']}/api/v1/participants/{participant_id}/fundings",
                              json={"disbursed_on": "2017-08-01", "source": "vbsp", "amount_vnd": 50_000_000},
                              headers=auth(bank), timeout=10)
        if reply.status_code not in (404, 409) or "Retry-After" not in reply.headers:
            break
        time.sleep(1)
    assert reply.status_code == 201, reply.text

    deadline = time.monotonic() + 30
    totals: dict[str, int] = {}
    while time.monotonic() < deadline:
        summary = requests.get(f"{running['reporting']}/api/v1/summary/TH?as_of=2018-12-31",
                               headers=auth(viewer), timeout=10)
        assert summary.status_code == 200, summary.text
        totals = summary.json()["totals"]
        if totals["funding_vnd"]:
            break
        time.sleep(0.2)
    assert totals["registered"] == 1 and totals["selected"] == 1
    assert totals["funded"] == 1 and totals["funding_vnd"] == 50_000_000
    projection = requests.get(f"{running['reporting']}/api/v1/projection", headers=auth(viewer), timeout=10).json()
    assert projection["events_applied"] == 3 and projection["lag"] == 0
    for base in running.values():
        assert requests.get(f"{base}/metrics", timeout=5).status_code == 200
        assert requests.get(f"{base}/api/v1/openapi.json", timeout=5).json()["openapi"].startswith("3.")
