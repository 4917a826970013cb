"""`tienphong org-units import FILE`: post a file of hierarchy change requests (YAML or JSON: one request or
a list of them, each as POST /api/v1/org-units/changes takes it) to the registration service, in order;
`tienphong org-units show [--as-of DATE]`: the hierarchy of a date as registration knows it.

Each request carries an Idempotency-Key made from its content, so importing the same file again records
nothing new. Without `--url` the endpoint runs in-process (the registration app built from the environment),
as `tienphong import` does; the admin key comes from `--token` or TIENPHONG_TOKEN.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from shared.config import from_env
from shared.hierarchy import Hierarchy

CHANGES_PATH = "/api/v1/org-units/changes"
# the demo's 2025 reform: an ILLUSTRATIVE mapping, not the official list (see the file's head)
DEMO_REFORM = Path(__file__).resolve().parent.parent / "shared" / "data" / "reform_2025_illustrative.yaml"


def read_requests(path: Path) -> list[dict[str, Any]]:
    """The change requests of a file: a mapping with `changes`, or a list of them (dates as text)."""
    loaded = yaml.safe_load(path.read_text(encoding="utf-8"))  # JSON is YAML too
    requests = loaded if isinstance(loaded, list) else [loaded]
    if not all(isinstance(r, dict) and "changes" in r for r in requests):
        raise ValueError("expected a change request (effective_on, decision, changes) or a list of them")
    return [json.loads(json.dumps(r, default=str)) for r in requests]  # YAML dates as YYYY-MM-DD text


def idempotency_key(request: dict[str, Any]) -> str:
    canonical = json.dumps(request, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "org-units-" + hashlib.sha256(canonical.encode()).hexdigest()[:40]


def post_all(requests: list[dict[str, Any]], token: str, url: str | None = None,
             language: str = "vi") -> list[tuple[int, dict[str, Any]]]:
    """Posts the requests in order, stopping at the first refused; (status, body) of each posted."""
    client: Any = None
    if url is None:
        from services.registration.app import create_app
        client = create_app(from_env("registration")).test_client()
    outcomes: list[tuple[int, dict[str, Any]]] = []
    for request in requests:
        headers = {"Authorization": f"Bearer {token}", "Accept-Language": language,
                   "Idempotency-Key": idempotency_key(request)}
        if url is None:
            reply = client.post(CHANGES_PATH, headers=headers, json=request)
            status, body = reply.status_code, dict(reply.get_json(silent=True) or {})
        else:
            import requests as http  # only for --url

            response = http.post(url.rstrip("/") + CHANGES_PATH, headers=headers, json=request, timeout=60)
            status, body = response.status_code, dict(response.json())
        outcomes.append((status, body))
        if status >= 300:
            break
    return outcomes


def known_hierarchy() -> Hierarchy:
    """The hierarchy with the changes registration recorded (its database, as the services' own source)."""
    from services.registration.store import org_unit_changes
    from shared.db import make_engine
    from shared.hierarchy_store import HierarchySource
    from shared.orgunits import load
    config = from_env("registration")
    engine = make_engine(config.database_url, read_only=True)
    try:
        source = HierarchySource(engine, org_unit_changes, load(config.org_units_file), config.program_start)
        try:
            return source.current()
        except Exception:  # noqa: BLE001 - no registration database yet: the first version
            return Hierarchy(source.first, source.start)
    finally:
        engine.dispose()


def known_scope(scope: str) -> bool:
    """A unit of the hierarchy with its changes (a dissolved one too: a key may read its history)."""
    if known_hierarchy().ever(scope):
        return True
    print(f"unknown org unit {scope}", file=sys.stderr)
    return False


def rescope(store: Any, key_id: str, scope: str) -> int:
    """`tienphong keys rescope KEY --scope UNIT`: what the key reads and writes from now on (docs/access.md)."""
    if not known_scope(scope):
        return 2
    before = store.rescope(key_id, scope)
    if before is None:
        print(f"no active key {key_id}", file=sys.stderr)
        return 1
    print(f"key {key_id}: scope {before} -> {scope} from now on; every service uses it within seconds")
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from tienphong.importing import given_token
    token = given_token(args, "an admin key")
    if not token:
        return 2
    try:
        requests = read_requests(Path(args.file))
    except (OSError, ValueError, yaml.YAMLError) as exc:
        print(f"cannot read {args.file}: {exc}", file=sys.stderr)
        return 2
    outcomes = post_all(requests, token, args.url)
    for number, (status, body) in enumerate(outcomes, start=1):
        request = requests[number - 1]
        if status < 300:
            print(f"{number}. {request.get('decision')}: {len(request['changes'])} thay đổi, hiệu lực "
                  f"{request.get('effective_on')} — {body.get('event_id')}")
            continue
        error = body.get("error", {})
        print(f"{number}. Từ chối ({status} {error.get('code')}): {error.get('message')}")
        for name, text in (error.get("fields") or {}).items():
            print(f"  {name}: {text}")
        return 1
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    day = date.fromisoformat(args.as_of) if args.as_of else date.today()
    hierarchy = known_hierarchy()
    for unit in hierarchy.units_at(day):
        depth = len(hierarchy.tree_at(day).ancestors(unit.code)) - 1
        until = f" – {unit.valid_to}" if unit.valid_to else ""
        print(f"{'  ' * depth}{unit.code}\t{unit.name} ({unit.level}, {unit.valid_from}{until})")
    return 0


def add_parser(sub: Any) -> None:
    units = sub.add_parser("org-units", help="the hierarchy: import change requests, show a date's units")
    units_sub = units.add_subparsers(dest="action", required=True)
    imp = units_sub.add_parser("import", help="post a YAML/JSON file of change requests (all of each, or none)")
    imp.add_argument("file")
    imp.add_argument("--token", help="admin key (default: env TIENPHONG_TOKEN)")
    imp.add_argument("--url", help="a running registration service (default: run the endpoint in-process)")
    imp.set_defaults(func=cmd_import)
    show = units_sub.add_parser("show", help="the units valid on a date (default today)")
    show.add_argument("--as-of", metavar="YYYY-MM-DD")
    show.set_defaults(func=cmd_show)
