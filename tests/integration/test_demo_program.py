"""The demo program: the same seed gives the same summaries in two fresh systems, loading it again records
nothing, and the program is the one the README promises (every funding source, corrections, Thọ Xuân
reaching the target of 10 successful models and other districts not). Once in-process through the Flask
test clients, once as `tienphong demo` over HTTP against the services running as processes."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import func, select

from services.registration import store as registration_store
from services.support import store as support_store
from shared.config import from_env
from shared.events.types import FUNDING_SOURCES
from shared.orgunits import OrgTree, load
from tests.support.processes import running_processes
from tests.support.system import System
from tests.support.write_checks import engine, shared_system, trace
from tienphong import demo

SEED = 2017
DISTRICTS = ("TX", "TS", "THH", "YD")


class SystemTransport:
    """The demo's requests through the in-process services; waiting for support's view means relaying
    and consuming what is in the outboxes right now."""

    def __init__(self, system: System) -> None:
        self.system = system

    def request(self, method: str, service: str, path: str, headers: dict[str, str],
                body: dict[str, Any] | None = None) -> tuple[int, Mapping[str, str], dict[str, Any]]:
        reply = getattr(self.system, service).open(f"/api/v1{path}", method=method, headers=headers, json=body)
        return reply.status_code, reply.headers, reply.get_json(silent=True) or {}

    def wait(self, seconds: float) -> None:
        self.system.sync()


def tree_of(system: System) -> OrgTree:
    return load(from_env("registration", system.env).org_units_file)


def load_demo(system: System, data_dir: Path) -> tuple[demo.Stats, dict[str, dict[str, Any]]]:
    client = demo.Client(demo.demo_keys(data_dir / "demo-keys.json", system.env), SEED, SystemTransport(system))
    stats = demo.load_program(client, tree_of(system), SEED, scale=1, progress=False, workers=1)
    system.sync()
    return stats, demo.summaries(client, tree_of(system))


def retractions(system: System) -> dict[str, int]:
    counts = {}
    for service, table in (("registration", registration_store.events), ("support", support_store.events)):
        with engine(system, service).connect() as conn:
            counts[service] = conn.execute(select(func.count()).select_from(table)
                                           .where(table.c.type == "event.retracted")).scalar_one()
    return counts


def check_the_program(summaries: dict[str, dict[str, Any]]) -> None:
    province = summaries["TH"]
    totals = province["totals"]
    # counts per district are fixed by the program (times the scale), whatever the seed
    assert (totals["registered"], totals["selected"], totals["rejected"]) == (70, 59, 11), totals
    assert totals["successful"] == 35 and totals["evaluated"] == 59
    for metric in ("trained", "funded", "supported", "commended", "replications", "jobs_created"):
        assert totals[metric] > 0, metric
    assert set(province["funding_by_source"]) == set(FUNDING_SOURCES)
    assert all(amount > 0 for amount in province["funding_by_source"].values())
    assert sum(province["funding_by_source"].values()) == totals["funding_vnd"]
    assert len(province["by_sector"]) >= 6
    achieved = {code: summaries[code]["target"]["achieved"] for code in DISTRICTS}
    assert achieved == {"TX": 13, "TS": 7, "THH": 10, "YD": 5}
    assert all(summaries[code]["target"]["successful_models"] == 10 for code in DISTRICTS)
    tho_xuan = summaries["TX"]
    assert tho_xuan["target"]["achieved"] >= tho_xuan["target"]["successful_models"]
    assert [d for d in DISTRICTS if summaries[d]["target"]["achieved"] < 10], "some district must fall short"
    assert sum(1 for child in tho_xuan["children"] if child["totals"]["registered"]) >= 10


def test_the_same_seed_gives_the_same_summaries_and_loading_again_records_nothing(
        system: System, bootstrap: str, tmp_path: Path) -> None:
    stats, summaries = load_demo(system, tmp_path)
    assert stats.conflicts == 0 and stats.replayed == 0
    assert stats.created == stats.steps
    assert 1_000 <= stats.created <= 2_000, "a dev start stays quick"
    check_the_program(summaries)
    assert retractions(system) == {"registration": 2, "support": 3}
    projection = system.reporting.get("/api/v1/projection", headers=system.key("viewer", "TH")).get_json()
    assert projection["events_applied"] == stats.created and projection["dead_letters"] == 0
    loans = system.reporting.get("/api/v1/loans/TH?as_of=2018-12-31", headers=system.key("viewer", "TH")).get_json()
    totals = loans["totals"]  # repaid on schedule by most, overdue by the discontinued
    assert totals["repaid_principal_vnd"] > 0 and totals["repaid_interest_vnd"] > 0 and 0 < totals["par30"] < 1
    assert all(totals["overdue"][bucket]["loans"] for bucket in ("1_30", "31_90", "over_90")), totals

    recorded = trace(system)
    again, summaries_again = load_demo(system, tmp_path)
    assert (again.created, again.replayed, again.conflicts) == (0, stats.steps, 0)
    assert trace(system) == recorded and system.publish() == 0
    assert summaries_again == summaries

    with shared_system(bootstrap, tmp_path / "second") as other:
        other_stats, other_summaries = load_demo(other, tmp_path / "second")
    assert other_stats.created == stats.created
    assert other_summaries == summaries


# --- over HTTP, as `make dev` does it ------------------------------------------------------------------

@pytest.fixture
def running(env: dict[str, str], tmp_path: Path) -> Iterator[dict[str, str]]:
    """The three services, relays and consumers as processes (as in tests/e2e), on free ports."""
    with running_processes(env, tmp_path) as urls:
        yield urls


@pytest.mark.timeout(900)
def test_tienphong_demo_over_http_loads_the_program_once(running: dict[str, str], env: dict[str, str]) -> None:
    argv = [sys.executable, "-m", "tienphong.cli", "demo", "--seed", str(SEED), "--no-progress",
            *(arg for service, url in running.items() if service != "gateway"  # the demo posts to each service
              for arg in (f"--{service}-url", url))]
    first = subprocess.run(argv, env=os.environ | env, capture_output=True, text=True, timeout=600)
    assert first.returncode == 0, first.stdout + first.stderr
    assert "1439 requests: 1439 events recorded, 0 already there, 0 conflicts" in first.stdout, first.stdout
    lines = first.stdout.splitlines()
    assert any(line.startswith("Thọ Xuân") and "13 / 10 reached" in line for line in lines), first.stdout
    assert any(line.startswith("Yên Định") and "5 / 10 not yet" in line for line in lines), first.stdout

    viewer = {"Authorization": "Bearer " + demo.demo_keys(Path(env["TIENPHONG_DATA_DIR"]) / "demo-keys.json",
                                                          env)["viewer"]}
    summaries = {code: requests.get(f"{running['reporting']}/api/v1/summary/{code}?as_of=2018-12-31",
                                    headers=viewer, timeout=30).json() for code in ("TH", *DISTRICTS)}
    check_the_program(summaries)

    again = subprocess.run(argv, env=os.environ | env, capture_output=True, text=True, timeout=600)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "1439 requests: 0 events recorded, 1439 already there, 0 conflicts" in again.stdout, again.stdout
    assert {code: requests.get(f"{running['reporting']}/api/v1/summary/{code}?as_of=2018-12-31",
                               headers=viewer, timeout=30).json() for code in ("TH", *DISTRICTS)} == summaries
