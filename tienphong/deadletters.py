"""`tienphong deadletters list|show|replay`: the records a consumer could not apply, for operators."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from shared.config import from_env

CONSUMERS = ("reporting", "support")


def _table(service: str) -> Any:
    module = __import__(f"services.{service}.store", fromlist=["dead_letters", "VERSIONS"])
    return module.dead_letters, module.VERSIONS


def _origin(text: str) -> tuple[str, int, int]:
    """TOPIC/PARTITION/OFFSET, as `list` prints them."""
    topic, partition, offset = text.rsplit("/", 2)
    return topic, int(partition), int(offset)


def command(args: argparse.Namespace) -> int:
    from shared.db import make_engine, migrate
    from shared.messaging import deadletters
    services = [args.service] if args.service else list(CONSUMERS)
    status = 0
    sent: set[tuple[str, int, int]] = set()
    for service in services:
        config = from_env(service)
        table, versions = _table(service)
        engine = make_engine(config.database_url)
        migrate(engine, versions)
        if args.action == "list":
            for entry in deadletters.listing(engine, table, include_replayed=args.all):
                state = f"replayed {entry['replayed_at']:%Y-%m-%d %H:%M}" if entry["replayed_at"] else "waiting"
                print(f"{service}\t{entry['topic']}/{entry['partition']}/{entry['offset']}\t{entry['category']}\t"
                      f"{entry['size']} bytes\t{entry['recorded_at']:%Y-%m-%d %H:%M}\t{state}\t{entry['reason']}")
        elif args.action == "show":
            row = deadletters.one(engine, table, *_origin(args.origin))
            if row is None:
                continue
            value = row.pop("value") or b""
            for name, field in row.items():
                print(f"{name}: {field!r}" if isinstance(field, bytes) else f"{name}: {field}")
            print(f"value ({len(value)} bytes, first {min(len(value), args.bytes)}):")
            sys.stdout.write(value[:args.bytes].decode("utf-8", "replace") + "\n")
            return 0
        elif args.action == "replay":
            from shared.messaging.outbox import make_producer
            producer = make_producer(config.kafka_bootstrap_servers, f"tienphong-{service}-replay")
            try:
                which = [_origin(o) for o in args.origins] or None
                replayed = deadletters.replay(engine, table, producer, which, sent)
            finally:
                producer.close(timeout=10)
            print(f"{service}: {len(replayed)} dead letter(s) replayed")
            sent.update(replayed)
    if args.action == "show":
        print(f"no dead letter {args.origin}", file=sys.stderr)
        status = 1
    return status


def add_parser(sub: Any) -> None:
    parser = sub.add_parser("deadletters", help="records a consumer could not apply: list, show, replay")
    actions = parser.add_subparsers(dest="action", required=True)
    listing = actions.add_parser("list", help="dead letters not replayed yet (--all: those replayed too)")
    listing.add_argument("--all", action="store_true")
    show = actions.add_parser("show", help="one dead letter, with the start of its value")
    show.add_argument("origin", metavar="TOPIC/PARTITION/OFFSET")
    show.add_argument("--bytes", type=int, default=2000, help="how much of the value to print")
    replay = actions.add_parser("replay", help="after a fix: send them again to their topics (never counted "
                                "twice: consumers drop an event they already applied)")
    replay.add_argument("origins", nargs="*", metavar="TOPIC/PARTITION/OFFSET", help="default: every one waiting")
    for action in (listing, show, replay):
        action.add_argument("--service", choices=CONSUMERS, help="whose consumer (default: both)")
    parser.set_defaults(func=command)
