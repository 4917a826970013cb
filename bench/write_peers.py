"""Write-path benchmark: a single-event POST (support's funding) beside its peers, in one run on one box, with
one load generator (wrk, a Lua script for the POST bodies) and one gunicorn setting (workers, threads):

  hello       a WSGI hello-world (bench/peers/hello.py): the ceiling of gunicorn and the HTTP stack here
  flask hello Flask parsing the JSON body and answering, nothing else (bench/peers/flask_hello.py): the
              ceiling of any Flask endpoint here, before it does any work
  naive       Flask + SQLite, an event row and an outbox row per request, WAL, synchronous=FULL
              (bench/peers/naive_writes.py): the floor a real write service on SQLite must reach
  naive postgresql  the same on PostgreSQL, synchronous_commit=on (bench/peers/naive_writes_pg.py): what
              Flask and one durable transaction a request reach here, without any of the service's work
  support     `tienphong serve support`, POST /api/v1/participants/{id}/fundings with a real bank key, on SQLite
              and on PostgreSQL, with its relay and the reporting consumer running (the system as deployed)

Prints requests/s, p50 and p99 for each, the ratios to hello and naive, and the event -> summary freshness
measured while the POSTs run; for the support runs, also where the whole machine's CPU went per request, by
role (web workers, relay, consumers, broker, PostgreSQL, wrk, other). Asserts nothing.

    .venv/bin/python bench/write_peers.py [--seconds 20] [--connections 16] [--workers N] [--no-postgresql]
                                          [--no-sqlite] [--before CHECKOUT]

wrk, not a Python client: one C process drives thousands of requests a second for a few per cent of a core,
so on a 2-core box the generator takes the least it can from the servers it measures, and the same from each.
Uses KAFKA_BOOTSTRAP_SERVERS if set, else starts the project's broker; PostgreSQL through
TIENPHONG_TEST_PG_ADMIN_URL (the tests' cluster), a fresh database set per run.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from functools import partial
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.consumers import ticks  # noqa: E402
from bench.write_setup import Stack, freshness, participants_ready  # noqa: E402
from tests.support.broker import free_port, kafka_broker  # noqa: E402
from tests.support.databases import drop, fresh_template  # noqa: E402
from tienphong.gunicorn_hooks import default_workers  # noqa: E402

FUNDING = '{"disbursed_on": "2017-08-01", "source": "vbsp", "amount_vnd": 50000000}'


def lua_script(path: Path, participant_ids: list[str], token: str) -> Path:
    """Each request funds one of the participants in turn (per wrk thread), with the bank's key."""
    ids = ",".join(f'"{pid}"' for pid in participant_ids)
    path.write_text(f"""
local ids = {{{ids}}}
local n = 0
wrk.method = "POST"
wrk.body = '{FUNDING}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer {token}"
request = function()
  n = n + 1
  return wrk.format(nil, "/api/v1/participants/" .. ids[(n % #ids) + 1] .. "/fundings")
end
""")
    return path


def parse_duration_ms(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()  # type: ignore[union-attr]
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def wrk(url: str, script: Path, seconds: int, connections: int) -> dict[str, float]:
    out = subprocess.run(["wrk", "-t", "2", "-c", str(connections), "-d", f"{seconds}s", "--latency", "-s",
                          str(script), url], capture_output=True, text=True, check=True).stdout
    lat = dict(re.findall(r"^\s+(50|99)%\s+(\S+)\s*$", out, re.M))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: (.*)$", out, re.M)
    requests_done = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    return {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),  # type: ignore[union-attr]
            "p50": parse_duration_ms(lat["50"]), "p99": parse_duration_ms(lat["99"]),
            "requests": requests_done, "errors": int(errors.group(1)) if errors else 0,
            "socket_errors": bool(socket_errors)}


@contextmanager
def gunicorn(app: str, workers: int, threads: int, env: dict[str, str], log: Path) -> Iterator[tuple[str, int]]:
    port = free_port()
    with open(log, "ab") as out:
        process = subprocess.Popen([sys.executable, "-m", "gunicorn", "-w", str(workers), "--threads", str(threads),
                                    "-k", "gthread", "-b", f"127.0.0.1:{port}", "--no-control-socket", app],
                                   env=os.environ | env | {"PYTHONPATH": str(REPO)}, stdout=out, stderr=out, cwd=REPO)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                requests.post(f"http://127.0.0.1:{port}/api/v1/participants/x/fundings", data=FUNDING,
                              headers={"Content-Type": "application/json"}, timeout=2)
                break
            except requests.RequestException:
                time.sleep(0.2)
        yield f"http://127.0.0.1:{port}", process.pid
    finally:
        process.terminate()
        process.wait(timeout=30)


def measure(name: str, url: str, script: Path, args: argparse.Namespace,
            servers: Callable[[], list[int]], by_role: bool = False) -> dict[str, float]:
    """wrk's figures, and the CPU the serving processes (`servers`: gunicorn's master and workers) spent per
    request: on a machine shared with other work, the rate follows the share of the cores a peer gets, the CPU
    per request much less. `by_role`: also where the whole machine's CPU went, per request."""
    wrk(url, script, 3, args.connections)  # warm-up: connections, caches, the first checkpoints
    pids = servers()
    before, machine, roles = sum(ticks(pid) for pid in pids), machine_ticks(), role_ticks()
    figures = wrk(url, script, args.seconds, args.connections)
    spent = sum(ticks(pid) for pid in pids) - before
    roles_after = role_ticks() if by_role else {}
    busy, total = (after - start for after, start in zip(machine_ticks(), machine, strict=True))
    figures["cpu_ms"] = spent / os.sysconf("SC_CLK_TCK") * 1000 / max(1, figures["requests"])
    figures["busy"] = 100 * busy / max(1, total)
    bad = f"  ({figures['errors']:.0f} non-2xx!)" if figures["errors"] else ""
    print(f"  {name:24s} {figures['rps']:7.0f} req/s   p50 {figures['p50']:7.1f} ms   p99 {figures['p99']:7.1f} ms"
          f"   CPU {figures['cpu_ms']:.2f} ms/req ({len(pids)} processes), machine {figures['busy']:.0f} % busy{bad}",
          flush=True)
    if by_role:
        per_request = 1000 / os.sysconf("SC_CLK_TCK") / max(1, figures["requests"])
        shares = {role: (amount - roles.get(role, 0)) * per_request for role, amount in roles_after.items()}
        print("    the machine's CPU ms per request, by role: " + ", ".join(
            f"{role} {ms:.2f}" for role, ms in sorted(shares.items(), key=lambda kv: -kv[1])), flush=True)
    return figures


# a process's role by the words of its command line (the first that matches)
ROLES = (("web", (b"gunicorn",)), ("relay", (b"cli\0relay",)), ("consumer", (b"cli\0consume",)),
         ("broker", (b"java", b"kafka")), ("postgresql", (b"postgres",)), ("wrk", (b"wrk",)))


def role_ticks() -> dict[str, int]:
    """CPU ticks so far of every process on the machine, summed by role ("other" for the rest)."""
    totals: dict[str, int] = {}
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes()
        except OSError:
            continue
        role = next((name for name, marks in ROLES if all(mark in cmdline for mark in marks)), "other")
        totals[role] = totals.get(role, 0) + ticks(proc.name)
    return totals


def machine_ticks() -> tuple[int, int]:
    """The whole machine's busy and total CPU ticks so far (/proc/stat): whether a peer had the cores to itself
    or left them idle (waiting on locks, fsyncs or round trips)."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    return sum(values) - idle, sum(values)


def process_tree(pid: int) -> list[int]:
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return [pid]
    return [pid, *(int(child) for child in children)]


def gunicorn_of(service: str, data_dir: Path) -> list[int]:
    """The gunicorn processes serving `service` from `data_dir` (other checkouts may run theirs meanwhile)."""
    found = []
    for proc in Path("/proc").iterdir():
        try:
            cmdline = (proc / "cmdline").read_bytes()
            if b"gunicorn" not in cmdline or f"services.{service}.app".encode() not in cmdline:
                continue
            if f"TIENPHONG_DATA_DIR={data_dir}".encode() in (proc / "environ").read_bytes().split(b"\0"):
                found.append(int(proc.name))
        except (OSError, ValueError):
            continue
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=default_workers())
    parser.add_argument("--threads", type=int, default=int(os.environ.get("GUNICORN_THREADS", "8")))
    parser.add_argument("--participants", type=int, default=200)
    parser.add_argument("--no-postgresql", action="store_true")
    parser.add_argument("--no-sqlite", action="store_true", help="the support service on PostgreSQL only")
    parser.add_argument("--before", type=Path, metavar="CHECKOUT",
                        help="also run the support service of another checkout (e.g. /work/main) as it ships its "
                             "gunicorn settings, in the same run: the before of a before/after table")
    args = parser.parse_args()
    print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f} at start; gunicorn {args.workers} workers x "
          f"{args.threads} threads; wrk 2 threads, {args.connections} connections, {args.seconds} s each",
          flush=True)
    results: dict[str, dict[str, float]] = {}
    fresh: dict[str, list[float]] = {}
    with (tempfile.TemporaryDirectory(prefix="tienphong-writes-") as tmp, kafka_broker() as bootstrap,
          ExitStack() as stack):
        work = Path(tmp)
        plain = lua_script(work / "plain.lua", [str(uuid.uuid4()) for _ in range(args.participants)], "none")
        with gunicorn("bench.peers.hello:app", args.workers, args.threads, {}, work / "hello.log") as (url, pid):
            results["hello"] = measure("hello-world", url, plain, args, lambda: process_tree(pid))
        with gunicorn("bench.peers.flask_hello:app", args.workers, args.threads, {}, work / "flask.log") as (url, pid):
            results["flask hello"] = measure("Flask hello-world", url, plain, args, lambda: process_tree(pid))
        with gunicorn("bench.peers.naive_writes:app", args.workers, args.threads,
                      {"NAIVE_DB": str(work / "naive.db")}, work / "naive.log") as (url, pid):
            results["naive"] = measure("naive Flask+SQLite", url, plain, args, lambda: process_tree(pid))
        backends: list[tuple[str, str | None]] = [] if args.no_sqlite else [("sqlite", None)]
        if not args.no_postgresql:
            os.environ["TIENPHONG_TEST_DB"] = "postgresql"  # fresh_template() makes databases only then
            template = fresh_template()
            assert template is not None
            stack.callback(drop, template)
            backends.append(("postgresql", template))
            libpq = template.format(service="registration").replace("postgresql+psycopg://", "postgresql://")
            with gunicorn("bench.peers.naive_writes_pg:app", args.workers, args.threads,
                          {"NAIVE_PG_URL": libpq}, work / "naive-pg.log") as (url, pid):
                results["naive postgresql"] = measure("naive Flask+PostgreSQL", url, plain, args,
                                                      lambda: process_tree(pid))
        runs = [(backend, template, None) for backend, template in backends]
        if args.before:
            runs = [(f"{backend} before", template, args.before) for backend, template in backends] + runs
        for backend, template, checkout in runs:
            if checkout is not None and template is not None:
                template = fresh_template()
                stack.callback(drop, template)
            data_dir = work / backend.replace(" ", "-")
            with Stack(data_dir, bootstrap, template, args.workers, args.threads, checkout) as system:
                ids = system.selected_participants(args.participants)
                participants_ready(system, ids)
                script = lua_script(work / f"{backend}.lua", ids, system.bank_token)
                with freshness(system) as samples:
                    results[backend] = measure(f"support ({backend})", system.urls["support"], script, args,
                                               partial(gunicorn_of, "support", data_dir), by_role=True)
                fresh[backend] = samples
    print_table(results, fresh)


def print_table(results: dict[str, dict[str, float]], fresh: dict[str, list[float]]) -> None:
    hello, naive, flask = (results[peer]["rps"] for peer in ("hello", "naive", "flask hello"))
    print("\n| peer | requests/s | p50 ms | p99 ms | x hello | x flask hello | x naive | CPU ms/request | "
          "machine busy | freshness p95 ms |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name, figures in results.items():
        samples = sorted(fresh.get(name, []))
        p95 = f"{samples[int(0.95 * (len(samples) - 1))]:.0f} ({len(samples)} probes)" if samples else ""
        print(f"| {name} | {figures['rps']:.0f} | {figures['p50']:.1f} | {figures['p99']:.1f} | "
              f"{figures['rps'] / hello:.2f} | {figures['rps'] / flask:.2f} | {figures['rps'] / naive:.2f} | "
              f"{figures['cpu_ms']:.2f} | {figures['busy']:.0f} % | {p95} |")


if __name__ == "__main__":
    main()
