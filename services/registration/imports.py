"""Commune registration lists from Excel or CSV: GET the template, POST the list as ONE write
(/imports and /imports/template.xlsx, also /imports/participants...; the other kinds: import_kinds.py).

Every row goes through RegistrationBody and handlers.register, exactly like POST /participants, inside a
single unit of work: the file is recorded whole or not at all. A row whose person is already registered
(same normalized name, birth date and commune) records nothing and is reported as such, so re-sending a
file is safe: the answer is then 200 "0 new, N already registered". Two rows for one person in the same
file are an error.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response
from sqlalchemy import Engine, select

from services.registration import handlers, schemas
from services.registration.import_kinds import EVENT_KINDS, SECTOR
from services.registration.import_layout import REGISTRATIONS
from services.registration.store import participant_list
from shared.events.types import ParticipantRegistered
from shared.imports.cells import Row, RowProblem, read_rows
from shared.imports.kinds import (
    IMPORT_RESPONSES,
    LANG_PARAM,
    TEMPLATE_RESPONSES,
    ImportKind,
    add_routes,
    template_response,
    upload_response,
)
from shared.imports.reading import Table
from shared.imports.template import Roster
from shared.imports.upload import refusal
from shared.orgunits import OrgTree
from shared.rules import RuleViolation, clean_name, identity_name
from shared.web import doc
from shared.write_api import Writer
from shared.writes import Context, Reply, UnitOfWork, authorize


def parse_rows(table: Table, tree: OrgTree, org_unit: str | None) -> list[Row]:
    """Each data row as a validated registration body (the schema of POST /participants), or with its
    problems; a second row for one person is one of them."""
    rows = read_rows(table, REGISTRATIONS, tree, org_unit, schemas.RegistrationBody())
    _mark_repeats(rows)
    return rows



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
            column = REGISTRATIONS.column(violation.field_name or "") or (
                REGISTRATIONS.column("org_unit") if violation.status == 403 else None)
            problems.append(RowProblem(row.number, column.header if column else "",
                                       column.field if column else None, violation.code, violation.vi, violation.en))
            continue
        created.add(reply.body["participant_id"])
        outcomes.append({"row": row.number, "participant_id": reply.body["participant_id"],
                         "event_id": reply.body["event_id"], "status": "registered"})
    if problems:
        return refusal(problems, filename, language)
    new = len(created)
    old = len(outcomes) - new
    return Reply(201 if new else 200, {
        "file": filename, "rows": len(outcomes), "new": new, "already_registered": old,
        "message": (f"{new} new, {old} already registered" if language == "en"
                    else f"{new} người mới, {old} người đã đăng ký trước đó"),
        "participants": outcomes,
    })


def _may_import(ctx: Context) -> None:
    authorize(ctx, ParticipantRegistered.TYPE, "")


PARTICIPANTS = ImportKind("participants", REGISTRATIONS, "Import a registration list", "mau-danh-sach-dang-ky.xlsx",
                          _may_import, parse_rows, record_rows)


def blueprint(writer: Writer, tree: OrgTree) -> Blueprint:
    bp = Blueprint("registration_imports", __name__, url_prefix="/api/v1")

    @bp.get("/imports/template.xlsx")
    @doc("The registration list template (XLSX, Vietnamese headers, notes and commune codes)",
         responses=TEMPLATE_RESPONSES, params=[LANG_PARAM], tags=["imports"])
    def template() -> Response:
        return template_response(writer.context().tree, PARTICIPANTS)

    @bp.post("/imports")
    @doc("Import a registration list (multipart: file = XLSX or CSV, org_unit optional): all rows or none",
         responses=IMPORT_RESPONSES, tags=["imports"])
    def upload() -> Response:
        return upload_response(writer, PARTICIPANTS)

    add_routes(bp, writer, tree, (PARTICIPANTS, *EVENT_KINDS), roster=lambda scope: _roster(writer.engine, tree, scope))
    return bp


ROSTER_HEADERS = ["Mã đoàn viên", "Họ và tên", "Mã xã/thị trấn", "Tình trạng", "Nhóm ngành nghề"]
STATUS_LABELS = {"registered": "Chờ xét chọn", "selected": "Đã được chọn", "rejected": "Không được chọn"}
MAX_ROSTER = 50_000  # a province's participants, and then some


def _roster(engine: Engine, tree: OrgTree, scope: str) -> Roster:
    """The participants registered within `scope`, for the templates of the lists that name them by id."""
    listed = participant_list.c
    with engine.connect() as conn:
        rows = conn.execute(select(listed.participant_id, listed.full_name, listed.org_unit, listed.status,
                                   listed.sector).where(listed.org_unit.in_(sorted(tree.descendants(scope))))
                            .order_by(listed.org_unit, listed.full_name).limit(MAX_ROSTER)).all()
    return ROSTER_HEADERS, [(r.participant_id, r.full_name, r.org_unit, STATUS_LABELS.get(r.status, r.status),
                             SECTOR.labels.get(r.sector or "", "")) for r in rows]


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
            row.problem(REGISTRATIONS.column("full_name"), "duplicate_row",
                        f"Trùng với dòng {first_row[identity]} (cùng họ tên, ngày sinh và xã).",
                        f"Same person as row {first_row[identity]} (same name, birth date and commune).")
        else:
            first_row[identity] = row.number
