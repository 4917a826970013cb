"""`tienphong run` supervises (issue 28): a child killed with -9 is started again, the others run on, and
every write accepted before and after reaches the summary exactly; SIGTERM then stops everything."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import requests

from shared.auth import AccessStore
from shared.config import from_env
from shared.db import make_engine
from shared.supervision import alive, read_status
from tests.support.broker import free_port
from tests.support.processes import processes_with_env
from tests.support.system import registration_body
from tienphong.supervisor import PROCESSES, wait_ready


def _until(condition: Any, timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := condition():
            return value
        time.sleep(0.2)
    raise AssertionError(f"{what} not within {timeout:.0f}s")


class Ledger:
    """What the services accepted (201), against which the summary is checked."""

    def __init__(self, urls: dict[str, str], union: dict[str, str]) -> None:
        self.urls, self.union = urls, union
        self.registered = self.selected = 0

    def write(self, count: int) -> None:
        for n in range(count):
            reply = requests.post(f"{self.urls['registration']}/api/v1/participants", headers=self.union,
                                  json=registration_body(full_name=f"Người {self.registered}"), timeout=30)
            assert reply.status_code == 201, reply.text
            self.registered += 1
            if n % 2:
                continue
            reply = requests.post(
                f"{self.urls['registration']}/api/v1/participants/{reply.json()['participant_id']}/decisions",
                json={"decision": "selected", "sector": "livestock", "decided_on": "2017-06-30"},
                headers=self.union, timeout=30)
            assert reply.status_code == 201, reply.text
            self.selected += 1


def _totals(urls: dict[str, str], viewer: dict[str, str], ledger: Ledger) -> dict[str, int] | None:
    """The summary's totals once they reach the ledger; never beyond it (a double count)."""
    reply = requests.get(f"{urls['reporting']}/api/v1/summary/TH?as_of=2018-12-31", headers=viewer, timeout=10)
    assert reply.status_code == 200, reply.text
    totals: dict[str, int] = reply.json()["totals"]
    assert totals["registered"] <= ledger.registered and totals["selected"] <= ledger.selected, totals
    return totals if (totals["registered"], totals["selected"]) == (ledger.registered, ledger.selected) else None


def _children(data_dir: Path) -> dict[str, dict[str, Any]]:
    status = read_status(data_dir)
    return dict(status["children"]) if status else {}


def test_a_killed_child_is_restarted_and_sigterm_stops_everything(env: dict[str, str], tmp_path: Path) -> None:
    ports = {service: free_port() for service in ("registration", "support", "reporting")}
    env = env | {f"TIENPHONG_{service.upper()}_PORT": str(port) for service, port in ports.items()}
    env["TIENPHONG_GATEWAY_PORT"] = str(free_port())  # never the default 8000 a `make dev` may hold
    urls = {service: f"http://127.0.0.1:{port}" for service, port in ports.items()}
    log_path = tmp_path / "supervisor.log"
    with open(log_path, "wb") as log:
        supervisor = subprocess.Popen([sys.executable, "-m", "tienphong.cli", "run", "--no-demo"],
                                      env=os.environ | env, stdout=log, stderr=subprocess.STDOUT)
    try:
        for service, url in urls.items():
            assert wait_ready(f"{url}/readyz", 120), f"{service} not ready:\n{log_path.read_text()}"
        access = AccessStore(make_engine(from_env("access", env).access_url))
        union = {"Authorization": f"Bearer {access.create_key('huyen-doan-tho-xuan', 'union', 'TX')[1]}"}
        viewer = {"Authorization": f"Bearer {access.create_key('tinh-doan', 'viewer', 'TH')[1]}"}
        ledger = Ledger(urls, union)
        ledger.write(3)
        _until(lambda: _totals(urls, viewer, ledger), 120, "the first writes on the summary")
        before = _children(tmp_path)
        assert set(before) == {name for name, _ in PROCESSES}
        assert all(child["state"] == "running" and alive(child["pid"]) for child in before.values()), before

        ledger.write(2)  # in flight while the consumer dies
        victim = before["consumer-reporting"]["pid"]
        os.kill(victim, signal.SIGKILL)
        ledger.write(3)  # accepted while it is down or starting again
        after = _until(lambda: (c := _children(tmp_path))["consumer-reporting"]["restarts"] == 1
                       and c["consumer-reporting"]["state"] == "running" and c, 60, "the restart")
        assert after["consumer-reporting"]["pid"] != victim and alive(after["consumer-reporting"]["pid"])
        assert after["consumer-reporting"]["last_exit"] == "signal SIGKILL"
        for name, child in before.items():
            if name != "consumer-reporting":  # the others ran on, untouched
                assert after[name]["pid"] == child["pid"] and after[name]["restarts"] == 0 and alive(child["pid"])
        logged = log_path.read_text()
        assert f"consumer-reporting (pid {victim}) exited with signal SIGKILL" in logged and "restart 1 in" in logged
        metrics = requests.get(f"{urls['registration']}/metrics", timeout=10).text
        assert 'tienphong_process_restarts_total{process="consumer-reporting"} 1.0' in metrics
        assert 'tienphong_process_restarts_total{process="consumer-support"} 0.0' in metrics
        assert 'tienphong_process_up{process="consumer-reporting"} 1.0' in metrics

        totals = _until(lambda: _totals(urls, viewer, ledger), 120, "every accepted write on the summary")
        assert (totals["registered"], totals["selected"]) == (8, 5)
        projection = requests.get(f"{urls['reporting']}/api/v1/projection", headers=viewer, timeout=10).json()
        assert projection["events_applied"] == ledger.registered + ledger.selected and projection["lag"] == 0

        supervisor.send_signal(signal.SIGTERM)
        assert supervisor.wait(timeout=90) == 0, log_path.read_text()
        assert read_status(tmp_path)["state"] == "stopped"  # type: ignore[index]
        assert not any(alive(child["pid"]) for child in (*before.values(), *after.values()))
        assert processes_with_env("TIENPHONG_DATA_DIR", str(tmp_path)) == []
    finally:
        if supervisor.poll() is None:
            supervisor.kill()  # its children follow it (SIGTERM from the kernel, see follow_supervisor)
            supervisor.wait()
        for pid in processes_with_env("TIENPHONG_DATA_DIR", str(tmp_path)):
            os.kill(pid, signal.SIGKILL)  # so a failed run leaves nothing behind


def test_children_do_not_outlive_a_supervisor_killed_with_9(env: dict[str, str], tmp_path: Path) -> None:
    env = env | {f"TIENPHONG_{service.upper()}_PORT": str(free_port())
                 for service in ("registration", "support", "reporting", "gateway")}
    with open(tmp_path / "supervisor.log", "wb") as log:
        supervisor = subprocess.Popen([sys.executable, "-m", "tienphong.cli", "run", "--no-demo"],
                                      env=os.environ | env, stdout=log, stderr=subprocess.STDOUT)
    try:
        running = _until(lambda: len(c := _children(tmp_path)) == len(PROCESSES)
                         and all(alive(child["pid"]) for child in c.values()) and c, 120, "every child")
        supervisor.kill()
        supervisor.wait()
        # each child gets SIGTERM from the kernel (follow_supervisor) and stops as if asked
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            left = processes_with_env("TIENPHONG_DATA_DIR", str(tmp_path))
            children_left = [child["pid"] for child in running.values() if alive(child["pid"])]
            if not left and not children_left:
                break
            time.sleep(0.2)
        assert not left, [Path(f"/proc/{pid}/cmdline").read_bytes() for pid in left]
        assert not children_left
    finally:
        for pid in processes_with_env("TIENPHONG_DATA_DIR", str(tmp_path)):
            os.kill(pid, signal.SIGKILL)
