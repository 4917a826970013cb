"""Agency API keys and dashboard accounts, in the access database every service reads.

Tokens are `tp_<key_id>_<secret>`: the key id finds the row, the secret's SHA-256 is compared in
constant time. A 256-bit random secret needs no slow hash; passwords (chosen by people) do: argon2id.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Column, DateTime, Engine, MetaData, String, Table, delete, insert, select, update

from shared.db import migrate
from shared.permissions import KINDS

ACCESS_VERSIONS = Path(__file__).resolve().parent / "access_versions"
metadata = MetaData()

api_keys = Table(
    "api_keys", metadata,
    Column("key_id", String(32), primary_key=True),
    Column("agency", String(100), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("scope", String(64), nullable=False),
    Column("name", String(200), nullable=True),
    Column("secret_hash", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("revoked_at", DateTime(timezone=True), nullable=True),
    Column("expires_at", DateTime(timezone=True), nullable=True),
)

users = Table(
    "users", metadata,
    Column("username", String(100), primary_key=True),
    Column("password_hash", String(200), nullable=False),
    Column("scope", String(64), nullable=False),
    Column("role", String(20), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("agency", String(100), nullable=True),  # with kind: the account writes as that agency
    Column("kind", String(20), nullable=True),
)

user_sessions = Table(
    "user_sessions", metadata,
    Column("session_hash", String(64), primary_key=True),
    Column("username", String(100), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("ended_at", DateTime(timezone=True), nullable=True),
)

ROLES = ("viewer", "admin")
WRITING_KINDS = ("union", "bank", "business")  # what an account may be bound to
CACHE_LIMIT = 10_000
_hasher = PasswordHasher()
# A fixed hash to verify against when the user does not exist, so timing does not reveal usernames.
_DUMMY_HASH = _hasher.hash("no-such-user")


@dataclass(frozen=True)
class Principal:
    """Who is calling: an agency key, or a person logged in to the dashboard (kind viewer/admin)."""

    key_id: str
    agency: str
    kind: str
    scope: str
    name: str | None = None


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


# What create_key makes: 12 hex digits, then token_urlsafe(32) (43 characters). The pattern is a
# little wider, so a future longer key still parses; anything else never reaches the database.
_TOKEN = re.compile(r"tp_([0-9a-f]{6,32})_([A-Za-z0-9_\-]{16,128})")


def parse_token(token: str) -> tuple[str, str] | None:
    """(key id, secret) of a well-formed token, else None."""
    match = _TOKEN.fullmatch(token)
    return (match.group(1), match.group(2)) if match else None


def as_utc(moment: datetime | None) -> datetime | None:
    """SQLite gives back naive datetimes; every moment stored here is UTC."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)


@dataclass(frozen=True)
class _Cached:
    fresh_until: float
    principal: Principal | None
    secret_hash: str = ""
    expires_at: datetime | None = None


class AccessStore:
    """Keys and users. Look-ups are cached briefly: a revocation, an expiry or a deleted account
    reaches every service within `cache_seconds`."""

    def __init__(self, engine: Engine, cache_seconds: float = 2.0) -> None:
        self.engine = engine
        self._cache_seconds = cache_seconds
        self._cache: dict[str, _Cached] = {}
        self._lock = threading.Lock()

    def migrate(self) -> None:
        migrate(self.engine, ACCESS_VERSIONS)

    def _cached(self, cache_key: str, load: Callable[[], _Cached]) -> _Cached:
        now = time.monotonic()
        with self._lock:
            cached = self._cache.get(cache_key)
        if cached is None or cached.fresh_until < now:
            cached = load()
            with self._lock:
                self._cache[cache_key] = cached
                if len(self._cache) > CACHE_LIMIT:  # e.g. a flood of made-up key ids: keep only fresh ones
                    self._cache = {k: c for k, c in self._cache.items() if c.fresh_until >= now}
        return cached

    def _forget(self, cache_key: str) -> None:
        with self._lock:
            self._cache.pop(cache_key, None)

    # --- keys ---------------------------------------------------------------------------------
    def create_key(self, agency: str, kind: str, scope: str, name: str | None = None,
                   expires_at: datetime | None = None) -> tuple[str, str]:
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {', '.join(KINDS)}")
        if expires_at is not None and expires_at.tzinfo is None:
            raise ValueError("expires_at must carry a time zone")
        key_id = secrets.token_hex(6)
        secret = secrets.token_urlsafe(32)
        with self.engine.begin() as conn:
            conn.execute(insert(api_keys).values(
                key_id=key_id, agency=agency, kind=kind, scope=scope, name=name,
                secret_hash=_digest(secret), created_at=datetime.now(UTC), expires_at=expires_at))
        return key_id, f"tp_{key_id}_{secret}"

    def list_keys(self) -> list[dict[str, object]]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(api_keys).order_by(api_keys.c.created_at)).mappings().all()
        return [{k: as_utc(v) if isinstance(v, datetime) else v for k, v in row.items() if k != "secret_hash"}
                for row in rows]

    def revoke(self, key_id: str) -> bool:
        with self.engine.begin() as conn:
            result = conn.execute(update(api_keys).where(api_keys.c.key_id == key_id,
                                                         api_keys.c.revoked_at.is_(None))
                                  .values(revoked_at=datetime.now(UTC)))
        self._forget(f"key:{key_id}")
        return result.rowcount > 0

    def rescope(self, key_id: str, scope: str) -> str | None:
        """Moves an active key to another scope from now on (its events keep the units they were recorded
        with); the scope it had, or None when there is no such active key."""
        with self.engine.begin() as conn:
            before = conn.execute(select(api_keys.c.scope).where(api_keys.c.key_id == key_id,
                                                                 api_keys.c.revoked_at.is_(None))).scalar()
            if before is not None:
                conn.execute(update(api_keys).where(api_keys.c.key_id == key_id).values(scope=scope))
        self._forget(f"key:{key_id}")
        return None if before is None else str(before)

    def _load_key(self, key_id: str) -> _Cached:
        with self.engine.connect() as conn:
            row = conn.execute(select(api_keys).where(api_keys.c.key_id == key_id)).first()
        fresh_until = time.monotonic() + self._cache_seconds
        if row is None or row.revoked_at is not None:
            return _Cached(fresh_until, None)
        return _Cached(fresh_until, Principal(row.key_id, row.agency, row.kind, row.scope, row.name),
                       row.secret_hash, as_utc(row.expires_at))

    def authenticate(self, token: str) -> Principal | None:
        """The key's principal when the token is well formed, known, not revoked and not expired."""
        parsed = parse_token(token)
        if parsed is None:
            return None
        key_id, secret = parsed
        cached = self._cached(f"key:{key_id}", lambda: self._load_key(key_id))
        # compare even when the key is unknown so that timing says nothing
        matches = hmac.compare_digest(_digest(secret), cached.secret_hash or "0" * 64)
        if not matches or cached.principal is None:
            return None
        if cached.expires_at is not None and cached.expires_at <= datetime.now(UTC):
            return None
        return cached.principal

    # --- people -------------------------------------------------------------------------------
    def create_user(self, username: str, password: str, scope: str, role: str, agency: str | None = None,
                    kind: str | None = None) -> None:
        """An account; with `agency` and `kind` it also writes what a key of that agency, kind and scope may."""
        if role not in ROLES:
            raise ValueError(f"role must be one of {', '.join(ROLES)}")
        if len(password) < 10:
            raise ValueError("password must have at least 10 characters")
        if (agency is None) != (kind is None) or (kind is not None and kind not in WRITING_KINDS):
            raise ValueError(f"agency and kind go together; kind is one of {', '.join(WRITING_KINDS)}")
        if kind is not None and role != "viewer":
            raise ValueError("an account bound to an agency has the role viewer")
        if kind is not None and len(f"user:{username}") > 64:  # its events' source key id has 64 characters
            raise ValueError("a writing account's username has at most 59 characters")
        with self.engine.begin() as conn:
            conn.execute(insert(users).values(username=username, password_hash=_hasher.hash(password),
                                              scope=scope, role=role, created_at=datetime.now(UTC),
                                              agency=agency, kind=kind))

    def list_users(self) -> list[dict[str, object]]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(users.c.username, users.c.role, users.c.scope, users.c.created_at,
                                       users.c.agency, users.c.kind)
                                .order_by(users.c.username)).mappings().all()
        return [dict(row) for row in rows]

    def check_password(self, username: str, password: str) -> Principal | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(users).where(users.c.username == username)).first()
        try:
            _hasher.verify(row.password_hash if row else _DUMMY_HASH, password)
        except (VerificationError, InvalidHashError):
            return None
        return _user_principal(row) if row is not None else None

    def user_principal(self, username: str) -> Principal | None:
        """A person's current role and scope (a deleted account answers None)."""
        def load() -> _Cached:
            with self.engine.connect() as conn:
                row = conn.execute(select(users).where(users.c.username == username)).first()
            return _Cached(time.monotonic() + self._cache_seconds, _user_principal(row) if row else None)

        return self._cached(f"user:{username}", load).principal

    # --- dashboard sessions: the cookie carries a random id, the database its hash --------------
    def open_session(self, username: str, lifetime: timedelta) -> str:
        session_id = secrets.token_urlsafe(32)
        now = datetime.now(UTC)
        with self.engine.begin() as conn:
            conn.execute(delete(user_sessions).where(user_sessions.c.expires_at < now))
            conn.execute(insert(user_sessions).values(session_hash=_digest(session_id), username=username,
                                                      created_at=now, expires_at=now + lifetime))
        return session_id

    def session_principal(self, session_id: str) -> Principal | None:
        """The person of an open session: not logged out, not expired, account still there."""
        digest = _digest(session_id)

        def load() -> _Cached:
            with self.engine.connect() as conn:
                row = conn.execute(select(users, user_sessions.c.expires_at)
                                   .join(user_sessions, user_sessions.c.username == users.c.username)
                                   .where(user_sessions.c.session_hash == digest,
                                          user_sessions.c.ended_at.is_(None))).first()
            fresh_until = time.monotonic() + self._cache_seconds
            if row is None:
                return _Cached(fresh_until, None)
            return _Cached(fresh_until, _user_principal(row), expires_at=as_utc(row.expires_at))

        cached = self._cached(f"session:{digest}", load)
        if cached.expires_at is None or cached.expires_at <= datetime.now(UTC):
            return None
        return cached.principal

    def close_session(self, session_id: str) -> None:
        digest = _digest(session_id)
        with self.engine.begin() as conn:
            conn.execute(update(user_sessions).where(user_sessions.c.session_hash == digest)
                         .values(ended_at=datetime.now(UTC)))
        self._forget(f"session:{digest}")


def _user_principal(row: Any) -> Principal:
    """A reader has its role as kind; an account bound to an agency acts as a key of that agency and kind
    (its key id stays its own: idempotency keys and the events' source name the person)."""
    return Principal(key_id=f"user:{row.username}", agency=row.agency or f"user:{row.username}",
                     kind=row.kind or row.role, scope=row.scope, name=row.username)
