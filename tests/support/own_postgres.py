"""A PostgreSQL server of a test's own (the machine's PostgreSQL 15 binaries, a fresh cluster on a free
port), for tests that stop and start the database under running processes: never the shared cluster."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from sqlalchemy import create_engine, text

from tests.support.broker import free_port
from tests.support.databases import SERVICES

BIN = Path(os.environ.get("TIENPHONG_PG_BIN", "/usr/lib/postgresql/15/bin"))


class OwnPostgres:
    def __init__(self) -> None:
        # under /tmp, not a test's tmp_path: the server's user must reach it (pytest's folders are root's
        # alone), and its socket path must stay short
        self.directory = Path(tempfile.mkdtemp(prefix="tienphong-pg-"))
        self.port = free_port()
        self._initialized = False

    def _run(self, *argv: str) -> None:
        # PostgreSQL refuses to run as root: the tests (and CI) do, so the server runs as `postgres`
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        done = subprocess.run([*prefix, *argv], capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(argv)} failed:\n{done.stdout}\n{done.stderr}")

    def start(self) -> None:
        if not self._initialized:
            if os.geteuid() == 0:
                shutil.chown(self.directory, "postgres", "postgres")
            self._run(str(BIN / "initdb"), "-D", str(self.directory / "data"), "-U", "tienphong",
                      "--auth=trust", "-E", "UTF8", "--no-sync")
        self._run(str(BIN / "pg_ctl"), "-D", str(self.directory / "data"), "-l", str(self.directory / "server.log"),
                  "-w", "-t", "60", "-o", f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1",
                  "start")
        if not self._initialized:
            engine = create_engine(self.url("postgres"), isolation_level="AUTOCOMMIT")
            with engine.connect() as conn:
                for service in SERVICES:
                    conn.execute(text(f'CREATE DATABASE "own_{service}"'))
            engine.dispose()
            self._initialized = True

    def stop(self) -> None:
        if (self.directory / "data" / "postmaster.pid").exists():
            self._run(str(BIN / "pg_ctl"), "-D", str(self.directory / "data"), "-w", "-m", "fast", "stop")

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.directory, ignore_errors=True)

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://tienphong@127.0.0.1:{self.port}/{database}?sslmode=disable"

    def template(self) -> str:
        """DATABASE_URL with one database per service."""
        return self.url("own_{service}")
