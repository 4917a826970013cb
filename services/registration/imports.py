"""Commune registration lists from Excel or CSV: the template, and the import as ONE write.

Every row goes through RegistrationBody and handlers.register, exactly like POST /participants, inside a
single unit of work: the file is recorded whole or not at all. A row whose person is already registered
(same normalized name, birth date and commune) records nothing and is reported as such, so re-sending a
file is safe: the answer is then 200 "0 new, N already registered". Two rows for one person in the same
file are an error.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from flask import Blueprint, Response, jsonify, request
from marshmallow import ValidationError
from openpyxl.utils.datetime import from_excel

from services.registration import handlers, schemas
from services.registration.template import (
    BY_FIELD,
    CHOICES,
    XLSX_MIMETYPE,
    Column,
    Table,
    column_map,
    file_error,
    normalized,
    read_table,
    template_workbook,
)
from shared.access_web import current_principal
from shared.events.types import ParticipantRegistered
from shared.eventstore import ConcurrentWrite, EventStore, StoredReply
from shared.i18n import field_message
from shared.orgunits import OrgTree
from shared.rules import RuleViolation, clean_name, identity_name
from shared.web import doc, lang
from shared.write_api import IDEMPOTENCY_KEY, Writer, violation_response
from shared.writes import Context, Idempotency, Reply, UnitOfWork, authorize, run_write

MAX_LISTED_PROBLEMS = 1_000  # a file wrong everywhere still gets a readable answer
IMPORT_RESPONSES = {200: "nothing new: every row was already registered", 201: "rows recorded",
                    401: "no valid key", 403: "not allowed", 413: "file over 1 MiB or too many rows",
                    415: "not a spreadsheet (XLSX or UTF-8 CSV) or not multipart", 422: "rows refused (listed)",
                    429: "rate limited"}


@dataclass
class RowProblem:
    row: int
    column: str  # the Vietnamese header, as the person fixing the file sees it
    field_name: str | None
    code: str
    vi: str
    en: str

    def as_dict(self, language: str) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "field": self.field_name, "code": self.code,
                "message": self.en if language == "en" else self.vi}


@dataclass
class Row:
    number: int
    body: dict[str, Any] = field(default_factory=dict)
    problems: list[RowProblem] = field(default_factory=list)

    def problem(self, column: Column | None, code: str, vi: str, en: str) -> None:
        self.problems.append(RowProblem(self.number, column.header if column else "", column.field if column else None,
                                        code, vi, en))


class CellProblem(Exception):
    def __init__(self, vi: str, en: str) -> None:
        super().__init__(en)
        self.vi, self.en = vi, en


# --- cells -> request bodies ----------------------------------------------------------------------

DMY = re.compile(r"([0-9]{1,2})[/.-]([0-9]{1,2})[/.-]([0-9]{4})")
ISO = re.compile(r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})")


def _as_text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date):
        return value.strftime("%d/%m/%Y")
    return str(value).strip()


def _as_date(value: Any) -> str:
    """Excel date cells, Excel day numbers, and text typed as dd/mm/yyyy (or yyyy-mm-dd)."""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, int | float) and not isinstance(value, bool) and 1 <= value < 2_958_466:
        return from_excel(value).date().isoformat()  # a date cell that lost its date format
    text = _as_text(value)
    for pattern, order in ((DMY, (3, 2, 1)), (ISO, (1, 2, 3))):
        match = pattern.fullmatch(text)
        if match:
            try:
                return date(*(int(match.group(i)) for i in order)).isoformat()
            except ValueError:
                break
    raise CellProblem(f"Ngày không hợp lệ: '{text[:40]}'. Nhập ô kiểu ngày hoặc chữ dạng dd/mm/yyyy, "
                      "ví dụ 22/06/2017.",
                      f"Invalid date: '{text[:40]}'. Use a date cell or text as dd/mm/yyyy, e.g. 22/06/2017.")


def _as_phone(value: Any) -> str:
    text = _as_text(value)
    if isinstance(value, int | float) and len(text) == 9:
        text = "0" + text  # Excel kept the number and dropped its leading zero
    return text


def _as_choice(kind: str, value: Any) -> Any:
    if isinstance(value, bool) and kind == "yes_no":
        return value
    choice = CHOICES[kind].get(normalized(_as_text(value)))
    if choice is None:
        vi, en = {"gender": ("Nam, Nữ hoặc Khác", "Nam, Nữ or Khác (male, female, other)"),
                  "branch_kind": ("Khu dân cư, Trường học, Doanh nghiệp hoặc Khác",
                                  "Khu dân cư, Trường học, Doanh nghiệp or Khác"),
                  "yes_no": ("Có hoặc Không", "Có or Không (yes or no)")}[kind]
        raise CellProblem(f"Phải là {vi}.", f"Must be {en}.")
    return choice


def _as_org_unit(value: Any, tree: OrgTree) -> str:
    """A code (any case) or the unique name of a commune; anything else goes on to the rules as typed."""
    text = _as_text(value)
    if text in tree:
        return text
    for unit in tree:
        if unit.code.casefold() == text.casefold():
            return unit.code
    named = [u.code for u in tree if u.level == "commune" and normalized(u.name) == normalized(text)]
    return named[0] if len(named) == 1 else text


def _convert(column: Column, value: Any, tree: OrgTree) -> Any:
    if column.kind == "date":
        return _as_date(value)
    if column.kind == "phone":
        return _as_phone(value)
    if column.kind in CHOICES:
        return _as_choice(column.kind, value)
    if column.kind == "org_unit":
        return _as_org_unit(value, tree)
    return _as_text(value)


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def parse_rows(table: Table, tree: OrgTree, org_unit: str | None) -> list[Row]:
    """Each data row as a validated registration body, or with its problems, cell by cell."""
    mapping = column_map(table.headers, org_unit_given=org_unit is not None)
    formulas = {(r, c) for r, c in table.formulas}
    rows: list[Row] = []
    for number, values in table.rows:
        cells = {c.field: (values[i] if i < len(values) else None, (number, i) in formulas)
                 for i, c in mapping.items()}
        if all(_blank(v) for v, _ in cells.values()):
            continue  # only the row-number column filled in: a row of the template left empty
        row = Row(number)
        for name, (value, is_formula) in cells.items():
            column = BY_FIELD[name]
            if is_formula:
                row.problem(column, "formula", "Ô chứa công thức; hãy dán giá trị (Paste Values) thay cho công thức.",
                            "The cell holds a formula; paste the values instead.")
            elif _blank(value):
                if column.required and not (name == "org_unit" and org_unit):
                    row.problem(column, "required", "Ô này không được để trống.", "This cell may not be blank.")
            else:
                try:
                    row.body[name] = _convert(column, value, tree)
                except CellProblem as problem:
                    row.problem(column, "validation_failed", problem.vi, problem.en)
        if org_unit and "org_unit" not in row.body and "org_unit" not in {p.field_name for p in row.problems}:
            row.body["org_unit"] = org_unit
        commune = row.body.get("org_unit")
        if org_unit and isinstance(commune, str) and commune in tree and not tree.within(commune, org_unit):
            row.problem(BY_FIELD["org_unit"], "outside_import_unit",
                        f"Đơn vị {commune} không thuộc {org_unit}, đơn vị đã chọn cho cả tệp.",
                        f"{commune} is not within {org_unit}, the org unit chosen for the whole file.")
        _validate(row)
        rows.append(row)
    _mark_repeats(rows)
    return rows


def _validate(row: Row) -> None:
    """The same schema as POST /participants; fields already refused above are not reported twice."""
    failed = {p.field_name for p in row.problems if p.field_name}
    try:
        row.body = dict(schemas.RegistrationBody().load(row.body, partial=tuple(failed)))
    except ValidationError as exc:
        messages = exc.messages if isinstance(exc.messages, dict) else {"_schema": exc.messages}
        for name, texts in messages.items():
            text = texts[0] if isinstance(texts, list) and texts else str(texts)
            row.problem(BY_FIELD.get(str(name)), "validation_failed", field_message(str(text), "vi"),
                        field_message(str(text), "en"))


def _identity(body: dict[str, Any]) -> str:
    """As handlers.register computes it: the same person is the same normalized name, birth date, unit."""
    return f"{identity_name(clean_name(body['full_name']))}|{body['birth_date'].isoformat()}|{body['org_unit']}"


def _mark_repeats(rows: list[Row]) -> None:
    first_row: dict[str, int] = {}
    for row in rows:
        if row.problems:
            continue
        identity = _identity(row.body)
        if identity in first_row:
            row.problem(BY_FIELD["full_name"], "duplicate_row",
                        f"Trùng với dòng {first_row[identity]} (cùng họ tên, ngày sinh và xã).",
                        f"Same person as row {first_row[identity]} (same name, birth date and commune).")
        else:
            first_row[identity] = row.number


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

            def reuse(stored: StoredReply) -> Reply:
                if idempotency is not None and stored.request_hash != idempotency.request_hash:
                    raise RuleViolation(409, "idempotency_key_reused", "Idempotency-Key",
                                        "Idempotency-Key này đã dùng cho một yêu cầu khác.",
                                        "This Idempotency-Key was used for a different request.")
                return Reply(stored.status, stored.body, {"Idempotent-Replayed": "true"})

            reply = run_write(lambda: UnitOfWork(writer.engine, writer.store, writer.outbox, writer.topic),
                              lambda uow: record_rows(rows, filename, uow, ctx, language), idempotency, reuse)
        except RuleViolation as violation:
            return violation_response(violation)
        except ConcurrentWrite:
            return violation_response(RuleViolation(
                409, "concurrent_write", None, "Một lần nhập khác đang ghi cùng lúc; hãy thử lại.",
                "Another import was being recorded at the same time; retry."))
        response = jsonify(reply.body)
        response.status_code = reply.status
        response.headers.update(reply.headers)
        return response

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
