"""Authentication of /api/v1 requests: bearer key (or dashboard session), rate limit, scope checks."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask, g, request

from shared.auth import AccessStore, Principal
from shared.orgunits import OrgTree
from shared.ratelimit import RateLimiter, retry_after_header
from shared.web import ApiError

PUBLIC_PATHS = frozenset({"/api/v1/openapi.json"})


def install_auth(app: Flask, store: AccessStore, limiter: RateLimiter,
                 session_principal: Callable[[], Principal | None] | None = None) -> None:
    @app.before_request
    def _authenticate() -> None:
        if not request.path.startswith("/api/v1/") or request.path in PUBLIC_PATHS:
            return
        principal: Principal | None = None
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() == "bearer" and token.strip():
            principal = store.authenticate(token.strip())
        elif session_principal is not None:
            principal = session_principal()
        if principal is None:
            raise ApiError(401, "unauthorized", headers={"WWW-Authenticate": 'Bearer realm="tienphong"'})
        wait = limiter.acquire(principal.key_id)
        if wait > 0:
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
