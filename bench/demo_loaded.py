"""The demo program loaded into an in-process system (its write services, projected into reporting), for the
read benchmarks that time reads on it (bench/dashboard_view.py, bench/report_documents.py)."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.integration.test_demo_program import SEED, SystemTransport, tree_of
from tests.support.system import System, settings
from tienphong import demo


@contextmanager
def demo_loaded(scale: int) -> Iterator[System]:
    """The system after the demo at `scale` is posted and projected (SQLite, $KAFKA_BOOTSTRAP_SERVERS)."""
    with tempfile.TemporaryDirectory() as tmp:
        system = System(settings(Path(tmp), os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092"), None))
        try:
            client = demo.Client(demo.demo_keys(Path(tmp) / "demo-keys.json", system.env), SEED,
                                 SystemTransport(system))
            stats = demo.load_program(client, tree_of(system), SEED, scale=scale, progress=False, workers=1)
            system.sync()
            print(f"demo scale {scale}: {stats.line()}")
            yield system
        finally:
            system.close()
