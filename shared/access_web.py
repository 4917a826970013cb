"""Authentication of /api/v1 requests: bearer key (or dashboard session), rate limit, scope checks."""

from __future__ import annotations

import logging
from collections.abc import Callable

from flask import Flask, current_app, g, request

from shared.auth import AccessStore, Principal, parse_token
from shared.orgunits import OrgTree
from shared.ratelimit import RateLimiter, retry_after_header
from shared.ratelimit_store import SharedRateLimiter
from shared.web import ApiError

log = logging.getLogger("tienphong.access")

PUBLIC_PATHS = frozenset({"/api/v1/openapi.json"})
# app.extensions entry through which a service with dashboard accounts lets a session cookie stand in
# for a bearer key (shared/sessions.py sets it; in the write services only for accounts bound to an agency).
SESSION_PRINCIPAL = "tienphong.session_principal"

SessionPrincipal = Callable[[], Principal | None]


def use_session_principal(app: Flask, session_principal: SessionPrincipal) -> None:
    app.extensions[SESSION_PRINCIPAL] = session_principal


Limiter = RateLimiter | SharedRateLimiter


def install_auth(app: Flask, store: AccessStore, limiter: Limiter, session_principal: SessionPrincipal | None = None,
                 session_limiter: Limiter | None = None) -> None:
    """Bearer keys take from `limiter` (sized for machines); people reading with a session cookie from
    `session_limiter` when given (sized for people), so a person's quick page views never meet a machine's limit
    and a key's script never eats a person's budget."""
    if session_principal is not None:
        use_session_principal(app, session_principal)

    @app.before_request
    def _authenticate() -> None:
        if not request.path.startswith("/api/v1/") or request.path in PUBLIC_PATHS:
            return
        principal: Principal | None = None
        budget = limiter
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() == "bearer":
            principal = store.authenticate(token.strip())
        elif (from_session := current_app.extensions.get(SESSION_PRINCIPAL)) is not None:
            principal = from_session()
            budget = session_limiter or limiter
        if principal is None:
            # the key id alone (never the secret, nor a malformed token) says which key was refused
            parsed = parse_token(token.strip())
            log.info("refused %s %s: no valid credentials (key %s)", request.method, request.path,
                     parsed[0] if parsed else "none or malformed")
            raise ApiError(401, "unauthorized", headers={"WWW-Authenticate": 'Bearer realm="tienphong"'})
        wait = budget.acquire(principal.key_id)
        if wait > 0:
            log.warning("rate limited %s on %s %s", principal.key_id, request.method, request.path)
            raise ApiError(429, "rate_limited", headers={"Retry-After": retry_after_header(wait)})
        g.principal = principal


def current_principal() -> Principal:
    principal: Principal | None = g.get("principal")
    if principal is None:
        raise ApiError(401, "unauthorized")
    return principal


def require_scope(tree: OrgTree, org_unit: str) -> None:
    """403 unless the caller's scope reaches `org_unit`."""
    principal = current_principal()
    if not tree.within(org_unit, principal.scope):
        raise ApiError(403, "out_of_scope")
