"""Agency API keys and dashboard accounts, in the access database every service reads.

Tokens are `tp_<key_id>_<secret>`: the key id finds the row, the secret's SHA-256 is compared in
constant time. A 256-bit random secret needs no slow hash; passwords (chosen by people) do: argon2id.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Column, DateTime, Engine, MetaData, String, Table, insert, select, update

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
)

users = Table(
    "users", metadata,
    Column("username", String(100), primary_key=True),
    Column("password_hash", String(200), nullable=False),
    Column("scope", String(64), nullable=False),
    Column("role", String(20), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

ROLES = ("viewer", "admin")
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


def parse_token(token: str) -> tuple[str, str] | None:
    if not token.startswith("tp_"):
        return None
    key_id, sep, secret = token[3:].partition("_")
    if not sep or not key_id or not secret or len(token) > 200:
        return None
    return key_id, secret


class AccessStore:
    """Keys and users. Authentication results are cached briefly: a revocation reaches every
    service within `cache_seconds`."""

    def __init__(self, engine: Engine, cache_seconds: float = 2.0) -> None:
        self.engine = engine
        self._cache_seconds = cache_seconds
        self._cache: dict[str, tuple[float, Principal | None, str]] = {}
        self._lock = threading.Lock()

    def migrate(self) -> None:
        migrate(self.engine, ACCESS_VERSIONS)

    # --- keys ---------------------------------------------------------------------------------
    def create_key(self, agency: str, kind: str, scope: str, name: str | None = None) -> tuple[str, str]:
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {', '.join(KINDS)}")
        key_id = secrets.token_hex(6)
        secret = secrets.token_urlsafe(32)
        with self.engine.begin() as conn:
            conn.execute(insert(api_keys).values(
                key_id=key_id, agency=agency, kind=kind, scope=scope, name=name,
                secret_hash=_digest(secret), created_at=datetime.now(UTC)))
        return key_id, f"tp_{key_id}_{secret}"

    def list_keys(self) -> list[dict[str, object]]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(api_keys).order_by(api_keys.c.created_at)).mappings().all()
        return [{k: v for k, v in row.items() if k != "secret_hash"} for row in rows]

    def revoke(self, key_id: str) -> bool:
        with self.engine.begin() as conn:
            result = conn.execute(update(api_keys).where(api_keys.c.key_id == key_id,
                                                         api_keys.c.revoked_at.is_(None))
                                  .values(revoked_at=datetime.now(UTC)))
        with self._lock:
            self._cache.pop(key_id, None)
        return result.rowcount > 0

    def authenticate(self, token: str) -> Principal | None:
        parsed = parse_token(token)
        if parsed is None:
            return None
        key_id, secret = parsed
        now = time.monotonic()
        with self._lock:
            cached = self._cache.get(key_id)
        if cached is None or cached[0] < now:
            with self.engine.connect() as conn:
                row = conn.execute(select(api_keys).where(api_keys.c.key_id == key_id)).first()
            principal = None
            digest = ""
            if row is not None and row.revoked_at is None:
                principal = Principal(row.key_id, row.agency, row.kind, row.scope, row.name)
                digest = row.secret_hash
            cached = (now + self._cache_seconds, principal, digest)
            with self._lock:
                self._cache[key_id] = cached
        _, principal, digest = cached
        # compare even when the key is unknown so that timing says nothing
        matches = hmac.compare_digest(_digest(secret), digest or "0" * 64)
        return principal if matches and principal is not None else None

    # --- people -------------------------------------------------------------------------------
    def create_user(self, username: str, password: str, scope: str, role: str) -> None:
        if role not in ROLES:
            raise ValueError(f"role must be one of {', '.join(ROLES)}")
        if len(password) < 10:
            raise ValueError("password must have at least 10 characters")
        with self.engine.begin() as conn:
            conn.execute(insert(users).values(username=username, password_hash=_hasher.hash(password),
                                              scope=scope, role=role, created_at=datetime.now(UTC)))

    def check_password(self, username: str, password: str) -> Principal | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(users).where(users.c.username == username)).first()
        try:
            _hasher.verify(row.password_hash if row else _DUMMY_HASH, password)
        except (VerificationError, InvalidHashError):
            return None
        if row is None:
            return None
        return Principal(key_id=f"user:{row.username}", agency=f"user:{row.username}", kind=row.role,
                         scope=row.scope, name=row.username)
