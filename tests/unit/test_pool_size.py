"""The PostgreSQL connection pools of an HTTP worker follow its thread count (docs/scaling.md): built, not
connected, so no database is needed."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.pool import QueuePool

from shared.config import from_env
from shared.service import POOL_OVERFLOW, build_service


def test_pools_are_sized_per_worker_thread(tmp_path: Path) -> None:
    env = {"DATABASE_URL": "postgresql+psycopg://tienphong:x@127.0.0.1:1/tp_{service}", "GUNICORN_THREADS": "6",
           "TIENPHONG_DATA_DIR": str(tmp_path)}
    parts = build_service(from_env("support", env), "pools", migrate=False)
    # the access pool keeps its half plus 2 open, with no overflow opened and closed under load
    for engine, size, overflow in ((parts.engine, 6, POOL_OVERFLOW), (parts.access.engine, 3 + POOL_OVERFLOW, 0)):
        assert isinstance(engine.pool, QueuePool)
        assert (engine.pool.size(), engine.pool._max_overflow) == (size, overflow)
    assert from_env("support", env | {"TIENPHONG_DB_POOL_SIZE": "4"}).db_pool_size == 4
    assert from_env("support", {}).db_pool_size == 8
