"""What `tienphong run` (tienphong/supervisor.py) tells about its children, for the services' /metrics.

The supervisor is no web service: it keeps a small status file in the data directory, replaced whole
at every change, and each service that shares the data directory reads it when scraped. Under compose
(one container per process, restarted by Docker) there is no such file and no samples.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator, MutableMapping
from pathlib import Path
from typing import Any

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

RUNNING = "running"


def status_path(data_dir: Path) -> Path:
    return data_dir / "run" / "supervisor.json"


def write_status(data_dir: Path, status: dict[str, Any]) -> None:
    """Atomically: a reader sees the previous status or this one, never half of one."""
    path = status_path(data_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    partial.write_text(json.dumps(status, indent=1, sort_keys=True))
    os.replace(partial, path)


def read_status(data_dir: Path) -> dict[str, Any] | None:
    try:
        status: dict[str, Any] = json.loads(status_path(data_dir).read_text())
    except (FileNotFoundError, ValueError):
        return None
    return status


def alive(pid: int | None) -> bool:
    """Whether a process of that id exists and is not a zombie (a child its parent has not reaped). Every
    thread counts: a killed multi-threaded process shows its main thread as a zombie while the others are
    still ending, its sockets still open."""
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        threads = list(Path(f"/proc/{pid}/task").iterdir())
    except FileNotFoundError:  # it ended meanwhile, or there is no /proc and the signal test is all there is
        return not Path("/proc/self").exists()
    except OSError:
        return True
    for thread in threads:
        try:
            if (thread / "stat").read_text().rsplit(")", 1)[1].split()[0] != "Z":
                return True
        except OSError:
            continue  # ended meanwhile
    return False


class SupervisorCollector(Collector):
    """tienphong_process_restarts_total and tienphong_process_up per child of `tienphong run`. A child
    counts as up only while the status file says it runs and its process exists: a supervisor killed
    without cleaning up leaves a file whose children are gone, and they then show as down."""

    def __init__(self, data_dir: Path) -> None:
        self._data_dir = data_dir

    def collect(self) -> Iterator[Metric]:
        status = read_status(self._data_dir)
        if not status:
            return
        restarts = CounterMetricFamily("tienphong_process_restarts", "Restarts of a child of `tienphong run` "
                                       "since the supervisor started", labels=["process"])
        up = GaugeMetricFamily("tienphong_process_up", "1 while a child of `tienphong run` is running",
                               labels=["process"])
        supervisor_alive = alive(status.get("pid"))
        for name, child in sorted(status.get("children", {}).items()):
            restarts.add_metric([name], child.get("restarts", 0))
            running = supervisor_alive and child.get("state") == RUNNING and alive(child.get("pid"))
            up.add_metric([name], 1 if running else 0)
        yield restarts
        yield up


def follow_supervisor(env: MutableMapping[str, str] | None = None) -> None:
    """In a child of `tienphong run` (TIENPHONG_SUPERVISOR_PID set): ask Linux to send SIGTERM to this
    process when the supervisor dies, even by SIGKILL, so that no child outlives it (the setting survives
    the exec of gunicorn). The variable is taken out of the environment: processes started further down
    are not the supervisor's children."""
    source = os.environ if env is None else env
    supervisor = source.pop("TIENPHONG_SUPERVISOR_PID", None)
    if not supervisor or not sys.platform.startswith("linux"):
        return
    import ctypes
    import signal
    pr_set_pdeathsig = 1  # linux/prctl.h
    ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, int(signal.SIGTERM), 0, 0, 0)
    if os.getppid() != int(supervisor):  # it died before the request took effect, or before this process began
        os.kill(os.getpid(), signal.SIGTERM)
