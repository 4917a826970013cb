"""What the single broker's flush of each append (scripts/kafka.sh, log.flush.interval.messages=1) costs
the outbox relay: a broker of its own per mode (KAFKA_FLUSH_EACH_APPEND=1, then 0), started on free ports
with its data on this machine's disk, and two figures per mode, alternating the modes round after round
since this machine's speed drifts:

- backlog: N events already in the outbox (as after a broker outage), relayed in the relay's batches of
  1,000 -- one append, so one fsync, per partition per batch;
- trickle: events relayed one pass each (batch of 1), as under light live traffic: an fsync per event.

    .venv/bin/python bench/relay_flush.py [--events 50000] [--trickle 300] [--rounds 2] [--data-dir DIR]
    (DATABASE_URL as for the services to put the outbox in PostgreSQL; SQLite in a temporary dir otherwise)
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from sqlalchemy import insert  # noqa: E402

from bench.gen import generate  # noqa: E402
from services.registration.store import VERSIONS, outbox  # noqa: E402
from shared.config import from_env  # noqa: E402
from shared.db import make_engine, migrate  # noqa: E402
from shared.events import encode  # noqa: E402
from shared.messaging.outbox import Relay, make_producer  # noqa: E402
from shared.messaging.topics import ensure_topics  # noqa: E402
from tests.support.broker import free_port  # noqa: E402

TOPIC = "bench.registration.events"


def start_broker(data_dir: Path, flush: bool) -> dict[str, str]:
    env = dict(os.environ, KAFKA_DATA_DIR=str(data_dir), KAFKA_PORT=str(free_port()),
               KAFKA_CONTROLLER_PORT=str(free_port()), KAFKA_FLUSH_EACH_APPEND="1" if flush else "0")
    subprocess.run([str(REPO / "scripts" / "kafka.sh"), "start"], env=env, check=True, stdout=subprocess.DEVNULL)
    return env


def fill(engine_url: str, events: int) -> None:
    engine = make_engine(engine_url)
    rows = [{"topic": TOPIC, "key": e.participant_id, "value": encode(e)}
            for e in generate(events // 10 + 1)][:events]
    with engine.begin() as conn:
        for start in range(0, len(rows), 5000):
            conn.execute(insert(outbox), rows[start:start + 5000])
    engine.dispose()


def relay_all(engine_url: str, bootstrap: str, batch_size: int) -> tuple[int, float]:
    engine = make_engine(engine_url, durable=True)
    relay = Relay(engine, outbox, lambda: make_producer(bootstrap, "bench-relay"), batch_size=batch_size)
    relay.run_once()  # the producer connects in the first pass: not timed
    sent, started = 0, time.perf_counter()
    while (n := relay.run_once()) > 0:
        sent += n
    elapsed = time.perf_counter() - started
    relay.close()
    engine.dispose()
    return sent, elapsed


def one_mode(flush: bool, args: argparse.Namespace) -> tuple[float, float]:
    kafka_dir = Path(tempfile.mkdtemp(prefix="relay-flush-kafka-", dir=args.data_dir))
    work = Path(tempfile.mkdtemp(prefix="relay-flush-db-", dir=args.data_dir))
    env = start_broker(kafka_dir, flush)
    bootstrap = f"127.0.0.1:{env['KAFKA_PORT']}"
    try:
        ensure_topics(bootstrap, [TOPIC], 6)
        template = os.environ.get("DATABASE_URL", "")
        if template:
            database = f"bench_{uuid.uuid4().hex[:8]}"
            subprocess.run(["su", "postgres", "-c", f"createdb -O tienphong {database}"], check=True, cwd="/")
            template = template.replace("{service}", database).replace("{database}", database)
        url = from_env("registration", {"TIENPHONG_DATA_DIR": str(work), "DATABASE_URL": template}).database_url
        migrate(make_engine(url), VERSIONS)
        fill(url, args.events)
        sent, elapsed = relay_all(url, bootstrap, 1000)
        backlog = sent / elapsed
        fill(url, args.trickle)
        sent, elapsed = relay_all(url, bootstrap, 1)
        return backlog, sent / elapsed
    finally:
        subprocess.run([str(REPO / "scripts" / "kafka.sh"), "stop"], env=env, stdout=subprocess.DEVNULL)
        shutil.rmtree(kafka_dir, ignore_errors=True)
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=50_000)
    parser.add_argument("--trickle", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--data-dir", type=Path, default=REPO / "data", help="where broker and database live")
    args = parser.parse_args()
    args.data_dir.mkdir(parents=True, exist_ok=True)
    print(f"{args.events} events backlog, {args.trickle} one by one; broker data under {args.data_dir}")
    for round_ in range(1, args.rounds + 1):
        for flush in (True, False):
            backlog, trickle = one_mode(flush, args)
            print(f"round {round_} flush each append {'on ' if flush else 'off'}: backlog {backlog:9,.0f} events/s,"
                  f" one by one {trickle:6,.0f} events/s", flush=True)


if __name__ == "__main__":
    main()
