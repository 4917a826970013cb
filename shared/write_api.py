"""HTTP glue of the write services: run a handler as one idempotent unit of work, answer in the
contract's shape. Business rules raise RuleViolation; they never reach a 500."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask import Response, jsonify, request
from marshmallow import Schema
from sqlalchemy import Engine, Table

from shared import group_commit
from shared.access_web import current_principal
from shared.eventstore import ConcurrentWrite, EventStore, StoredReply
from shared.grouping import grouping
from shared.hierarchy_store import HierarchySource
from shared.i18n import bilingual
from shared.orgunits import OrgTree
from shared.plausibility import Thresholds
from shared.rules import RuleViolation
from shared.web import ApiError, doc, lang
from shared.writes import Context, Idempotency, Reply, UnitOfWork, run_write

Handler = Callable[[UnitOfWork, Context], Reply]

# Headers every write takes, for the OpenAPI document of both write services.
LANGUAGE_PARAM = {"name": "Accept-Language", "in": "header", "required": False,
                  "description": "`en` for English messages; Vietnamese otherwise", "schema": {"type": "string"}}
WRITE_PARAMS = [
    {"name": "Idempotency-Key", "in": "header", "required": False,
     "description": "A retry with the same key returns the first response (same status and body) and records "
                    "nothing; the same key with another request is 409 idempotency_key_reused. A refused "
                    "request does not use up its key.",
     "schema": {"type": "string", "minLength": 1, "maxLength": 200, "pattern": "^[\\x21-\\x7e]+$"}},
    LANGUAGE_PARAM,
]


def write_doc(summary: str, body: type[Schema], reply: type[Schema], responses: dict[int, str],
              tags: list[str]) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """The OpenAPI description of a write endpoint: its body, reply, errors and headers."""
    return doc(summary, body=body, responses=responses, response_schema=reply, tags=tags, params=WRITE_PARAMS)
# Visible ASCII only: the key is stored and compared as given, and must survive any proxy unchanged.
IDEMPOTENCY_KEY = re.compile(r"[\x21-\x7e]{1,200}")


def violation_response(violation: RuleViolation) -> Response:
    english = lang() == "en"
    message = violation.en if english else violation.vi
    fields = {violation.field_name: message} if violation.field_name else {}
    fields |= {name: en if english else vi for name, (vi, en) in violation.more_fields.items()}
    body = {"code": violation.code, "message": message, "fields": fields, **violation.extra}
    response = jsonify({"error": body})
    response.status_code = violation.status
    return response


def canonical_body() -> bytes:
    """The JSON body as a retry compares it: a client that re-serializes its request (other key order or
    spacing) is still sending the same request."""
    payload = request.get_json(silent=True)
    if payload is None:
        return request.get_data()
    return json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()


# What a 422 may also be on a write with figures (shared.plausibility), for the OpenAPI documents
CONFIRMATION_REQUIRED = ("; implausible figures to confirm, named in error.fields and listed in error.confirmable "
                         "(confirmation_required): send again with confirmed_implausible")

# What a retraction answers differently from the other writes of either service (OpenAPI text).
RETRACTION_CHANGES = {
    201: "recorded: event_id, type, participant_id, retracted_event_id",
    403: "only the agency that posted the event, or an admin, in scope (forbidden, out_of_scope)",
    404: "no such event in this service (unknown_event)",
    409: "already_retracted (with retraction_event_id), not_retractable (a retraction), idempotency_key_reused"}

@dataclass
class Writer:
    engine: Engine
    store: EventStore
    outbox: Table
    topic: str
    tree: OrgTree
    service: str
    program_start: date
    today: Callable[[], date] = date.today
    limits: Thresholds = Thresholds()
    hierarchy: HierarchySource | None = None  # the changes of the hierarchy this service knows

    def __post_init__(self) -> None:
        self.group = group_commit.for_engine(self.engine)  # SQLite: writes arriving together share a commit

    def context(self) -> Context:
        today = self.today()
        if self.hierarchy is None:
            return Context(self.tree, current_principal(), today, self.program_start, self.service, self.limits)
        known = self.hierarchy.current()
        return Context(grouping(known, today), current_principal(), today, self.program_start, self.service,
                       self.limits, known)

    def execute(self, handler: Handler) -> Response:
        ctx = self.context()
        return self.run(lambda uow: handler(uow, ctx), self.request_idempotency(ctx))

    def request_idempotency(self, ctx: Context) -> Idempotency | None:
        """The request's Idempotency-Key (422 when malformed), bound to its method, path and body."""
        key = request.headers.get("Idempotency-Key")
        if key is None:
            return None
        if not IDEMPOTENCY_KEY.fullmatch(key):
            raise ApiError(422, "validation_failed", fields={"Idempotency-Key": bilingual(
                "1-200 ký tự ASCII nhìn thấy được (không dấu cách).",
                "1-200 visible ASCII characters (no spaces).")})
        return Idempotency(ctx.principal.key_id, key,
                           EventStore.request_hash(request.method, request.path, canonical_body()))

    def run(self, work: Callable[[UnitOfWork], Reply], idempotency: Idempotency | None,
            conflict: tuple[str, str] = ("Một thay đổi khác vừa được ghi cho đoàn viên này; hãy thử lại.",
                                         "Another change to this participant was just recorded; retry.")
            ) -> Response:
        """One idempotent unit of work, answered in the contract's shape (`conflict`: vi/en message
        when a concurrent write won every retry)."""

        def reuse(stored: StoredReply) -> Reply:
            if idempotency is not None and stored.request_hash != idempotency.request_hash:
                raise RuleViolation(409, "idempotency_key_reused", "Idempotency-Key",
                                    "Idempotency-Key này đã dùng cho một yêu cầu khác.",
                                    "This Idempotency-Key was used for a different request.")
            return Reply(stored.status, stored.body, {"Idempotent-Replayed": "true"})

        try:
            reply = run_write(lambda: UnitOfWork(self.engine, self.store, self.outbox, self.topic),
                              work, idempotency, reuse, self.group)
        except RuleViolation as violation:
            return violation_response(violation)
        except ConcurrentWrite:
            return violation_response(RuleViolation(409, "concurrent_write", None, *conflict))
        response = jsonify(reply.body)
        response.status_code = reply.status
        response.headers.update(reply.headers)
        return response
