"""What gunicorn_conf.py sets for several workers per service: their number, per-service state in the data
directory (control socket, metrics files), workers that die with their master, metrics summed across workers."""

from __future__ import annotations

import ctypes
import os
import signal
import sys
from pathlib import Path
from typing import Any

from shared.config import from_env

PR_SET_PDEATHSIG = 1  # linux/prctl.h
UNIX_SOCKET_PATH_MAX = 107  # sun_path holds 108 bytes with the terminating NUL


def default_workers() -> int:
    """One worker per core this process may run on (a container's CPU set, not the host's count): requests
    spend most of their time in Python, which one process runs on one core at a time; each worker's threads
    cover the waits on the database."""
    return max(1, len(os.sched_getaffinity(0)))


def runtime_dir(env: dict[str, str] | None = None) -> Path:
    """`<data dir>/run/<service>-<port>`: one directory per gunicorn master, so two services (or two replicas
    on two ports) sharing a data directory never share a control socket or metrics files."""
    env = dict(os.environ if env is None else env)
    service = env.get("TIENPHONG_SERVICE", "web")
    return from_env(service, env).data_dir / "run" / f"{service}-{env.get('PORT', '8000')}"


def control_socket(directory: Path) -> str | None:
    """gunicorn's control socket (`gunicornc`) inside `directory`; None when the path is too long for a Unix
    socket (gunicorn's default, $HOME/.gunicorn/gunicorn.ctl, is one path every master on the machine shares)."""
    path = str(directory / "gunicorn.ctl")
    return path if len(path.encode()) <= UNIX_SOCKET_PATH_MAX else None


def metrics_dir(directory: Path) -> str:
    """prometheus_client's multiprocess directory: set before a worker imports prometheus_client (gunicorn
    reads this configuration in the master, before any worker loads the application)."""
    path = directory / "metrics"
    path.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", str(path))
    return os.environ["PROMETHEUS_MULTIPROC_DIR"]


def on_starting(server: Any) -> None:
    """A new master starts with no counts: files left by a previous master's workers would be summed in."""
    directory = Path(os.environ["PROMETHEUS_MULTIPROC_DIR"])
    for stale in directory.glob("*.db"):
        stale.unlink(missing_ok=True)


def post_fork(server: Any, worker: Any) -> None:
    """The kernel kills this worker when its master dies, however it dies (kill -9 included): an orphan would
    keep serving on the listening socket, and a new master could not bind the port ("Connection in use").
    SIGKILL, not SIGTERM: gunicorn's own end for a worker its master gave up on; a worker busy in a request
    would otherwise keep the port until the request ends."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
        server.log.warning("prctl(PR_SET_PDEATHSIG) failed (errno %d)", ctypes.get_errno())
    if os.getppid() != server.pid:  # the master died between fork and prctl: no signal will come
        sys.stderr.write("gunicorn master gone before the worker started\n")
        os._exit(1)


def child_exit(server: Any, worker: Any) -> None:
    from prometheus_client import multiprocess
    multiprocess.mark_process_dead(worker.pid)
