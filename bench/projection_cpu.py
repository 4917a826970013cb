"""CPU per event of the reporting projection alone, without Kafka: consumer-sized batches of encoded events
are decoded, prepared and written into a fresh read model (a SQLite file, or the PostgreSQL database that
DATABASE_URL names), as `tienphong consume reporting` does with what it polls. Prints the client's CPU per
event by phase and, for a PostgreSQL server on this machine, the server's (from /proc).

This machine's speed drifts by tens of percent between minutes, more than most changes to the projection
move it. `--instructions` counts instead the instructions the client executes per event (valgrind's
cachegrind; the same for the same code and events, to a fraction of a percent): two runs over the same
events, a short one and a long one, and their difference per event, free of start-up and loading.

    .venv/bin/python bench/projection_cpu.py [--participants 20000] [--instructions]
    DATABASE_URL='postgresql+psycopg://tienphong:tienphong@127.0.0.1:5432/<db>?sslmode=disable' \\
        .venv/bin/python bench/projection_cpu.py
"""

from __future__ import annotations

import argparse
import gc
import os
import pickle
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.consumers import postgres_ticks  # noqa: E402
from bench.gen import generate  # noqa: E402
from services.reporting.projector import Projection  # noqa: E402
from services.reporting.store import read_model  # noqa: E402
from shared.config import DEFAULT_ORG_UNITS  # noqa: E402
from shared.db import make_engine  # noqa: E402
from shared.events import encode  # noqa: E402
from shared.events.rawcheck import read_events  # noqa: E402
from shared.messaging.consumer import Delivery  # noqa: E402
from shared.orgunits import load  # noqa: E402

BATCH = 20_000  # tienphong.workers.PROJECTION_BATCH


def encoded_events(participants: int, cache: Path) -> list[bytes]:
    """The bench's events in business order, encoded as the services publish them; kept in `cache`."""
    if cache.exists():
        with cache.open("rb") as f:
            loaded: list[bytes] = pickle.load(f)
        return loaded
    events = sorted(generate(participants, 10, seed=7), key=lambda e: (e.occurred_on, e.recorded_at))
    raw = [encode(e) for e in events]
    with cache.open("wb") as f:
        pickle.dump(raw, f)
    return raw


def project(raw: list[bytes], limit: int, batch: int, url: str) -> None:
    engine = make_engine(url, cache_mib=32 if url.startswith("sqlite") else None)  # as the consumer's
    reader = make_engine(url, read_only=True)
    model = read_model(1)
    model.drop(engine)
    model.create(engine)
    projection = Projection(model, load(DEFAULT_ORG_UNITS))
    projection.forget(fresh=True)
    batches = [raw[i:i + batch] for i in range(0, min(limit, len(raw)), batch)]
    phases = {"decode": 0.0, "prepare": 0.0, "write": 0.0}
    gc.disable()  # as the consumer process: collected between batches
    cpu, wall, server = time.process_time(), time.perf_counter(), postgres_ticks()
    offset = 0
    for values in batches:
        records = [Delivery("bench.events", 0, offset + i, None, None, value) for i, value in enumerate(values)]
        started = time.process_time()  # the records as the fetcher hands them out, then as the consumer loop
        refused = {id(record) for record, _ in read_events(records)}
        deliveries = [record for record in records if id(record) not in refused] if refused else records
        offset += len(values)
        del records
        decoded = time.process_time()
        with reader.connect() as conn:
            write = projection.prepare(conn, deliveries)
            conn.rollback()
        prepared = time.process_time()
        with engine.begin() as conn:
            write(conn)
        written = time.process_time()
        phases["decode"] += decoded - started
        phases["prepare"] += prepared - decoded
        phases["write"] += written - prepared
        del deliveries, write
        gc.collect(1)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    server_seconds = (postgres_ticks() - server) / os.sysconf("SC_CLK_TCK")
    events = offset
    us = 1e6 / events
    print(f"events {events}")
    print(f"{engine.dialect.name}, {events:,} events in batches of {batch:,}: client CPU {cpu * us:.2f} us/event"
          f" (decode {phases['decode'] * us:.2f}, prepare {phases['prepare'] * us:.2f}, write"
          f" {phases['write'] * us:.2f}), wall {wall * us:.2f} us/event"
          + (f", PostgreSQL on this machine {server_seconds * us:.2f} us/event" if engine.dialect.name ==
             "postgresql" else ""))
    model.drop(engine)


def instructions(args: argparse.Namespace, cache: Path) -> None:
    """Instructions per event: cachegrind over a short and a long run of this script, the difference."""
    counts = []
    for limit in (args.batch * 2, args.batch * 5):
        command = ["valgrind", "--tool=cachegrind", "--cache-sim=no", "--cachegrind-out-file=/dev/null",
                   sys.executable, __file__, "--participants", str(args.participants), "--batch", str(args.batch),
                   "--limit", str(limit), "--cache", str(cache)]
        out = subprocess.run(command, capture_output=True, text=True, check=True)
        refs = re.search(r"I\s+refs:\s+([\d,]+)", out.stderr)
        events = re.search(r"^events (\d+)$", out.stdout, re.MULTILINE)
        if refs is None or events is None:
            raise SystemExit(f"no count from valgrind:\n{out.stdout}\n{out.stderr[-2000:]}")
        counts.append((int(refs.group(1).replace(",", "")), int(events.group(1))))
    (short, short_events), (long, long_events) = counts
    backend = "postgresql" if os.environ.get("DATABASE_URL", "").startswith("postgresql") else "sqlite"
    print(f"{backend}: client instructions per event (events {short_events:,} to {long_events:,}):"
          f" {(long - short) / (long_events - short_events):,.0f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--participants", type=int, default=20_000, help="ten events each")
    parser.add_argument("--batch", type=int, default=BATCH, help="events per transaction")
    parser.add_argument("--limit", type=int, default=None, help="project only the first events")
    parser.add_argument("--instructions", action="store_true", help="count instructions under valgrind")
    parser.add_argument("--cache", type=Path, default=None, help="file of the encoded events (made if missing)")
    args = parser.parse_args()
    cache = args.cache or Path(tempfile.gettempdir()) / f"tienphong-bench-events-{args.participants}.pickle"
    raw = encoded_events(args.participants, cache)
    if args.instructions:
        instructions(args, cache)
        return
    url = os.environ.get("DATABASE_URL", "")
    if not url:
        url = f"sqlite:///{tempfile.mkdtemp(prefix='tienphong-cpu-')}/reporting.db"
    project(raw, args.limit or len(raw), args.batch, url)


if __name__ == "__main__":
    main()
