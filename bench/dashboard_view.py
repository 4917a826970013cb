"""What a dashboard page view's reads cost on the demo program, and what the trend cost before: the series in
one request (GET /api/v1/series) against one summary per month end (the old page's 19-37 requests), and the page
view's figures (GET /api/v1/dashboard, unfiltered and filtered by a sector), through reporting's real app
in-process (Flask's test client) on SQLite after the demo program is loaded and projected. Prints the median of
`--repeat` runs of each; asserts nothing.

    KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:39092 PYTHONPATH=. .venv/bin/python bench/dashboard_view.py [--scale 1]
"""

from __future__ import annotations

import argparse
import calendar
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.demo_loaded import demo_loaded  # noqa: E402


def median_ms(run: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with demo_loaded(args.scale) as system:
        viewer = system.key("viewer", "TH")

        def get(path: str) -> object:
            reply = system.reporting.get(path, headers=viewer)
            assert reply.status_code == 200, (path, reply.status_code)
            return reply.json

        series = get("/api/v1/series/TH")
        months = [p["month"] for p in series["points"]]  # type: ignore[index]
        ends = [f"{m}-{calendar.monthrange(int(m[:4]), int(m[5:]))[1]:02d}" for m in months]
        print(f"trend of {len(months)} months, Thanh Hóa:")
        one = median_ms(lambda: get("/api/v1/series/TH"), args.repeat)
        each = median_ms(lambda: [get(f"/api/v1/summary/TH?as_of={d}") for d in ends], args.repeat)
        print(f"  one series request          {one:8.1f} ms")
        print(f"  one summary per month end   {each:8.1f} ms  ({len(ends)} requests)")
        for name, path in (("page view, province", "/api/v1/dashboard/TH?as_of=2018-12-31&period=2018-H1"),
                           ("page view, district", "/api/v1/dashboard/TX?as_of=2018-12-31&period=2018-H1"),
                           ("page view, commune + list", "/api/v1/dashboard/TX-XUANLAP?as_of=2018-12-31"),
                           ("province, sector filter", "/api/v1/dashboard/TH?as_of=2018-12-31&period=2018-H1"
                                                       "&sector=livestock")):
            print(f"  {name:27} {median_ms(lambda path=path: get(path), args.repeat):8.1f} ms")


if __name__ == "__main__":
    main()
