"""What a province's follow-up reads cost on the demo program: the JSON period report, its XLSX, DOCX and PDF
(báo cáo) and the alerts, through reporting's real app in-process (Flask's test client) on SQLite, after the
demo program (`--scale K` times its volumes) is loaded through the write services and projected. Prints the
median of `--repeat` requests of each; asserts nothing.

    KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:39092 PYTHONPATH=. .venv/bin/python bench/report_documents.py [--scale 1]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.demo_loaded import demo_loaded  # noqa: E402

READS = {"report JSON": "/api/v1/reports/TH?period=2018-H1",
         "report XLSX": "/api/v1/reports/TH.xlsx?period=2018-H1",
         "báo cáo DOCX": "/api/v1/reports/TH.docx?period=2018-H1",
         "báo cáo PDF": "/api/v1/reports/TH.pdf?period=2018-H1",
         "alerts": "/api/v1/alerts/TH?as_of=2018-06-30"}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with demo_loaded(args.scale) as system:
        viewer = system.key("viewer", "TH")
        for name, path in READS.items():
            times, size = [], 0
            for _ in range(args.repeat):
                start = time.perf_counter()
                reply = system.reporting.get(path, headers=viewer)
                times.append(time.perf_counter() - start)
                assert reply.status_code == 200, (path, reply.status_code)
                size = len(reply.data)
            print(f"{name:14} median {statistics.median(times) * 1000:7.1f} ms  ({size:,} bytes)")


if __name__ == "__main__":
    main()
