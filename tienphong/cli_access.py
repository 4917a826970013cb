"""`tienphong keys` and `tienphong users`: agency API keys and dashboard accounts in the access store."""

from __future__ import annotations

import argparse
import os
import sys
from datetime import UTC, date, datetime, timedelta
from typing import Any

from shared.config import from_env


def _access():  # type: ignore[no-untyped-def]
    from shared.auth import AccessStore
    from shared.db import make_engine
    store = AccessStore(make_engine(from_env("access").access_url, durable=True))
    store.migrate()
    return store



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


def add_parser(sub: Any) -> None:
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
