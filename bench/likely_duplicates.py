"""What the likely-duplicate check costs a registration, and what the form's pre-check read costs, through
registration's real HTTP app (in-process, Flask's test client), on SQLite and on PostgreSQL. Registers `--people`
participants across one district's communes (no two alike), timing each POST and, inside it, the look-up of
candidates (services/registration/likely.candidates); then times `--checks` pre-check reads
(GET /api/v1/participants/likely-duplicates), half of which find a candidate. Prints the figures; asserts nothing.

    .venv/bin/python bench/likely_duplicates.py [--people 1000] [--checks 300] [--no-postgresql]

Uses KAFKA_BOOTSTRAP_SERVERS if set (the app connects to nothing while writing; the outbox rows wait for a
relay); PostgreSQL through TIENPHONG_TEST_PG_ADMIN_URL (the tests' cluster), a fresh database set per run.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from services.registration import likely  # noqa: E402
from shared.auth import AccessStore  # noqa: E402
from shared.config import from_env  # noqa: E402
from shared.db import make_engine  # noqa: E402
from tests.support.databases import drop, fresh_template  # noqa: E402
from tests.support.system import registration_body  # noqa: E402

COMMUNES = ("TX-XUANHOA", "TX-XUANLAI", "TX-XUANLAP", "TX-XUANMINH", "TX-XUANTIN", "TX-THOLAP", "TX-THOHAI")


def person(number: int) -> dict[str, Any]:
    return registration_body(full_name=f"Đoàn Viên {number:05d}", phone=f"09{number:08d}",
                             birth_date=f"{1983 + number % 16}-{1 + number % 12:02d}-{1 + number % 28:02d}",
                             org_unit=COMMUNES[number % len(COMMUNES)])


def run(backend: str, people: int, checks: int) -> dict[str, float]:
    from services.registration.app import create_app

    template = fresh_template() if backend == "postgresql" else None
    data_dir = Path(tempfile.mkdtemp(prefix="bench-likely-"))
    env = {"TIENPHONG_DATA_DIR": str(data_dir), "TIENPHONG_TOPIC_PREFIX": "bl" + uuid.uuid4().hex[:10],
           "KAFKA_BOOTSTRAP_SERVERS": os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092"),
           "TIENPHONG_RATE_LIMIT_PER_MINUTE": "1000000", "TIENPHONG_LOG_LEVEL": "WARNING"}
    if template:
        env["DATABASE_URL"] = template
    looked_up: list[float] = []
    original = likely.candidates

    def timed(*args: Any) -> Any:
        started = time.perf_counter()
        try:
            return original(*args)
        finally:
            looked_up.append(time.perf_counter() - started)

    likely.candidates = timed  # type: ignore[assignment]
    try:
        app = create_app(from_env("registration", env))
        access = AccessStore(make_engine(from_env("access", env).access_url))
        headers = {"Authorization": f"Bearer {access.create_key('huyen-doan', 'union', 'TX')[1]}"}
        client = app.test_client()
        posts: list[float] = []
        for number in range(people):
            started = time.perf_counter()
            reply = client.post("/api/v1/participants", headers=headers, json=person(number))
            posts.append(time.perf_counter() - started)
            assert reply.status_code == 201, reply.get_json()
        reads: list[float] = []
        for number in range(checks):
            known = person(number * 2 if number % 2 else people + number)  # every other one is registered
            query = {"name": known["full_name"], "birth_date": known["birth_date"], "phone": known["phone"],
                     "org_unit": "TX-XUANLAI"}
            started = time.perf_counter()
            reply = client.get("/api/v1/participants/likely-duplicates", headers=headers, query_string=query)
            reads.append(time.perf_counter() - started)
            assert reply.status_code == 200 and len(reply.get_json()["candidates"]) == number % 2, reply.get_json()
        app.extensions["tienphong"]["engine"].dispose()
        access.engine.dispose()
        last = posts[len(posts) // 2:]  # with half the district already registered
        in_posts = looked_up[len(posts) // 2:len(posts)]  # the reads' look-ups come after
        return {"post_ms": 1000 * statistics.mean(last), "lookup_ms": 1000 * statistics.mean(in_posts),
                "read_ms": 1000 * statistics.mean(reads)}
    finally:
        likely.candidates = original  # type: ignore[assignment]
        drop(template)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--people", type=int, default=1000)
    parser.add_argument("--checks", type=int, default=300)
    parser.add_argument("--no-postgresql", action="store_true")
    args = parser.parse_args()
    backends = ["sqlite"] + ([] if args.no_postgresql else ["postgresql"])
    print(f"{'backend':<12}{'people':>8}{'POST ms':>9}{'of it, look-up ms':>19}{'pre-check GET ms':>18}")
    for backend in backends:
        figures = run(backend, args.people, args.checks)
        print(f"{backend:<12}{args.people:>8}{figures['post_ms']:>9.2f}{figures['lookup_ms']:>19.2f}"
              f"{figures['read_ms']:>18.2f}", flush=True)


if __name__ == "__main__":
    main()
