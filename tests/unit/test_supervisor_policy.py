"""The supervisor's restart and stop policy (tienphong/supervisor.py), on real short-lived processes in
place of the system's children: backoff doubling to its cap and starting over after a stable run; stopping
stage by stage, stragglers and what they started killed."""

from __future__ import annotations

import logging
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from shared.supervision import alive, read_status
from tienphong.supervisor import Child, Supervisor


@dataclass
class Scripted(Child):
    script: str = ""

    @property
    def command(self) -> list[str]:
        return [sys.executable, "-c", self.script]


def _delays(supervisor: Supervisor, child: Child, exits: int) -> list[float]:
    seen: list[float] = []
    deadline = time.monotonic() + 60
    while len(seen) < exits and time.monotonic() < deadline:
        restarts = child.restarts
        supervisor.tick()
        if child.restarts > restarts:
            seen.append(child.delay)
        time.sleep(0.01)
    return seen


def test_quick_exits_double_the_delay_up_to_the_cap_and_a_stable_run_starts_over(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    # No bound on how long a run takes is assumed (the machine may be slow): the crashing child never runs
    # an hour, the steady one always runs longer than stable_seconds.
    crashing = Scripted("crashing", ["relay"], {}, script="raise SystemExit(3)")
    supervisor = Supervisor([crashing], tmp_path, first_delay=0.05, max_delay=0.2, stable_seconds=3600)
    caplog.set_level(logging.INFO, "tienphong.supervisor")
    supervisor.start_all()
    try:
        assert _delays(supervisor, crashing, 5) == [0.05, 0.1, 0.2, 0.2, 0.2]
    finally:
        supervisor.stop()
    steady = Scripted("steady", ["consume"], {}, script="import time; time.sleep(0.5)")
    steady_supervisor = Supervisor([steady], tmp_path / "steady", first_delay=0.05, max_delay=0.2,
                                   stable_seconds=0.3)
    steady_supervisor.start_all()
    try:
        assert _delays(steady_supervisor, steady, 3) == [0.05, 0.05, 0.05]  # each run outlasted stable_seconds
    finally:
        steady_supervisor.stop()
    assert "crashing (pid" in caplog.text and "exited with exit code 3" in caplog.text
    assert "restart 5 in 0.2s" in caplog.text and "crashing started again" in caplog.text
    status = read_status(tmp_path)
    assert status is not None and status["state"] == "stopped"
    assert status["children"]["crashing"]["restarts"] >= 5
    assert status["children"]["crashing"]["last_exit"] == "exit code 3"


def _on_term(name: str, log: Path, ready: Path, exit_on_term: bool = True, grandchild: Path | None = None) -> str:
    lines = ["import signal, subprocess, sys, time, pathlib"]
    if grandchild:
        lines.append(f"pathlib.Path({str(grandchild)!r}).write_text(str(subprocess.Popen(['sleep', '60']).pid))")
    if exit_on_term:
        lines.append(f"def stop(*_):\n    open({str(log)!r}, 'a').write({name!r} + '\\n'); sys.exit(0)")
        lines.append("signal.signal(signal.SIGTERM, stop)")
    else:
        lines.append("signal.signal(signal.SIGTERM, signal.SIG_IGN)")
    lines.append(f"pathlib.Path({str(ready)!r}).touch()")
    lines.append("time.sleep(60)")
    return "\n".join(lines)


def test_stop_goes_stage_by_stage_and_kills_stragglers_with_their_descendants(tmp_path: Path) -> None:
    log, grandchild = tmp_path / "stopped.txt", tmp_path / "grandchild.pid"
    specs = [("serve", "serve", True), ("relay", "relay", True), ("consume", "consume", True),
             ("straggler", "consume", False)]
    children = [Scripted(name, [stage], {}, script=_on_term(name, log, tmp_path / f"{name}.ready", polite,
                                                           grandchild if name == "straggler" else None))
                for name, stage, polite in specs]
    # polite children have 10 s to stop, however loaded the machine; the straggler is killed after them
    supervisor = Supervisor(children[::-1], tmp_path, stop_grace=10.0)  # started in any order
    supervisor.start_all()
    processes = {child.name: child.process for child in children}
    deadline = time.monotonic() + 30
    while not all((tmp_path / f"{name}.ready").exists() for name, *_ in specs) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert grandchild.exists()
    grandchild_pid = int(grandchild.read_text())
    supervisor.stop()
    assert log.read_text().split() == ["serve", "relay", "consume"]
    assert {name: p.returncode for name, p in processes.items() if p is not None} == {
        "serve": 0, "relay": 0, "consume": 0, "straggler": -9}
    assert not alive(grandchild_pid)


def test_a_ctrl_c_that_arrives_twice_at_once_is_one_request(tmp_path: Path) -> None:
    """`make dev`: the terminal's SIGINT and scripts/dev.sh's SIGTERM arrive together; that is one request to
    stop in order, not the second one that kills everything at once."""
    supervisor = Supervisor([], tmp_path)
    supervisor.request_stop()
    supervisor.request_stop()
    assert supervisor.stop_requests == 1
    time.sleep(1.1)
    supervisor.request_stop()  # a second Ctrl-C, later: kill what is left
    assert supervisor.stop_requests == 2
