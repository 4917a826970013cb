"""Projection throughput on a topic already in the broker, for paired comparisons of two checkouts: N
`tienphong consume reporting` processes of a new consumer group project it into a fresh database, and the
script prints their rate, the CPU per event of the consumers, of this machine's PostgreSQL processes and of
the whole machine (from /proc), and the largest consumer's RSS. `bench/read_side.py` produces the topic and
leaves it (its prefix is in the broker's topic list); alternate the checkouts run after run, since this
machine's speed drifts.

    KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:9092 .venv/bin/python bench/consumers.py PREFIX [--consumers 2] [--repo DIR]
    (with DATABASE_URL='postgresql+psycopg://tienphong:tienphong@127.0.0.1:5432/{database}?sslmode=disable'
    for PostgreSQL: a database of that name is created per run)
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.memory import rss_mib  # noqa: E402
from bench.read_side import applied  # noqa: E402
from shared.config import from_env  # noqa: E402
from shared.db import make_engine  # noqa: E402


def ticks(pid: int | str) -> int:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0
    return int(fields[11]) + int(fields[12])


def postgres_ticks() -> int:
    pids = subprocess.run(["pgrep", "-u", "postgres"], capture_output=True, text=True).stdout.split()
    return sum(ticks(pid) for pid in pids)


def machine_ticks() -> tuple[int, int]:
    """(busy, all) ticks of every core since boot."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return sum(values) - values[3] - values[4], sum(values)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("prefix", help="topic prefix of the events to project")
    parser.add_argument("--consumers", type=int, default=2)
    parser.add_argument("--repo", type=Path, default=REPO,
                        help="checkout whose consumer runs (of this one's read-model layout)")
    args = parser.parse_args()
    env = {"KAFKA_BOOTSTRAP_SERVERS": os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092"),
           "TIENPHONG_TOPIC_PREFIX": args.prefix, "TIENPHONG_LOG_LEVEL": "WARNING",
           "TIENPHONG_CONSUMER_GROUP": f"bench-{uuid.uuid4().hex[:8]}",
           "TIENPHONG_DATA_DIR": tempfile.mkdtemp(prefix="tienphong-consumers-")}
    template = os.environ.get("DATABASE_URL", "")
    if template:
        database = f"bench_{uuid.uuid4().hex[:8]}"
        subprocess.run(["su", "postgres", "-c", f"createdb -O tienphong {database}"], check=True, cwd="/")
        env["DATABASE_URL"] = template.replace("{database}", database)
    total = sum(_ends(env).values())
    engine = make_engine(from_env("reporting", env).database_url, read_only=True)
    processes = [subprocess.Popen([sys.executable, "-m", "tienphong.cli", "consume", "reporting"], cwd=args.repo,
                                  env=os.environ | env, stdout=subprocess.DEVNULL)
                 for _ in range(args.consumers)]
    started, first, rss = time.perf_counter(), None, []
    try:
        while (done := applied(engine)) < total:
            if any(p.poll() is not None for p in processes):
                raise SystemExit("a consumer exited")
            if first is None and done:
                first = (time.perf_counter(), done, sum(ticks(p.pid) for p in processes), postgres_ticks(),
                         machine_ticks())
            rss.append(max(rss_mib(p.pid) for p in processes))
            time.sleep(0.2)
        ended = time.perf_counter()
        consumers, server, machine = sum(ticks(p.pid) for p in processes), postgres_ticks(), machine_ticks()
    finally:
        for p in processes:
            p.terminate()
        for p in processes:
            p.wait(timeout=30)
    assert first is not None
    events = done - first[1]
    per_event = 1e6 / os.sysconf("SC_CLK_TCK") / events
    print(f"{args.repo} ({args.consumers} consumers): {done / (ended - started):,.0f} events/s from start,"
          f" {events / (ended - first[0]):,.0f} from the first applied batch; CPU per event: consumers"
          f" {(consumers - first[2]) * per_event:.1f} us, PostgreSQL {(server - first[3]) * per_event:.1f} us,"
          f" machine busy {(machine[0] - first[4][0]) * per_event:.1f} of {(machine[1] - first[4][1]) * per_event:.1f}"
          f" us; largest RSS {max(rss):.0f} MiB")


def _ends(env: dict[str, str]) -> dict[object, int]:
    """End offsets of the prefix's event topics: the events to project."""
    from kafka import KafkaConsumer, TopicPartition

    from shared.messaging.topics import REGISTRATION_EVENTS, SUPPORT_EVENTS
    config = from_env("reporting", env)
    consumer = KafkaConsumer(bootstrap_servers=env["KAFKA_BOOTSTRAP_SERVERS"])
    try:
        partitions = [TopicPartition(config.topic(t), p) for t in (REGISTRATION_EVENTS, SUPPORT_EVENTS)
                      for p in sorted(consumer.partitions_for_topic(config.topic(t)) or [])]
        if not partitions:
            raise SystemExit(f"no topics with prefix {env['TIENPHONG_TOPIC_PREFIX']} in the broker")
        return dict(consumer.end_offsets(partitions))
    finally:
        consumer.close()


if __name__ == "__main__":
    main()
