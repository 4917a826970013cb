"""Recovery figures of the running system (issue 28): how long after a fault the summaries are exact again.

    .venv/bin/python bench/faults.py                      # SQLite, 3 kills, broker away 60 s
    DATABASE_URL='postgresql+psycopg://tienphong:tienphong@127.0.0.1:5432/tpfault_{service}?sslmode=disable' \
        .venv/bin/python bench/faults.py                  # PostgreSQL (create the four databases first)

Runs every process of `tienphong run` on a broker of its own and prints, for each fault, the seconds from
the fault's end (the consumer killed and started again; the broker started again) until the summary shows
exactly the writes accepted, and how long each worker takes to exit on SIGTERM.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.e2e.test_faults import ledger_for  # noqa: E402
from tests.support.dedicated_broker import DedicatedBroker  # noqa: E402
from tests.support.processes import running_stack  # noqa: E402
from tests.support.system import settings  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--kills", type=int, default=3)
    parser.add_argument("--outage", type=float, default=60.0, help="seconds the broker is away")
    args = parser.parse_args()
    data_dir = Path(tempfile.mkdtemp(prefix="tienphong-faults-"))
    broker = DedicatedBroker(data_dir / "kafka")
    broker.start()
    env = settings(data_dir, broker.bootstrap, os.environ.get("DATABASE_URL"))
    try:
        with running_stack(env, data_dir) as stack:
            ledger = ledger_for(stack)
            for i in range(5):
                ledger.fund(ledger.register(f"Người Đo {i}"), 1_000_000)
            ledger.wait_exact()
            for n in range(args.kills):
                stack.kill("consumer-reporting")
                stack.start("consumer-reporting")
                ledger.register(f"Sau Lần Giết {n}")
                print(f"kill -9 of the reporting consumer #{n + 1}: summary exact after {ledger.wait_exact():.1f}s",
                      flush=True)
            broker.stop()
            stopped, writes = time.monotonic(), 0
            while time.monotonic() - stopped < args.outage:
                ledger.register(f"Khi Mất Kafka {writes}")
                writes += 1
                time.sleep(1)
            broker.start()
            print(f"broker away {args.outage:.0f}s, {writes} registrations accepted meanwhile: summary exact "
                  f"{ledger.wait_exact():.1f}s after it was back", flush=True)
            for name in ("consumer-reporting", "consumer-support", "relay-registration", "relay-support"):
                started = time.monotonic()
                stack.kill(name, signal.SIGTERM)
                print(f"SIGTERM of {name}: exited in {time.monotonic() - started:.1f}s "
                      f"(code {stack.children[name].returncode})", flush=True)
    finally:
        broker.stop()


if __name__ == "__main__":
    main()
