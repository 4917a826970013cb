"""Read-side benchmark: projection throughput against a bare kafka-python consumer on the same topics,
consumer memory, summary and period-report latency over HTTP, and rebuild time.

    .venv/bin/python bench/read_side.py --participants 100000      # 1,000,000 events
    .venv/bin/python bench/read_side.py --participants 1000        # 10,000 events
    DATABASE_URL=postgresql+psycopg://... .venv/bin/python bench/read_side.py ...

Uses KAFKA_BOOTSTRAP_SERVERS if set, else starts the project's broker. Prints its figures; asserts none.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import requests
from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from sqlalchemy import select

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.gen import REGISTRATION_TYPES, generate  # noqa: E402
from bench.memory import rss_mib  # noqa: E402
from shared.auth import AccessStore  # noqa: E402
from shared.config import from_env  # noqa: E402
from shared.db import make_engine  # noqa: E402
from shared.events import encode  # noqa: E402
from shared.messaging.topics import REGISTRATION_EVENTS, SUPPORT_EVENTS  # noqa: E402
from tests.support.broker import free_port, kafka_broker  # noqa: E402
from tienphong import workers  # noqa: E402


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def produce(bootstrap: str, env: dict[str, str], participants: int, per: int) -> int:
    config = from_env("registration", env)
    events = list(generate(participants, per, seed=7))
    # Business order: the program unfolds over 18 months, every participant active at once.
    events.sort(key=lambda e: (e.occurred_on, e.recorded_at))
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks=1, linger_ms=20, batch_size=512 * 1024,
                             compression_type=None)
    started = time.perf_counter()
    for envelope in events:
        topic = REGISTRATION_EVENTS if envelope.type in REGISTRATION_TYPES else SUPPORT_EVENTS
        producer.send(config.topic(topic), key=envelope.participant_id.encode(), value=encode(envelope))
    producer.flush()
    producer.close()
    print(f"produced {len(events):,} events in {time.perf_counter() - started:.1f}s")
    return len(events)


def bare_consumer_rate(bootstrap: str, env: dict[str, str], total: int) -> float:
    config = from_env("reporting", env)
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, max_poll_records=5000,
                             fetch_max_bytes=16 * 1024 * 1024, max_partition_fetch_bytes=4 * 1024 * 1024)
    partitions = [TopicPartition(config.topic(t), p) for t in (REGISTRATION_EVENTS, SUPPORT_EVENTS)
                  for p in sorted(consumer.partitions_for_topic(config.topic(t)) or [])]
    consumer.assign(partitions)
    consumer.seek_to_beginning(*partitions)
    seen, started = 0, time.perf_counter()
    while seen < total:
        for records in consumer.poll(timeout_ms=1000).values():
            seen += len(records)
    elapsed = time.perf_counter() - started
    consumer.close()
    return seen / elapsed


def applied(engine: object, generation: int = 1) -> int:
    from services.reporting.store import read_model
    model = read_model(generation)
    try:
        with engine.connect() as conn:  # type: ignore[attr-defined]
            value = conn.execute(select(model.stats.c.value).where(model.stats.c.name == "events_applied")).scalar()
        return int(value or 0)
    except Exception:  # noqa: BLE001 - tables not created yet
        return 0


def project(env: dict[str, str], total: int, consumers: int) -> tuple[float, float, list[float]]:
    """`consumers` processes of `tienphong consume reporting` in one group; RSS is the largest process's."""
    # read-only: on SQLite a writer's engine would take the write lock every poll and slow the consumers
    engine = make_engine(from_env("reporting", env).database_url, read_only=True)
    processes = [subprocess.Popen([sys.executable, "-m", "tienphong.cli", "consume", "reporting"],
                                  env=os.environ | env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                 for _ in range(consumers)]
    started, samples = time.perf_counter(), []
    first: tuple[float, int] | None = None  # when the first batch was seen applied, and how many it held
    try:
        while (done := applied(engine)) < total:
            if any(process.poll() is not None for process in processes):
                raise RuntimeError("consumer exited")
            if first is None and done:
                first = (time.perf_counter(), done)
            samples.append(max(rss_mib(process.pid) for process in processes))
            time.sleep(0.2)
        elapsed = time.perf_counter() - started
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=30)
    # steady rate: from the first applied batch on, without process start and group join
    steady = (done - first[1]) / (time.perf_counter() - first[0]) if first else done / elapsed
    return done / elapsed, steady, samples


def latency(env: dict[str, str], requests_each: int) -> dict[str, tuple[float, float]]:
    port = free_port()
    access = AccessStore(make_engine(from_env("access", env).access_url))
    access.migrate()
    _, token = access.create_key("bench", "viewer", "TH")
    process = subprocess.Popen([sys.executable, "-m", "tienphong.cli", "serve", "reporting"],
                               env=os.environ | env | {"PORT": str(port), "TIENPHONG_RATE_LIMIT_PER_MINUTE": "0"},
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"
    rng = random.Random(3)
    units = ["TH", "TX", "TS", "TX-XUANHOA", "YD-DINHTAN"]
    try:
        for _ in range(200):
            try:
                if session.get(f"{base}/healthz", timeout=1).ok:
                    break
            except requests.RequestException:
                time.sleep(0.2)
        out = {}
        for name, make_url in (
            ("summary", lambda: f"{base}/api/v1/summary/{rng.choice(units)}?as_of=2017-{rng.randrange(6, 13):02d}-"
                                f"{rng.randrange(1, 29):02d}"),
            ("period report", lambda: f"{base}/api/v1/reports/{rng.choice(units)}?period="
                                      f"{rng.choice(['2017-10', '2018-03', '2018-H1', '2017-H2', '2018'])}"),
        ):
            for _ in range(20):
                session.get(make_url(), timeout=30).raise_for_status()  # warm up
            samples = []
            for _ in range(requests_each):
                url = make_url()
                t0 = time.perf_counter()
                session.get(url, timeout=30).raise_for_status()
                samples.append((time.perf_counter() - t0) * 1000)
            out[name] = (statistics.median(samples), percentile(samples, 0.99))
        return out
    finally:
        process.terminate()
        process.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--participants", type=int, default=100_000)
    parser.add_argument("--events-per-participant", type=int, default=10)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--skip-rebuild", action="store_true")
    parser.add_argument("--skip-history", action="store_true", help="no provenance and known_at timings")
    parser.add_argument("--consumers", type=int, default=2,
                        help="projection processes in the consumer group, and processes of the rebuild")
    args = parser.parse_args()
    with kafka_broker() as bootstrap:
        data_dir = tempfile.mkdtemp(prefix="tienphong-bench-")
        env = {"TIENPHONG_DATA_DIR": data_dir, "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
               "TIENPHONG_TOPIC_PREFIX": "bench" + uuid.uuid4().hex[:8], "TIENPHONG_LOG_LEVEL": "WARNING"}
        if os.environ.get("DATABASE_URL"):
            env["DATABASE_URL"] = os.environ["DATABASE_URL"]
        workers.create_topics(from_env("registration", env))
        total = produce(bootstrap, env, args.participants, args.events_per_participant)
        bare = bare_consumer_rate(bootstrap, env, total)
        rate, steady, rss = project(env, total, args.consumers)
        # again after the projection: this machine's speed drifts within a run, and the ratio with it
        bare_after = bare_consumer_rate(bootstrap, env, total)
        figures = latency(env, args.requests)
        rebuild_seconds = None
        if not args.skip_rebuild:
            t0 = time.perf_counter()
            subprocess.run([sys.executable, "-m", "tienphong.cli", "projections", "rebuild", "--quiet",
                            "--processes", str(args.consumers)],
                           env=os.environ | env, check=True, stdout=subprocess.DEVNULL)
            rebuild_seconds = time.perf_counter() - t0
        history = None
        if not args.skip_history:
            history = subprocess.run([sys.executable, str(REPO / "bench" / "history.py"), data_dir],
                                     env=os.environ | env, check=True, capture_output=True, text=True).stdout
        backend = "postgresql" if "DATABASE_URL" in env else "sqlite"
        print(f"\n== read side, {total:,} events, {args.participants:,} participants, {backend} ==")
        print(f"bare kafka-python consumer: {bare:,.0f} events/s before the projection, {bare_after:,.0f} after")
        print(f"projection, {args.consumers} consumer process(es): {rate:,.0f} events/s ({rate / bare:.2f}x bare"
              f" before, {rate / bare_after:.2f}x after) from process start; {steady:,.0f} events/s"
              f" ({steady / bare:.2f}x, {steady / bare_after:.2f}x) from the first applied batch")
        quarters = [rss[int(len(rss) * q)] for q in (0.1, 0.25, 0.5, 0.75)] + [rss[-1]] if rss else []
        print("consumer RSS MiB, largest process (10/25/50/75/100% of the run): "
              f"{' / '.join(f'{v:.0f}' for v in quarters)}; max {max(rss, default=0):.0f}")
        for name, (p50, p99) in figures.items():
            print(f"{name:14s} p50 {p50:.1f} ms, p99 {p99:.1f} ms ({args.requests} requests over HTTP)")
        if rebuild_seconds is not None:
            print(f"rebuild from offset 0 ({args.consumers} processes): {rebuild_seconds:.1f}s")
        if history:
            print(history, end="")


if __name__ == "__main__":
    main()
