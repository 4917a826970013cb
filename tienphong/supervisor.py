"""`tienphong run`: the three services, two relays and two consumers as child processes of one
foreground command; a signal or any child's exit stops them all, so nothing is left behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import requests

from shared.config import SERVICE_PORTS, from_env

PROCESSES = [
    ("registration", ["serve", "registration"]),
    ("support", ["serve", "support"]),
    ("reporting", ["serve", "reporting"]),
    ("relay-registration", ["relay", "registration"]),
    ("relay-support", ["relay", "support"]),
    ("consumer-reporting", ["consume", "reporting"]),
    ("consumer-support", ["consume", "support"]),
]


def wait_ready(url: str, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if requests.get(url, timeout=2).status_code == 200:
                return True
        except requests.RequestException:
            pass
        time.sleep(0.3)
    return False


def run_all(with_demo: bool = True) -> int:
    from tienphong import workers

    workers.create_topics(from_env("registration"))
    workers.migrate_all()  # once, before the processes start
    children: list[tuple[str, subprocess.Popen[bytes]]] = []
    stopping = False

    def stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    exit_code = 0
    try:
        for name, argv in PROCESSES:
            children.append((name, subprocess.Popen([sys.executable, "-m", "tienphong.cli", *argv],
                                                    env=dict(os.environ))))
        for service, port in SERVICE_PORTS.items():
            if not wait_ready(f"http://127.0.0.1:{port}/readyz", 60):
                print(f"{service} did not become ready on port {port}", file=sys.stderr)
                return 1
        if with_demo:
            from tienphong.demo import load_for_dev
            load_for_dev()  # the full 2017-2018 program (seed 2017), once per data dir
        print("\nTiên Phong is running:")
        for service, port in SERVICE_PORTS.items():
            print(f"  {service:13s} http://127.0.0.1:{port}/api/v1/openapi.json")
        print("  summary       http://127.0.0.1:8003/api/v1/summary/TX  (Authorization: Bearer <key>)")
        print("  demo keys     data/demo-keys.json")
        if with_demo:
            from tienphong.demo import demo_account
            username, password = demo_account()
            print(f"  dashboard     http://127.0.0.1:8003/dashboard/TX  (sign in as {username} / {password})")
        print("Ctrl-C stops everything.", flush=True)
        while not stopping:
            for name, child in children:
                if child.poll() is not None:
                    print(f"{name} exited with {child.returncode}; stopping", file=sys.stderr)
                    exit_code = 1
                    stopping = True
            time.sleep(0.5)
    finally:
        for _, child in children:
            if child.poll() is None:
                child.terminate()
        deadline = time.monotonic() + 15
        for _, child in children:
            try:
                child.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
    return exit_code
