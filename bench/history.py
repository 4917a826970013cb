"""History reads on a projected read model: the events behind a figure (provenance) at commune, district and
province level, and a province's summary as known at a moment (`known_at`), each timed, with this process's
peak RSS after it. Run by bench/read_side.py in a process of its own, or alone on a data dir:

    .venv/bin/python bench/history.py DATA_DIR        # with DATABASE_URL for PostgreSQL

Prints its figures; asserts none.
"""

from __future__ import annotations

import os
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import func, select  # noqa: E402

from bench.memory import rss_mib  # noqa: E402
from services.reporting import figures as read_figures  # noqa: E402
from services.reporting import provenance  # noqa: E402
from services.reporting.store import active_generation, read_model  # noqa: E402
from shared.config import from_env  # noqa: E402
from shared.db import make_engine  # noqa: E402
from shared.orgunits import load  # noqa: E402
from shared.web import streamed_json  # noqa: E402

AS_OF = date(2018, 12, 31)


def peak_mib() -> float:
    return rss_mib("self", "VmHWM")


def main() -> None:
    env = {"TIENPHONG_DATA_DIR": sys.argv[1]}
    if os.environ.get("DATABASE_URL"):
        env["DATABASE_URL"] = os.environ["DATABASE_URL"]
    config = from_env("reporting", env)
    engine = make_engine(config.database_url, read_only=True)
    tree = load(config.org_units_file)
    with engine.connect() as conn:
        model = read_model(active_generation(conn))
        for code in ("TX-XUANHOA", "TX", "TH"):
            started = time.perf_counter()
            listed = provenance.events_behind(conn, model, tree, code, "commended", AS_OF)
            print(f"provenance of 'commended' in {code:10s}: {listed.total:6,} events in"
                  f" {time.perf_counter() - started:5.2f}s; peak RSS {peak_mib():.0f} MiB")
        # a province's summary as known at moments after which 0 %, ~10 % and ~60 % of its participants had
        # events recorded: the first two are corrected from the current figures, the last recomputed from
        # every event recorded by then (see read_figures.KNOWN_AT_CORRECTED_SHARE)
        e = model.events
        first, last = conn.execute(select(func.min(e.c.recorded_at), func.max(e.c.recorded_at))).one()
        first, last = (t if t.tzinfo else t.replace(tzinfo=UTC) for t in (first, last))
        for label, moment in (("now", datetime.now(UTC)), ("90 % in", first + (last - first) * 0.9),
                              ("40 % in", first + (last - first) * 0.4)):
            started = time.perf_counter()
            with engine.connect() as fresh:  # as a request does (on PostgreSQL, one snapshot from its start)
                figures = read_figures.known_metrics(fresh, model, tree, "TH", [AS_OF], moment)
            print(f"summary of TH as known {label:8s} ({moment:%Y-%m-%d %H:%M}):"
                  f" {figures[AS_OF].get('TH', {}).get('registered', 0):,} registered in"
                  f" {time.perf_counter() - started:5.2f}s; peak RSS {peak_mib():.0f} MiB")
        # what a province dashboard asks for when a figure is clicked: the latest 300 of a long list (registrations
        # all share one decision day in this data; the latest successful evaluations are a part of all)
        for metric, limit in (("funded", 300), ("registered", 300), ("successful", 300), ("funded", None)):
            started = time.perf_counter()  # the whole list last: its peak memory would hide the others'
            with engine.connect() as fresh:
                listed = provenance.events_behind(fresh, model, tree, "TH", metric, AS_OF, limit)
            # written as the API writes it
            size = sum(map(len, streamed_json({"count": listed.total}, "events", listed.shaped()))) / 2**20
            print(f"provenance of {metric!r:12s} in TH, {'whole list' if limit is None else f'latest {limit}':10s}:"
                  f" {listed.total:,} events, {len(listed):,} listed ({size:.1f} MiB of JSON) in"
                  f" {time.perf_counter() - started:5.2f}s; peak RSS {peak_mib():.0f} MiB")


if __name__ == "__main__":
    main()
