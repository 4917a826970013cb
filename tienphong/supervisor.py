"""`tienphong run`: the three services, two relays and two consumers as supervised child processes of one
foreground command. A child that exits, whatever the cause, is started again after a backoff; everything
stops only when asked (SIGTERM, or Ctrl-C), children in order, stragglers killed."""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests

from shared.config import SERVICE_PORTS, from_env, service_port
from shared.supervision import RUNNING, write_status
from tienphong.gateway import gateway_port

PROCESSES = [
    ("registration", ["serve", "registration"]),
    ("support", ["serve", "support"]),
    ("reporting", ["serve", "reporting"]),
    ("gateway", ["gateway"]),  # one address for people in front of the three (tienphong/gateway.py)
    ("relay-registration", ["relay", "registration"]),
    ("relay-support", ["relay", "support"]),
    ("consumer-reporting", ["consume", "reporting"]),
    ("consumer-support", ["consume", "support"]),
]
# Stopped in this order: the services first, so no write is accepted that a relay stopped before it would
# leave in the outbox until the next start; then the relays; the consumers last.
STOP_ORDER = ("gateway", "serve", "relay", "consume")
# A child that exits is started again after FIRST_DELAY, doubling at each quick exit up to MAX_DELAY (a
# child failing at once, e.g. on a bad setting, then costs a start every 30 s, not a busy loop); one that
# ran STABLE_SECONDS before exiting starts over at FIRST_DELAY.
FIRST_DELAY, MAX_DELAY, STABLE_SECONDS = 0.5, 30.0, 60.0
# Per stage of stopping, before its stragglers are killed: gunicorn's own graceful_timeout is 10 s.
STOP_GRACE = 15.0
TICK = 0.2
log = logging.getLogger("tienphong.supervisor")


def wait_ready(url: str, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if probe(url):
            return True
        time.sleep(0.3)
    return False


def probe(url: str) -> bool:
    try:
        return requests.get(url, timeout=2).status_code == 200
    except requests.RequestException:
        return False


def describe_exit(returncode: int) -> str:
    if returncode < 0:
        try:
            return f"signal {signal.Signals(-returncode).name}"
        except ValueError:
            return f"signal {-returncode}"
    return f"exit code {returncode}"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass
class Child:
    name: str
    argv: list[str]
    env: dict[str, str]
    process: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0
    restarts: int = 0
    delay: float = 0.0  # the backoff of the last restart (0: none yet, or reset after a stable run)
    start_due: float | None = None  # while waiting to be started again: when (monotonic)
    facts: dict[str, Any] = field(default_factory=dict)  # for the status file

    @property
    def stage(self) -> str:
        return self.argv[0]

    @property
    def command(self) -> list[str]:
        return [sys.executable, "-m", "tienphong.cli", *self.argv]


class Supervisor:
    def __init__(self, children: list[Child], data_dir: Path, stop_grace: float = STOP_GRACE,
                 first_delay: float = FIRST_DELAY, max_delay: float = MAX_DELAY,
                 stable_seconds: float = STABLE_SECONDS) -> None:
        self.children = children
        self.data_dir = data_dir
        self.stop_grace = stop_grace
        self.first_delay, self.max_delay, self.stable_seconds = first_delay, max_delay, stable_seconds
        self.state = RUNNING
        self.stop_requests = 0
        self._requested_at = 0.0

    def request_stop(self, *_: object) -> None:
        """A second request while stopping kills what is left at once. Requests within a second of each other
        are one: a Ctrl-C in `make dev` reaches this process both from the terminal (SIGINT) and from
        scripts/dev.sh (SIGTERM), which stopped everything at once instead of in order."""
        now = time.monotonic()
        if now - self._requested_at >= 1.0:
            self.stop_requests += 1
        self._requested_at = now

    def start_all(self) -> None:
        for child in self.children:
            self._start(child)
        self.write_status()

    def _start(self, child: Child) -> None:
        # Each child in a session of its own: a Ctrl-C on the terminal reaches the supervisor only, which
        # stops the children in order, and a dead child's descendants (gunicorn's workers) can be ended as
        # one process group.
        child.process = subprocess.Popen(child.command, env=child.env, start_new_session=True)
        child.started_at, child.start_due = time.monotonic(), None
        child.facts.update(pid=child.process.pid, state=RUNNING, started_at=_now())

    def tick(self) -> None:
        """Notes the children that exited and starts those whose backoff is over."""
        changed = False
        now = time.monotonic()
        for child in self.children:
            if child.process is not None and child.process.poll() is not None:
                self._exited(child, child.process, now)
                changed = True
            elif child.start_due is not None and now >= child.start_due and not self.stop_requests:
                self._start(child)
                log.info("%s started again (pid %s, restart %d)", child.name, child.facts["pid"], child.restarts)
                changed = True
        if changed:
            self.write_status()

    def _exited(self, child: Child, process: subprocess.Popen[bytes], now: float) -> None:
        ran = now - child.started_at
        _end_group(process.pid)  # whatever the dead child left behind (a worker holding its port)
        child.process = None
        child.restarts += 1
        if ran >= self.stable_seconds or not child.delay:
            child.delay = self.first_delay
        else:
            child.delay = min(child.delay * 2, self.max_delay)
        child.start_due = now + child.delay
        exit_text = describe_exit(process.returncode)
        child.facts.update(pid=None, state="backoff", restarts=child.restarts, last_exit=exit_text,
                           last_exit_at=_now(), next_start_in=child.delay)
        log.warning("%s (pid %s) exited with %s after %.1fs; restart %d in %.1fs", child.name, process.pid,
                    exit_text, ran, child.restarts, child.delay)

    def write_status(self) -> None:
        write_status(self.data_dir, {
            "pid": os.getpid(), "state": self.state, "updated_at": _now(),
            "children": {c.name: {"restarts": c.restarts, **c.facts} for c in self.children}})

    def stop(self) -> None:
        """Stage by stage (STOP_ORDER): SIGTERM, up to `stop_grace` seconds, then SIGKILL to what is left,
        each child's process group included."""
        self.state = "stopping"
        self.write_status()
        for stage in STOP_ORDER:
            running = [(c.name, c.process) for c in self.children if c.stage == stage and c.process is not None]
            for _, process in running:
                process.send_signal(signal.SIGTERM)  # nothing if it has exited meanwhile
            deadline = time.monotonic() + self.stop_grace
            while any(process.poll() is None for _, process in running):
                if time.monotonic() >= deadline or self.stop_requests > 1:
                    break
                time.sleep(0.1)
            for name, process in running:
                if process.poll() is None:
                    log.warning("%s (pid %s) still running after SIGTERM; killing it", name, process.pid)
                    _end_group(process.pid)
                    process.wait()
                _end_group(process.pid)
        for child in self.children:
            child.process, child.start_due = None, None
            child.facts.update(pid=None, state="stopped")
        self.state = "stopped"
        self.write_status()


def _end_group(pid: int) -> None:
    """SIGKILL to a child's process group (it leads one, see Supervisor._start); nothing if it is empty."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


def children(env: dict[str, str]) -> list[Child]:
    made = []
    for name, argv in PROCESSES:
        child_env = env | {"TIENPHONG_CONSUMER_INSTANCE": name, "TIENPHONG_SUPERVISOR_PID": str(os.getpid())}
        if argv[0] == "serve":
            child_env["PORT"] = str(service_port(argv[1], env))
        elif argv[0] == "gateway":
            child_env["PORT"] = str(gateway_port(env))
        made.append(Child(name, argv, child_env))
    return made


def _welcome(with_demo: bool, supervisor: Supervisor) -> None:
    """Waits for the services, loads the demo once, prints where things are (in a thread: the supervisor
    keeps restarting children meanwhile)."""
    ports = {service: service_port(service) for service in SERVICE_PORTS}
    waiting = dict(ports)
    started = time.monotonic()
    warned = False
    while waiting and not supervisor.stop_requests:
        waiting = {s: p for s, p in waiting.items() if not probe(f"http://127.0.0.1:{p}/readyz")}
        if waiting and not warned and time.monotonic() - started > 60:
            log.warning("not ready after 60s: %s; still waiting", ", ".join(sorted(waiting)))
            warned = True
        time.sleep(0.3)
    if supervisor.stop_requests:
        return
    if with_demo:
        from tienphong.demo import load_for_dev
        load_for_dev()  # the full 2017-2018 program (seed 2017), once per data dir
    print("\nTiên Phong is running:")
    print(f"  OPEN THIS     http://127.0.0.1:{gateway_port()}/  (one address: forms and dashboards; "
          "docs/forms.md)")
    for service, port in ports.items():
        print(f"  {service:13s} http://127.0.0.1:{port}/api/v1/openapi.json")
    print(f"  summary       http://127.0.0.1:{ports['reporting']}/api/v1/summary/TX  (Authorization: Bearer <key>)")
    print("  demo keys     data/demo-keys.json")
    if with_demo:
        from tienphong.demo import demo_account
        username, password = demo_account()
        print(f"  dashboard     http://127.0.0.1:{gateway_port()}/dashboard/TX  "
              f"(sign in as {username} / {password})")
        from tienphong.demo_access import demo_writers
        print(f"  forms         sign in at the address above as {', '.join(demo_writers())} "
              f"(same password)")
    print("Ctrl-C stops everything.", flush=True)


def run_all(with_demo: bool = True) -> int:
    from shared.logging import setup
    from tienphong import workers

    config = from_env("registration")
    setup(config.log_level)
    # the topics are the relays' and consumers' to create, once the broker answers: waiting for it here
    # would start nothing while it is away
    workers.migrate_all()  # once, before the processes start
    supervisor = Supervisor(children(dict(os.environ)), config.data_dir)
    signal.signal(signal.SIGTERM, supervisor.request_stop)
    signal.signal(signal.SIGINT, supervisor.request_stop)
    try:
        supervisor.start_all()
        threading.Thread(target=_welcome, args=(with_demo, supervisor), daemon=True).start()
        while not supervisor.stop_requests:
            supervisor.tick()
            time.sleep(TICK)
        log.info("stopping every process")
    finally:
        supervisor.stop()
    return 0
