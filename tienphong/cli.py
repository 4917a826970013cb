"""The `tienphong` command: run services and workers, manage keys and accounts, load demo data."""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence

from shared.config import SERVICE_PORTS, from_env, service_port
from tienphong import cli_access

SERVICES = tuple(SERVICE_PORTS)


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
    cli_access.add_parser(sub)
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
