"""Changes of the hierarchy (org_unit.changed), recorded by admins: validated against every change recorded
before, applied all together or not at all."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, Response
from marshmallow import fields, validate

from services.registration.store import org_unit_changes
from shared.events.types import HIERARCHY_STREAM, OrgUnitChanged
from shared.hierarchy import MAX_CHANGES, ChangeError, ChangeRequest, Hierarchy
from shared.hierarchy_store import HierarchySource, store_change
from shared.rules import RequestBody, RuleViolation
from shared.web import json_body
from shared.write_api import Writer, write_doc
from shared.write_schemas import RecordedReply
from shared.writes import Context, Reply, UnitOfWork, forbidden, new_event, out_of_scope, recorded


class ChangeRequestBody(RequestBody):
    effective_on = fields.Date(required=True)
    decision = fields.String(required=True, validate=validate.Length(min=1, max=500))
    changes = fields.List(fields.Dict(), required=True, validate=validate.Length(min=1, max=MAX_CHANGES))


class ChangeRecordedReply(RecordedReply):
    effective_on = fields.Date(required=True)
    changes = fields.Integer(required=True)  # how many changes the decision made


RESPONSES = {
    201: "recorded: event_id, type (org_unit.changed), participant_id (the hierarchy's stream), effective_on, "
         "changes (how many)",
    400: "malformed JSON (bad_json)", 401: "no valid key (unauthorized)",
    403: "not an admin key (forbidden), or a unit outside the key's scope (out_of_scope)",
    409: "idempotency_key_reused, concurrent_write", 413: "body over 1 MiB (payload_too_large)",
    415: "not application/json (unsupported_media_type)",
    422: "a change that cannot apply, each named in error.fields as changes[i] (validation_failed)",
    429: "rate limited (Retry-After)"}


def refused(errors: list[ChangeError], number: int) -> RuleViolation:
    """One 422 naming every change of the request that cannot apply (`number`: the request's place)."""
    named: dict[str, tuple[str, str]] = {}
    for error in errors:
        name = "effective_on" if error.index is None else f"changes[{error.index}]"
        if error.request != number:  # the new request breaks a change recorded before (a later one)
            name = "effective_on"
            error = ChangeError(number, None, "Thay đổi này làm một quyết định đã ghi (có hiệu lực sau) không còn "
                                "áp dụng được: " + error.vi,
                                "This request makes a decision recorded before (effective later) "
                                "inapplicable: " + error.en)
        named.setdefault(name, (error.vi, error.en))
    return RuleViolation(422, "validation_failed", None, "Thay đổi đơn vị không hợp lệ.",
                         "The org-unit change cannot be applied.", more_fields=named)


def _referenced(change: dict[str, Any]) -> list[str]:
    codes = [change.get("code"), change.get("into"), change.get("parent")]
    for many in ("from", "into"):
        if isinstance(change.get(many), list):
            codes.extend(change[many])
    return [c for c in codes if isinstance(c, str)]


def record_change(source: HierarchySource, body: dict[str, Any], uow: UnitOfWork, ctx: Context) -> Reply:
    if ctx.principal.kind != "admin":
        raise forbidden()
    before = source.fresh(uow.conn)
    request = ChangeRequest(body["effective_on"], body["decision"], tuple(body["changes"]))
    after = Hierarchy(before.first, before.start, [*before.requests, request])
    if after.errors:
        raise refused(after.errors, after.requests.index(request))
    _check_scope(before, request, ctx)
    data = {"effective_on": request.effective_on, "decision": request.decision, "changes": list(request.changes)}
    root = next(iter(before.first)).code
    envelope = new_event(ctx, OrgUnitChanged, HIERARCHY_STREAM, root, data,
                         uow.store.last_sequence(uow.conn, HIERARCHY_STREAM) + 1)
    uow.record([envelope])
    store_change(uow.conn, org_unit_changes, ChangeRequest(request.effective_on, request.decision, request.changes,
                                                           envelope.event_id), envelope.recorded_at)
    source.forget()
    return recorded(envelope, effective_on=request.effective_on.isoformat(), changes=len(request.changes))


def _check_scope(before: Hierarchy, request: ChangeRequest, ctx: Context) -> None:
    """An admin changes only what lies within its scope on the effective date (new units are not there yet)."""
    day: date = request.effective_on
    within = before.descendants_at(ctx.principal.scope, day)
    for change in request.changes:
        for code in _referenced(change):
            if before.ever(code) and code not in within:
                raise out_of_scope()


def blueprint(writer: Writer, source: HierarchySource) -> Blueprint:
    bp = Blueprint("org_unit_changes", __name__, url_prefix="/api/v1")

    @bp.post("/org-units/changes")
    @write_doc("Record a change of the hierarchy (org_unit.changed): create, rename, merge, split, move, "
               "dissolve, all effective on one date and applied together", ChangeRequestBody, ChangeRecordedReply,
               RESPONSES, ["org units"])
    def change() -> Response:
        body = json_body(ChangeRequestBody())
        return writer.execute(lambda uow, ctx: record_change(source, body, uow, ctx))

    return bp
