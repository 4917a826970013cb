"""The SQLite library is configured once per process, before its first connection (no memory statistics, no
mutex per connection), and left alone when a connection is already open. Each case runs in a fresh
interpreter: the configuration is the process's."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

PRELUDE = """
import ctypes, sqlite3, sys, threading
sys.path.insert(0, {repo!r})
from sqlalchemy import text
from shared.bulk.sqlite import tune_library as tune_sqlite_library
from shared.db import make_engine
library = ctypes.CDLL("libsqlite3.so.0")
library.sqlite3_memory_used.restype = ctypes.c_int64
"""


def run(body: str, tmp_path: Path) -> str:
    script = PRELUDE.format(repo=str(REPO)) + textwrap.dedent(body)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=tmp_path, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_first_engine_configures_the_library(tmp_path: Path) -> None:
    out = run(f"""
        engine = make_engine("sqlite:///{tmp_path / 'a.db'}")
        print("tuned", tune_sqlite_library())
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE t (x INTEGER)"))
            conn.execute(text("INSERT INTO t VALUES (1), (2)"))
            # memory statistics are off: the open connection's allocations are not counted
            print("counted", library.sqlite3_memory_used())
        seen = []
        # a pooled connection handed to another thread works as before
        worker = threading.Thread(target=lambda: seen.append(
            engine.connect().execute(text("SELECT sum(x) FROM t")).scalar()))
        worker.start()
        worker.join()
        print("sum", seen[0])
    """, tmp_path)
    assert out.split() == ["tuned", "True", "counted", "0", "sum", "3"]


def test_library_in_use_is_left_alone(tmp_path: Path) -> None:
    out = run(f"""
        open_first = sqlite3.connect("{tmp_path / 'b.db'}")
        open_first.execute("CREATE TABLE t (x INTEGER)")
        print("tuned", tune_sqlite_library())
        print("counting", library.sqlite3_memory_used() > 0)
        open_first.execute("INSERT INTO t VALUES (5)")
        print("sum", open_first.execute("SELECT sum(x) FROM t").fetchone()[0])
        open_first.close()
        engine = make_engine("sqlite:///{tmp_path / 'b.db'}")  # nothing open now: configured
        print("tuned", tune_sqlite_library())
    """, tmp_path)
    assert out.split() == ["tuned", "False", "counting", "True", "sum", "5", "tuned", "True"]
