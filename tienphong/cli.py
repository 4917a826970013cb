"""The `tienphong` command: run services and workers, manage keys and accounts, load demo data."""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

from shared.config import SERVICE_PORTS, from_env, service_port

SERVICES = tuple(SERVICE_PORTS)


def _access():  # type: ignore[no-untyped-def]
    from shared.auth import AccessStore
    from shared.db import make_engine
    store = AccessStore(make_engine(from_env("access").access_url, durable=True))
    store.migrate()
    return store


def cmd_serve(args: argparse.Namespace) -> int:
    env = dict(os.environ)
    env["TIENPHONG_SERVICE"] = args.service  # names its state directory (tienphong/gunicorn_hooks.py)
    env.setdefault("PORT", str(args.port or service_port(args.service)))
    if args.port:
        env["PORT"] = str(args.port)
    conf = os.path.join(os.path.dirname(__file__), "gunicorn_conf.py")
    argv = [sys.executable, "-m", "gunicorn", "-c", conf, f"services.{args.service}.app:create_app()"]
    os.execvpe(argv[0], argv, env)
    return 0  # not reached


def cmd_gateway(args: argparse.Namespace) -> int:
    """The one address for people (tienphong/gateway.py) under gunicorn: many threads, since each holds a
    connection to a service while an answer streams through."""
    from tienphong.gateway import gateway_port
    env = dict(os.environ)
    env["TIENPHONG_SERVICE"] = "gateway"
    env["PORT"] = str(args.port or env.get("PORT") or gateway_port(env))
    env.setdefault("GUNICORN_THREADS", "32")
    conf = os.path.join(os.path.dirname(__file__), "gunicorn_conf.py")
    argv = [sys.executable, "-m", "gunicorn", "-c", conf, "tienphong.gateway:create_app()"]
    os.execvpe(argv[0], argv, env)
    return 0  # not reached


def cmd_relay(args: argparse.Namespace) -> int:
    from shared.logging import setup
    from tienphong import workers
    config = from_env(args.service)
    setup(config.log_level)
    workers.run_until_signalled(config, lambda: workers.build_relay(config), f"{args.service} relay")
    return 0


def cmd_consume(args: argparse.Namespace) -> int:
    from shared.logging import setup
    from tienphong import workers
    config = from_env(args.service)
    setup(config.log_level)
    from shared.messaging.consumer import settle_gc
    settle_gc()  # a process of its own: only consuming from here on
    workers.run_until_signalled(config, lambda: workers.build_consumer(config), f"{args.service} consumer")
    return 0


def cmd_migrate(args: argparse.Namespace) -> int:
    from tienphong import workers
    unknown = set(args.services) - set(SERVICES)
    if unknown:
        print(f"unknown service(s): {', '.join(sorted(unknown))}", file=sys.stderr)
        return 2
    services = tuple(args.services or SERVICES)
    workers.migrate_all(services)
    for service in services:
        print(f"migrated {service}")
    return 0


def cmd_topics(_: argparse.Namespace) -> int:
    from tienphong import workers
    workers.create_topics(from_env("registration"))
    print("topics ready")
    return 0


def _expiry(args: argparse.Namespace) -> datetime | None:
    """--expires-in-days N from now, or --expires DATE (the key stops working at 00:00 UTC that day)."""
    if args.expires_in_days is not None:
        if args.expires_in_days < 1:
            raise ValueError("--expires-in-days must be at least 1")
        return datetime.now(UTC) + timedelta(days=args.expires_in_days)
    if args.expires is not None:
        try:
            day = date.fromisoformat(args.expires)
        except ValueError:
            raise ValueError("--expires must be a date YYYY-MM-DD") from None
        moment = datetime(day.year, day.month, day.day, tzinfo=UTC)
        if moment <= datetime.now(UTC):
            raise ValueError("--expires must be a date in the future")
        return moment
    return None


def _key_state(key: dict[str, Any]) -> str:
    if key["revoked_at"]:
        return "revoked"
    expires_at = key["expires_at"]
    if expires_at is None:
        return "active"
    return ("expired" if expires_at <= datetime.now(UTC) else "active") + f" until {expires_at:%Y-%m-%dT%H:%MZ}"


def _known_scope(scope: str) -> bool:
    from tienphong.org_units import known_scope
    return known_scope(scope)


def cmd_keys(args: argparse.Namespace) -> int:
    store = _access()
    if args.action == "create":
        if not _known_scope(args.scope):
            return 2
        try:
            expires_at = _expiry(args)
        except ValueError as exc:
            print(str(exc), file=sys.stderr)
            return 2
        key_id, token = store.create_key(args.agency, args.kind, args.scope, args.name, expires_at)
        until = f", expires {expires_at:%Y-%m-%dT%H:%MZ}" if expires_at else ""
        print(f"key {key_id} for agency {args.agency} ({args.kind}, scope {args.scope}{until}); "
              "the token is shown once:")
        print(token)
    elif args.action == "list":
        for key in store.list_keys():
            print(f"{key['key_id']}\t{key['agency']}\t{key['kind']}\t{key['scope']}\t{_key_state(key)}\t"
                  f"{key['name'] or ''}")
    elif args.action == "rescope":
        from tienphong.org_units import rescope
        return rescope(store, args.key_id, args.scope)
    elif args.action == "revoke":
        if not store.revoke(args.key_id):
            print(f"no active key {args.key_id}", file=sys.stderr)
            return 1
        print(f"revoked {args.key_id}; every service refuses it within seconds")
    return 0


def cmd_users(args: argparse.Namespace) -> int:
    import getpass

    from sqlalchemy.exc import IntegrityError
    store = _access()
    if args.action == "list":
        for user in store.list_users():
            bound = f"\t{user['kind']} of {user['agency']}" if user.get("kind") else ""
            print(f"{user['username']}\t{user['role']}\t{user['scope']}{bound}")
        return 0
    if not _known_scope(args.scope):
        return 2
    password = os.environ.get("TIENPHONG_NEW_PASSWORD") or getpass.getpass("password: ")
    try:
        store.create_user(args.username, password, args.scope, args.role, args.agency, args.kind)
    except ValueError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    except IntegrityError:
        print(f"user {args.username} already exists", file=sys.stderr)
        return 1
    writes = f", writes as {args.kind} of {args.agency}" if args.kind else ""
    print(f"user {args.username} ({args.role}, scope {args.scope}{writes}) created")
    return 0


def cmd_projections(args: argparse.Namespace) -> int:
    from shared.logging import setup
    from tienphong import workers
    config = from_env("reporting")
    setup(config.log_level)
    started = time.monotonic()
    from shared.messaging.consumer import settle_gc
    settle_gc()
    generation = workers.rebuild_projections(config, show_progress=not args.quiet, processes=args.processes)
    print(f"read models rebuilt as generation {generation} in {time.monotonic() - started:.1f}s; now serving")
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    from tienphong.supervisor import run_all
    return run_all(with_demo=not args.no_demo)


def cmd_reconcile(_: argparse.Namespace) -> int:
    from shared.logging import setup
    from tienphong.reconciling import reconcile_all
    setup(from_env("registration").log_level)
    for report in reconcile_all():
        print(report.line())
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from tienphong.demo import main as demo_main
    return demo_main(args)


def cmd_import(args: argparse.Namespace) -> int:
    from tienphong import importing
    return importing.write_template(args) if args.what == "template" else importing.main(args)


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="tienphong", description=__doc__)
    sub = root.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run one service under gunicorn")
    serve.add_argument("service", choices=SERVICES)
    serve.add_argument("--port", type=int)
    serve.set_defaults(func=cmd_serve)
    gateway = sub.add_parser("gateway", help="one address for people: pages and every /api/v1 behind one port")
    gateway.add_argument("--port", type=int, help="default PORT, else TIENPHONG_GATEWAY_PORT, else 8000")
    gateway.set_defaults(func=cmd_gateway)
    relay = sub.add_parser("relay", help="publish a write service's outbox to Kafka")
    relay.add_argument("service", choices=("registration", "support"))
    relay.set_defaults(func=cmd_relay)
    consume = sub.add_parser("consume", help="run a service's Kafka consumer")
    consume.add_argument("service", choices=("reporting", "support"))
    consume.set_defaults(func=cmd_consume)
    mig = sub.add_parser("migrate", help="bring databases to the newest schema")
    mig.add_argument("services", nargs="*", metavar="SERVICE", help="registration, support, reporting (default all)")
    mig.set_defaults(func=cmd_migrate)
    sub.add_parser("topics", help="create the Kafka topics").set_defaults(func=cmd_topics)
    keys = sub.add_parser("keys", help="agency API keys")
    keys_sub = keys.add_subparsers(dest="action", required=True)
    create = keys_sub.add_parser("create")
    create.add_argument("--agency", required=True)
    create.add_argument("--kind", required=True, choices=("union", "bank", "business", "viewer", "admin"))
    create.add_argument("--scope", required=True)
    create.add_argument("--name")
    expiry = create.add_mutually_exclusive_group()
    expiry.add_argument("--expires-in-days", type=int, metavar="N", help="the key stops working N days from now")
    expiry.add_argument("--expires", metavar="YYYY-MM-DD", help="the key stops working at 00:00 UTC that day")
    keys_sub.add_parser("list")
    rescope = keys_sub.add_parser("rescope", help="move a key to another unit (after a hierarchy change)")
    rescope.add_argument("key_id")
    rescope.add_argument("--scope", required=True)
    revoke = keys_sub.add_parser("revoke")
    revoke.add_argument("key_id")
    keys.set_defaults(func=cmd_keys)
    users = sub.add_parser("users", help="dashboard accounts")
    users_sub = users.add_subparsers(dest="action", required=True)
    ucreate = users_sub.add_parser("create", help="password from TIENPHONG_NEW_PASSWORD or a prompt")
    ucreate.add_argument("username")
    ucreate.add_argument("--scope", required=True)
    ucreate.add_argument("--role", required=True, choices=("viewer", "admin"))
    ucreate.add_argument("--agency", help="with --kind: the person also writes as this agency (forms)")
    ucreate.add_argument("--kind", choices=("union", "bank", "business"))
    users_sub.add_parser("list")
    users.set_defaults(func=cmd_users)
    projections = sub.add_parser("projections", help="reporting read models")
    projections_sub = projections.add_subparsers(dest="action", required=True)
    rebuild = projections_sub.add_parser("rebuild", help="rebuild from offset 0 while serving, then swap")
    rebuild.add_argument("--quiet", action="store_true", help="no progress bar")
    rebuild.add_argument("--processes", type=int, default=min(2, os.cpu_count() or 1),
                         help="processes sharing the partitions (default: 2, or 1 on one core)")
    projections.set_defaults(func=cmd_projections)
    sub.add_parser("reconcile", help="republish what the topics lack of the event stores (after a broker's "
                   "data loss; idempotent)").set_defaults(func=cmd_reconcile)
    run = sub.add_parser("run", help="run broker-side workers and the three services (make dev)")
    run.add_argument("--no-demo", action="store_true")
    run.set_defaults(func=cmd_run)
    demo = sub.add_parser("demo", help="post demo data through the public HTTP API")
    demo.add_argument("--seed", type=int, default=2017)
    demo.add_argument("--scale", type=int, default=1)
    demo.add_argument("--small", action="store_true", help="a few registrations only")
    demo.add_argument("--no-progress", action="store_true", help="no progress bar")
    for service in SERVICES:
        demo.add_argument(f"--{service}-url", metavar="URL", help=f"default http://127.0.0.1:{SERVICE_PORTS[service]}")
    demo.set_defaults(func=cmd_demo)
    from tienphong import importing
    imp = sub.add_parser("import", help="import a list (XLSX or CSV) as one all-or-nothing write")
    imp_sub = imp.add_subparsers(dest="what", required=True)
    regs = imp_sub.add_parser("registrations", help="every row registered, or none (rows in error listed)")
    regs.add_argument("file")
    regs.add_argument("--org-unit", metavar="CODE", help="unit of the whole file (default: each row's commune)")
    regs.add_argument("--token", help="agency key (default: env TIENPHONG_TOKEN)")
    regs.add_argument("--url", help="a running registration service (default: run the endpoint in-process)")
    for kind, service in importing.KINDS.items():
        listed = imp_sub.add_parser(kind, help=f"a list of {kind}, every row recorded or none ({service} service)")
        listed.add_argument("file")
        listed.add_argument("--token", help="agency key (default: env TIENPHONG_TOKEN)")
        listed.add_argument("--url", help=f"a running {service} service (default: run the endpoint in-process)")
    imp_sub.add_parser("template", help="write the XLSX template").add_argument("file")
    imp.set_defaults(func=cmd_import)
    from tienphong import deadletters, org_units
    deadletters.add_parser(sub)
    org_units.add_parser(sub)
    return root


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    from shared.supervision import follow_supervisor
    follow_supervisor()
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
