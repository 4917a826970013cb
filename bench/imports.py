"""A 10,000-row disbursement list (XLSX) imported all or nothing through support's real HTTP app (in-process,
Flask's test client: the same request path as behind gunicorn, without the socket), with a bank key, on SQLite
and on PostgreSQL. Prints the seconds of the first upload (10,000 events recorded) and of a re-upload
(everything already recorded, nothing written), and the import's CPU time in this process (all of it on SQLite;
PostgreSQL's own work apart), which a busy machine inflates far less than the seconds. Asserts nothing.

    .venv/bin/python bench/imports.py [--rows 10000] [--no-postgresql] [--no-sqlite]

Support's view of the participants (who is registered and selected) is seeded directly, as its Kafka consumer
would have written it: the benchmark measures the import, not 10,000 registrations. Uses KAFKA_BOOTSTRAP_SERVERS
if set (the app connects to nothing while importing; the outbox rows wait for a relay); PostgreSQL through
TIENPHONG_TEST_PG_ADMIN_URL (the tests' cluster), a fresh database set per run.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import tempfile
import time
import uuid
from datetime import date
from pathlib import Path

import openpyxl

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from services.support.imports import FUNDINGS  # noqa: E402
from services.support.store import known_participants  # noqa: E402
from shared.auth import AccessStore  # noqa: E402
from shared.config import from_env  # noqa: E402
from shared.db import make_engine  # noqa: E402
from shared.imports.layout import ROW_NUMBER_HEADER  # noqa: E402
from tests.support.databases import drop, fresh_template  # noqa: E402


def funding_list(participant_ids: list[str]) -> bytes:
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet(FUNDINGS.data_sheet)
    sheet.append([ROW_NUMBER_HEADER, *(c.header for c in FUNDINGS.columns)])
    for number, participant_id in enumerate(participant_ids, start=1):
        sheet.append([number, participant_id, f"Đoàn viên {number}", date(2017, 9, 15), "NH Chính sách xã hội",
                      30_000_000 + number * 1000, "NHCSXH huyện Thọ Xuân", 36])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def run(backend: str, rows: int) -> tuple[float, float, float, int]:
    from services.support.app import create_app

    template = fresh_template() if backend == "postgresql" else None
    data_dir = Path(tempfile.mkdtemp(prefix="bench-imports-"))
    env = {"TIENPHONG_DATA_DIR": str(data_dir), "TIENPHONG_TOPIC_PREFIX": "bi" + uuid.uuid4().hex[:10],
           "KAFKA_BOOTSTRAP_SERVERS": os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092"),
           "TIENPHONG_RATE_LIMIT_PER_MINUTE": "1000000", "TIENPHONG_LOG_LEVEL": "WARNING"}
    if template:
        env["DATABASE_URL"] = template
    try:
        app = create_app(from_env("support", env))
        engine = app.extensions["tienphong"]["engine"]
        ids = [str(uuid.uuid4()) for _ in range(rows)]
        with engine.begin() as conn:
            conn.execute(known_participants.insert(), [
                {"participant_id": pid, "org_unit": "TX-XUANHOA", "status": "selected",
                 "registered_on": date(2017, 6, 10), "sector": "livestock"} for pid in ids])
        access = AccessStore(make_engine(from_env("access", env).access_url))
        token = access.create_key("nhcsxh-thanh-hoa", "bank", "TH")[1]
        content = funding_list(ids)
        client = app.test_client()
        timings, cpu = [], 0.0
        for expected in (201, 200):
            started, cpu_started = time.perf_counter(), time.process_time()
            reply = client.post("/api/v1/imports/fundings", headers={"Authorization": f"Bearer {token}"},
                                content_type="multipart/form-data",
                                data={"file": (io.BytesIO(content), "giai-ngan.xlsx")})
            timings.append(time.perf_counter() - started)
            cpu = cpu or time.process_time() - cpu_started
            assert reply.status_code == expected, (reply.status_code, str(reply.get_json())[:500])
        engine.dispose()
        access.engine.dispose()
        return timings[0], timings[1], cpu, len(content)
    finally:
        drop(template)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--no-postgresql", action="store_true")
    parser.add_argument("--no-sqlite", action="store_true")
    args = parser.parse_args()
    backends = [b for b, skip in (("sqlite", args.no_sqlite), ("postgresql", args.no_postgresql)) if not skip]
    print(f"{'backend':<12}{'rows':>8}{'file KiB':>10}{'import s':>10}{'its CPU s':>11}{'re-upload s':>13}")
    for backend in backends:
        first, again, cpu, size = run(backend, args.rows)
        print(f"{backend:<12}{args.rows:>8}{size / 1024:>10.0f}{first:>10.2f}{cpu:>11.2f}{again:>13.2f}", flush=True)


if __name__ == "__main__":
    main()
