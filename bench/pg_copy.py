"""How the projection's event rows reach PostgreSQL: text COPY (psycopg's write_row, the former way) against
the binary COPY that shared.bulk.bulk_insert uses, into a scratch generation of the real events table (its
indexes included). Prints client CPU and wall time per row, rounds alternating.

    DATABASE_URL='postgresql+psycopg://tienphong:tienphong@127.0.0.1:5432/<db>?sslmode=disable' \\
        .venv/bin/python bench/pg_copy.py
"""

from __future__ import annotations

import argparse
import os
import random
import time
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import Connection

from services.reporting.event_rows import EVENT_COLUMNS
from services.reporting.store import participant_key, read_model
from shared.bulk import bulk_insert
from shared.db import make_engine

SCRATCH_GENERATION = 9_999


def event_rows(count: int, rng: random.Random) -> list[tuple[Any, ...]]:
    rows = []
    for _ in range(count):
        participant_id = str(uuid.UUID(int=rng.getrandbits(128)))
        data = orjson.dumps({"amount": rng.randint(1, 10**8), "source": "vbsp", "note": "vay vốn \\ 1",
                             "loan_id": str(uuid.UUID(int=rng.getrandbits(128)))}).decode()
        rows.append((str(uuid.UUID(int=rng.getrandbits(128))), participant_id, participant_key(participant_id),
                     "funding.recorded", 1, "TX-X01", date(2017, 6, 1) + timedelta(days=rng.randint(0, 580)),
                     datetime(2018, 3, 2, 10, 0, rng.randint(0, 59), rng.randint(0, 999_999), tzinfo=UTC),
                     "vbsp-tx", "key-1", "support", data))
    rows.sort(key=lambda row: row[2])  # as the projection sends them
    return rows


def text_copy(conn: Connection, table: str, rows: list[tuple[Any, ...]]) -> None:
    cursor: Any = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    with cursor, cursor.copy(f"COPY {table} ({', '.join(EVENT_COLUMNS)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--batch", type=int, default=2000, help="rows per COPY (the consumer's batch)")
    parser.add_argument("--rounds", type=int, default=40, help="batches per way, alternating")
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgresql"):
        raise SystemExit("DATABASE_URL must name a PostgreSQL database")
    engine = make_engine(url)
    model = read_model(SCRATCH_GENERATION)
    model.drop(engine)
    model.create(engine)
    rng = random.Random(7)
    batches = [event_rows(args.batch, rng) for _ in range(8)]
    ways: dict[str, Callable[[Connection, list[tuple[Any, ...]]], None]] = {
        "text COPY (write_row)": lambda conn, rows: text_copy(conn, model.events.name, rows),
        "binary COPY (bulk_insert)": lambda conn, rows: bulk_insert(conn, model.events, EVENT_COLUMNS, rows),
    }
    spent = {name: [0.0, 0.0] for name in ways}
    try:
        with engine.connect() as conn:
            for i in range(args.rounds):
                for name, way in ways.items():
                    rows = batches[i % len(batches)]
                    wall, cpu = time.perf_counter(), time.process_time()
                    way(conn, rows)
                    conn.commit()
                    spent[name][0] += time.process_time() - cpu
                    spent[name][1] += time.perf_counter() - wall
        rows_each = args.rounds * args.batch
        for name, (cpu, wall) in spent.items():
            print(f"{name:26s} client CPU {cpu / rows_each * 1e6:5.2f} us/row,"
                  f" wall (client + server) {wall / rows_each * 1e6:5.2f} us/row")
    finally:
        model.drop(engine)


if __name__ == "__main__":
    main()
