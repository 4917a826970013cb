"""`tienphong demo`: the demo program (tienphong/demo_program.py) posted through the public HTTP API with
the agencies' own keys, deterministic for a seed.

Every request carries an Idempotency-Key derived from the seed, the scale and the step, so loading twice
records nothing new. The keys are created once and kept in the data dir (demo-keys.json).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import groupby
from typing import Any

import requests
from tqdm import tqdm

from shared.config import SERVICE_PORTS, from_env, service_port
from shared.orgunits import OrgTree
from tienphong import demo_data, demo_program
from tienphong.demo_access import demo_account, demo_agencies, demo_keys
from tienphong.demo_client import Client, DemoError, HttpTransport

__all__ = ["Client", "DemoError", "HttpTransport", "demo_account", "demo_agencies", "demo_keys", "load_program",
           "load_small", "summaries"]

AS_OF = "2018-12-31"
MARKER = "demo-loaded.json"


@dataclass
class Stats:
    steps: int = 0
    created: int = 0  # events recorded by this run
    replayed: int = 0  # already recorded by an earlier run with the same seed and scale
    conflicts: int = 0  # 409: already there under another key (another seed or scale, by hand)
    seconds: float = 0.0

    def line(self) -> str:
        return (f"{self.steps} requests: {self.created} events recorded, {self.replayed} already there, "
                f"{self.conflicts} conflicts, in {self.seconds:.1f}s")


def communes_by_district(tree: OrgTree) -> dict[str, list[str]]:
    return {d.code: [c.code for c in tree.children(d.code)] for d in tree.children("TH")}


def load_program(client: Client, tree: OrgTree, seed: int, scale: int = 1, progress: bool = True,
                 workers: int = 4) -> Stats:
    """Post the program day by day (business dates), so the dashboards fill in as the program unfolded.
    Within a day, each person's requests go in order, different people's side by side (`workers`)."""
    steps = demo_program.build(seed, scale, communes_by_district(tree))
    participants: dict[str, str] = {}
    events: dict[str, str] = {}
    skipped: set[str] = set()
    stats = Stats(steps=len(steps))
    lock = threading.Lock()
    bar = tqdm(total=len(steps), desc=f"demo seed {seed} scale {scale}", unit="req", disable=not progress,
               file=sys.stderr, mininterval=0.5)

    def post(step: demo_program.Step) -> None:
        if step.person in skipped:
            return
        path = step.path.replace("{participant}", participants.get(step.person or "", ""))
        if "{event:" in path:
            target = path.split("{event:", 1)[1].split("}", 1)[0]
            if target not in events:  # the event was refused as a conflict: nothing to retract
                with lock:
                    stats.conflicts += 1
                return
            path = path.replace(f"{{event:{target}}}", events[target])
        status, reply, replayed = client.post(step.service, path, step.agency, step.body,
                                              f"demo-{seed}-{scale}-{step.tag}")
        with lock:
            if status == 409:
                stats.conflicts += 1
                if step.binds is not None:  # the person was registered by other means: leave them alone
                    skipped.add(step.binds)
                return
            stats.replayed += replayed
            stats.created += not replayed
            events[step.tag] = reply["event_id"]
            if step.binds is not None:
                participants[step.binds] = reply["participant_id"]

    def run_chain(chain: list[demo_program.Step]) -> None:
        for step in chain:
            post(step)
            bar.update()

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        for _day, same_day in groupby(steps, key=lambda s: s.day):
            chains: dict[str, list[demo_program.Step]] = {}
            for step in same_day:
                chains.setdefault((step.person or step.binds or step.tag).split("~")[0], []).append(step)
            if workers <= 1 or len(chains) == 1:
                for chain in chains.values():
                    run_chain(chain)
            else:
                list(pool.map(run_chain, chains.values()))
    bar.close()
    stats.seconds = time.monotonic() - started
    return stats


def wait_for_reporting(client: Client, events_applied: int, timeout: float = 120.0) -> bool:
    """Until the reporting read models have applied at least this many events."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if int(client.get("reporting", "/projection").get("events_applied", 0)) >= events_applied:
            return True
        client.transport.wait(0.5)
    return False


def summaries(client: Client, tree: OrgTree, as_of: str = AS_OF) -> dict[str, dict[str, Any]]:
    """The province and each district, as the dashboards show them."""
    return {code: client.get("reporting", f"/summary/{code}?as_of={as_of}")
            for code in ["TH", *(d.code for d in tree.children("TH"))]}


def targets_table(summary: dict[str, Any]) -> str:
    lines = [f"{'district':14s} registered selected funded successful / target   funding (VND)"]
    for child in summary["children"]:
        totals, target = child["totals"], child["target"]
        mark = "reached" if target["achieved"] >= target["successful_models"] else "not yet"
        lines.append(f"{child['org_unit']['name']:14s} {totals['registered']:10d} {totals['selected']:8d} "
                     f"{totals['funded']:6d} {target['achieved']:10d} / {target['successful_models']:<3d}"
                     f"{mark:8s} {totals['funding_vnd']:>16,}")
    return "\n".join(lines)


def load_small(seed: int = 2017, count: int = 12, client: Client | None = None) -> int:
    """A few registrations in Thọ Xuân, most selected, some trained and funded."""
    client = client or Client(demo_keys(), seed)
    rng = random.Random(seed)
    communes = communes_by_district(_tree())["TX"]
    recorded = 0
    for i in range(count):
        family, given = rng.choice(demo_data.FAMILY), rng.choice(demo_data.MALE[1])
        model, sector, _ = rng.choice(demo_data.MODELS)
        registered_on = date(2017, 6, 1) + timedelta(days=rng.randrange(21))
        status, reply, _ = client.post("registration", "/participants", f"commune:{communes[i % len(communes)]}", {
            "full_name": f"{family} {rng.choice(demo_data.MALE[0])} {given}",
            "birth_date": date(1985 + rng.randrange(14), 1 + rng.randrange(12), 1 + rng.randrange(28)).isoformat(),
            "gender": "male", "org_unit": communes[i % len(communes)],
            "branch_name": f"Chi đoàn thôn {1 + rng.randrange(9)}", "branch_kind": "residential",
            "model_name": model, "has_existing_model": rng.random() < 0.5,
            "registered_on": registered_on.isoformat()}, f"demo-{seed}-reg-{i}")
        if status == 409:
            continue
        participant_id = reply["participant_id"]
        recorded += 1
        if i % 4 == 3:
            continue
        client.post("registration", f"/participants/{participant_id}/decisions", "union:TX", {
            "decision": "selected", "sector": sector, "decided_on": "2017-06-30"}, f"demo-{seed}-dec-{i}")
        client.post("support", f"/participants/{participant_id}/trainings", "union:TX", {
            "trained_on": "2017-07-15", "course": "Tập huấn khởi sự doanh nghiệp", "kind": "course"},
            f"demo-{seed}-tr-{i}")
        if i % 2 == 0:
            client.post("support", f"/participants/{participant_id}/fundings", "vbsp", {
                "disbursed_on": "2017-08-20", "source": "vbsp", "amount_vnd": 50_000_000 + 10_000_000 * (i % 5),
                "lender": "NHCSXH huyện Thọ Xuân", "term_months": 36}, f"demo-{seed}-fund-{i}")
    return recorded


def _tree() -> OrgTree:
    from shared.orgunits import load
    return load(from_env("access").org_units_file)


def load_full(seed: int = 2017, scale: int = 1, urls: dict[str, str] | None = None, progress: bool = True,
              report: Callable[[str], None] = print, reform: bool = False) -> Stats:
    """The whole program into running services (with `reform`, the 2025 reform of the hierarchy after it);
    then, once reporting has caught up, the targets."""
    transport = HttpTransport(urls) if urls else HttpTransport()
    client = Client(demo_keys(), seed, transport)
    tree = _tree()
    before = int(client.get("reporting", "/projection").get("events_applied", 0))
    stats = load_program(client, tree, seed, scale, progress)
    if reform:
        report(load_reform(client))
    report(f"demo (seed {seed}, scale {scale}): {stats.line()}")
    if wait_for_reporting(client, before + stats.created):
        report(f"as of {AS_OF}:\n" + targets_table(client.get("reporting", f"/summary/TH?as_of={AS_OF}")))
    else:
        report("reporting has not caught up yet; the dashboards fill in as it does")
    return stats


def load_reform(client: Client) -> str:
    """The 2025 reform of the demo's province, an ILLUSTRATIVE mapping (shared/data/reform_2025_illustrative.yaml),
    posted by the demo's admin key once (its Idempotency-Key is its content's)."""
    from tienphong.org_units import DEMO_REFORM, idempotency_key, read_requests
    status, replayed = 201, False
    for request in read_requests(DEMO_REFORM):
        status, _, replayed = client.post("registration", "/org-units/changes", "admin", request,
                                          idempotency_key(request))
    return (f"hierarchy: the 2025 reform (illustrative mapping, {DEMO_REFORM.name}) "
            f"{'already recorded' if replayed or status == 409 else 'recorded'}")


def load_for_dev(seed: int = 2017) -> None:
    """`tienphong run`: the full demo once per data dir (a later start finds it there and skips it)."""
    marker = from_env("access").data_dir / MARKER
    if marker.exists() and json.loads(marker.read_text()).get("seed") == seed:
        print(f"demo data already loaded (seed {seed}); `tienphong demo` loads it again")
        return
    try:
        stats = load_full(seed, reform=True)
    except (DemoError, requests.RequestException) as exc:
        print(f"demo data not loaded: {exc}", file=sys.stderr)
        return
    marker.write_text(json.dumps({"seed": seed, "scale": 1, "events": stats.created}))


def main(args: argparse.Namespace) -> int:
    urls = {service: url for service in SERVICE_PORTS
            if (url := getattr(args, f"{service}_url", None))}
    defaults = {service: f"http://127.0.0.1:{service_port(service)}" for service in SERVICE_PORTS}
    try:
        if args.small:
            client = Client(demo_keys(), args.seed, HttpTransport(defaults | urls))
            count = load_small(args.seed, 12 * max(1, args.scale), client)
            print(f"demo loaded: {count} registrations (seed {args.seed})")
            return 0
        load_full(args.seed, max(1, args.scale), defaults | urls, progress=not args.no_progress, reform=True)
    except DemoError as exc:
        print(f"demo stopped: {exc}", file=sys.stderr)
        return 1
    except requests.RequestException as exc:
        print(f"demo stopped: a service did not answer ({exc}); is `tienphong run` running?", file=sys.stderr)
        return 1
    return 0
