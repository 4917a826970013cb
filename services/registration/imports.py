"""Commune registration lists from Excel or CSV: GET the template, POST the list as ONE write.

Every row goes through RegistrationBody and handlers.register, exactly like POST /participants, inside a
single unit of work: the file is recorded whole or not at all. A row whose person is already registered
(same normalized name, birth date and commune) records nothing and is reported as such, so re-sending a
file is safe: the answer is then 200 "0 new, N already registered". Two rows for one person in the same
file are an error.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from flask import Blueprint, Response, request

from services.registration import handlers
from services.registration.rows import Row, RowProblem, parse_rows
from services.registration.spreadsheets import read_table
from services.registration.template import BY_FIELD, XLSX_MIMETYPE, file_error, template_workbook
from shared.access_web import current_principal
from shared.events.types import ParticipantRegistered
from shared.eventstore import EventStore
from shared.orgunits import OrgTree
from shared.rules import RuleViolation
from shared.web import doc, lang
from shared.write_api import IDEMPOTENCY_KEY, Writer, violation_response
from shared.writes import Context, Idempotency, Reply, UnitOfWork, authorize

MAX_LISTED_PROBLEMS = 1_000  # a file wrong everywhere still gets a readable answer
IMPORT_RESPONSES = {200: "nothing new: every row was already registered", 201: "rows recorded",
                    401: "no valid key", 403: "not allowed", 413: "file over 1 MiB or too many rows",
                    415: "not a spreadsheet (XLSX or UTF-8 CSV) or not multipart", 422: "rows refused (listed)",
                    429: "rate limited"}


# --- the all-or-nothing write ---------------------------------------------------------------------

def record_rows(rows: list[Row], filename: str, uow: UnitOfWork, ctx: Context, language: str) -> Reply:
    """Register every row in this one unit of work; any failing row makes the reply a 422 listing all
    of them, and run_write then rolls the whole transaction back."""
    problems = [p for row in rows for p in row.problems]
    outcomes: list[dict[str, Any]] = []
    created: set[str] = set()
    for row in rows:
        if row.problems:
            continue
        try:
            with uow.conn.begin_nested():  # a refused row leaves nothing behind, even mid-way
                reply = handlers.register(row.body, uow, ctx)
        except RuleViolation as violation:
            existing = violation.extra.get("participant_id")
            if violation.code == "duplicate_participant" and existing not in created:
                outcomes.append({"row": row.number, "participant_id": existing, "status": "already_registered"})
                continue
            column = BY_FIELD.get(violation.field_name or "") or (BY_FIELD["org_unit"] if violation.status == 403
                                                                   else None)
            problems.append(RowProblem(row.number, column.header if column else "",
                                       column.field if column else None, violation.code, violation.vi, violation.en))
            continue
        created.add(reply.body["participant_id"])
        outcomes.append({"row": row.number, "participant_id": reply.body["participant_id"],
                         "event_id": reply.body["event_id"], "status": "registered"})
    if problems:
        return _refusal(problems, filename, language)
    new = len(created)
    old = len(outcomes) - new
    return Reply(201 if new else 200, {
        "file": filename, "rows": len(outcomes), "new": new, "already_registered": old,
        "message": (f"{new} new, {old} already registered" if language == "en"
                    else f"{new} người mới, {old} người đã đăng ký trước đó"),
        "participants": outcomes,
    })


def _refusal(problems: list[RowProblem], filename: str, language: str) -> Reply:
    problems.sort(key=lambda p: (p.row, p.column))
    failing = len({p.row for p in problems})
    message = (f"{failing} row(s) of the file are invalid; nothing was recorded. Fix them and send the whole file "
               "again." if language == "en" else
               f"Tệp có {failing} dòng lỗi; chưa dòng nào được ghi nhận. Sửa các dòng dưới đây rồi gửi lại cả tệp.")
    listed = problems[:MAX_LISTED_PROBLEMS]
    return Reply(422, {"error": {
        "code": "import_rejected", "message": message, "fields": {"file": message}, "file": filename,
        "failing_rows": failing, "problems_total": len(problems), "truncated": len(listed) < len(problems),
        "rows": [p.as_dict(language) for p in listed],
    }})


# --- HTTP -------------------------------------------------------------------------------------------

def _upload() -> tuple[bytes, str, str | None]:
    if request.mimetype != "multipart/form-data":
        raise RuleViolation(415, "unsupported_media_type", None,
                            "Gửi tệp dạng multipart/form-data, trong trường 'file'.",
                            "Send the file as multipart/form-data, in the field 'file'.")
    try:
        upload, org_unit = request.files.get("file"), request.form.get("org_unit", "").strip() or None
    except ValueError:
        raise RuleViolation(400, "bad_request", None, "Nội dung multipart không hợp lệ.",
                            "Malformed multipart body.") from None
    if upload is None:
        raise RuleViolation(422, "validation_failed", "file", "Thiếu tệp (trường 'file').",
                            "No file (field 'file').")
    filename = re.sub(r"[\x00-\x1f\x7f]", "", (upload.filename or "").replace("\\", "/").rsplit("/", 1)[-1])[:200]
    return upload.read(), filename, org_unit


def _check_org_unit(tree: OrgTree, ctx: Context, org_unit: str | None) -> None:
    if org_unit is None:
        return
    if org_unit not in tree:
        raise RuleViolation(422, "validation_failed", "org_unit", "Không có đơn vị này trong danh sách đơn vị.",
                            "No such org unit in the hierarchy.")
    authorize(ctx, ParticipantRegistered.TYPE, org_unit)


def blueprint(writer: Writer, tree: OrgTree) -> Blueprint:
    bp = Blueprint("registration_imports", __name__, url_prefix="/api/v1")

    @bp.get("/imports/template.xlsx")
    @doc("The registration list template (XLSX, Vietnamese headers, notes and commune codes)",
         responses={200: "the template", 401: "no valid key"}, tags=["imports"])
    def template() -> Response:
        scope = current_principal().scope
        communes = [u for u in tree if u.level == "commune" and tree.within(u.code, scope)]
        return Response(template_workbook(communes), mimetype=XLSX_MIMETYPE, headers={
            "Content-Disposition": 'attachment; filename="mau-danh-sach-dang-ky.xlsx"'})

    @bp.post("/imports")
    @doc("Import a registration list (multipart: file = XLSX or CSV, org_unit optional): all rows or none",
         responses=IMPORT_RESPONSES, tags=["imports"])
    def upload() -> Response:
        ctx = writer.context()
        language = lang()
        try:
            authorize(ctx, ParticipantRegistered.TYPE, "")
            content, filename, org_unit = _upload()
            _check_org_unit(tree, ctx, org_unit)
            idempotency = _idempotency(ctx, content, org_unit)
            rows = parse_rows(read_table(content), tree, org_unit)
            if not rows:
                raise file_error(422, "no_rows", "Tệp không có dòng dữ liệu nào dưới dòng tiêu đề.",
                                 "The file has no rows below its header row.")
        except RuleViolation as violation:
            return violation_response(violation)
        return writer.run(lambda uow: record_rows(rows, filename, uow, ctx, language), idempotency,
                          conflict=("Một lần nhập khác đang ghi cùng lúc; hãy thử lại.",
                                    "Another import was being recorded at the same time; retry."))

    return bp


def _idempotency(ctx: Context, content: bytes, org_unit: str | None) -> Idempotency | None:
    """Keyed on the file's bytes and the org unit, not the multipart body (whose boundary is random)."""
    key = request.headers.get("Idempotency-Key")
    if key is None:
        return None
    if not IDEMPOTENCY_KEY.fullmatch(key):
        raise RuleViolation(422, "validation_failed", "Idempotency-Key",
                            "1-200 ký tự ASCII nhìn thấy được (không dấu cách).",
                            "1-200 visible ASCII characters (no spaces).")
    digest = hashlib.sha256(content).hexdigest() + "|" + (org_unit or "")
    return Idempotency(ctx.principal.key_id, key, EventStore.request_hash("POST", request.path, digest.encode()))
