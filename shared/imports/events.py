"""Lists of one kind of participant event (decisions, trainings, fundings ...) as an ImportKind, declared
from the single-event endpoint it stands for: the same request schema reads each row, the same handler
records it (so the same rules, permission and scope checks), all rows in one unit of work.

Re-sending a list records nothing twice: each recorded row leaves its fingerprint (the agency, the kind,
the participant and the row's values as the schema loaded them) in the service's idempotency table, under
a key id of its own (`import:{kind}`), and a row whose fingerprint is there is reported as already
recorded, with the event it recorded. Two rows of one file with the same fingerprint are an error.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

from marshmallow import Schema
from sqlalchemy import Connection, Table, insert, select

from shared.eventstore import dumps
from shared.imports.cells import Row, RowProblem, read_rows
from shared.imports.confirmations import FIGURES_CONFIRMED
from shared.imports.held import HeldUnitOfWork
from shared.imports.kinds import ImportKind
from shared.imports.layout import Choice, Column, Layout
from shared.imports.reading import Table as SheetTable
from shared.imports.upload import refusal
from shared.orgunits import OrgTree
from shared.permissions import may_post
from shared.rules import RuleViolation
from shared.writes import Context, Reply, UnitOfWork, forbidden

PARTICIPANT_ID = Column(
    "participant_id", "Mã đoàn viên", "text", True,
    "Mã do hệ thống cấp khi đăng ký (participant_id): trên trang của đoàn viên, trong danh sách đoàn viên "
    "hoặc kết quả nhập danh sách đăng ký.", "5b1f7c0e-8d2a-4f3e-9a61-2c4d8e7f9a10", 38, ("mã bí thư", "id"))
PARTICIPANT_NAME = Column(
    "full_name", "Họ và tên", "text", False,
    "Không bắt buộc, chỉ để người đọc đối chiếu: đoàn viên được xác định theo mã, tên không được ghi nhận.",
    "Lê Văn An", 24, ("họ tên",))
def date_column(name: str, header: str, example: date, aliases: tuple[str, ...] = ()) -> Column:
    """The event's business date, required."""
    return Column(name, header, "date", True, "Ô kiểu ngày, hoặc chữ dạng dd/mm/yyyy.", example, 14, aliases)


RESEND_NOTE = "Gửi lại cùng tệp không ghi trùng: dòng đã ghi nhận trước đó được báo là đã ghi nhận."


def event_layout(title: str, row_note: str, columns: Sequence[Column], choices: dict[str, Choice],
                 path_column: Column = PARTICIPANT_ID, reference: Sequence[Column] = (PARTICIPANT_NAME,),
                 max_rows: int = 10_000, max_bytes: int = 4 * 1024 * 1024) -> Layout:
    """The list of one event kind: the id its endpoint takes from the path first, then columns only for the
    reader, then the body's columns (an `org_unit` column among them takes the whole file's org unit). 10,000
    rows of a bank's list with every column come to about 1.2 MB as CSV: 4 MiB leaves room."""
    return Layout(title=title, columns=(path_column, *reference, *columns), choices=choices, max_rows=max_rows,
                  max_bytes=max_bytes,
                  unit_field="org_unit" if any(c.field == "org_unit" for c in columns) else "",
                  path_fields=(path_column.field,), reference_fields=tuple(c.field for c in reference),
                  row_note=f"Mỗi dòng của trang 'Danh sách' là {row_note}.", resend_note=RESEND_NOTE)


# the single-event handler: (the path's id, the loaded body, unit of work, context) -> the 201 reply
EventHandler = Callable[[str, dict[str, Any], UnitOfWork, Context], Reply]
ReadAhead = Callable[[Connection, list[str]], dict[str, dict[str, Any]]]
LOOKUP_CHUNK = 500  # fingerprints per look-up query (SQLite's bound-parameter limit is far above)


def event_kind(name: str, layout: Layout, schema: Schema, handler: EventHandler, event_types: Sequence[str],
               summary: str, template_name: str, probes: Sequence[Mapping[str, str]] = ({},),
               forbidden_field: str | None = None, read_ahead: ReadAhead | None = None) -> ImportKind:
    """An import kind for `layout`, whose one path field (the participant's id) and body go to `handler`.
    `probes`: the permission conditions under which a key may post `event_types` at all (a union key may fund
    from one source only: it may import fundings, its rows from other sources are refused one by one, at
    `forbidden_field`). `read_ahead(conn, ids)`: what the handler would look up row by row, looked up at once
    (UnitOfWork.read_ahead)."""
    (path_field,) = layout.path_fields

    def may_import(ctx: Context) -> None:
        p = ctx.principal
        if not any(may_post(ctx.tree, p.kind, p.scope, event_type, agency=p.agency, **conditions)
                   for event_type in event_types for conditions in probes):
            raise forbidden()

    def parse(table: SheetTable, tree: OrgTree, org_unit: str | None) -> list[Row]:
        rows = read_rows(table, layout, tree, org_unit, schema)
        _mark_repeats(rows, layout, path_field)
        return rows

    def record(rows: list[Row], filename: str, uow: UnitOfWork, ctx: Context, language: str) -> Reply:
        return _record(name, layout, handler, path_field, forbidden_field, read_ahead, rows, filename, uow, ctx,
                       language)

    return ImportKind(name, layout, summary, template_name, may_import, parse, record)


def _row_key(row: Row) -> str:
    return dumps({"path": row.path, "body": row.body})


def _mark_repeats(rows: list[Row], layout: Layout, path_field: str) -> None:
    first_row: dict[str, int] = {}
    for row in rows:
        if row.problems:
            continue
        key = _row_key(row)
        if key in first_row:
            row.problem(layout.column(path_field), "duplicate_row",
                        f"Trùng với dòng {first_row[key]} (cùng đoàn viên và cùng nội dung).",
                        f"Same as row {first_row[key]} (same participant and values).")
        else:
            first_row[key] = row.number


def _record(name: str, layout: Layout, handler: EventHandler, path_field: str, forbidden_field: str | None,
            read_ahead: ReadAhead | None, rows: list[Row], filename: str, uow: UnitOfWork, ctx: Context,
            language: str) -> Reply:
    problems = [p for row in rows for p in row.problems]
    key_id = f"import:{name}"
    fingerprints = {row.number: _fingerprint(ctx.principal.agency, name, row) for row in rows if not row.problems}
    known = _recorded(uow.conn, uow.store.idempotency, key_id, fingerprints.values())
    targets = [row.path[path_field] for row in rows if not row.problems and fingerprints[row.number] not in known]
    held = HeldUnitOfWork(uow, targets, read_ahead(uow.conn, targets) if read_ahead else {})
    outcomes: list[dict[str, Any]] = []
    fresh: list[dict[str, Any]] = []
    now = datetime.now(UTC)
    for row in rows:
        if row.problems:
            continue
        fingerprint, target = fingerprints[row.number], row.path[path_field]
        if fingerprint in known:
            outcomes.append({"row": row.number, path_field: target, "event_id": known[fingerprint],
                             "status": "already_recorded"})
            continue
        try:
            # A rule refuses before the handler writes anything, so the next rows still see a clean transaction;
            # a refused file is rolled back whole by run_write all the same.
            reply = handler(target, row.body, held, ctx)
        except RuleViolation as violation:
            column = _column(layout, violation, row, ctx, forbidden_field) or layout.column(path_field)
            if violation.code == "confirmation_required" and layout.column(FIGURES_CONFIRMED.field):
                violation = _confirm_in_file(violation)
            problems.append(RowProblem(row.number, column.header if column else "", column.field if column else None,
                                       violation.code, violation.vi, violation.en))
            for other, (vi, en) in violation.more_fields.items():  # each field a refusal names, in its column
                if (more := layout.column(other)) is not None and more is not column:
                    problems.append(RowProblem(row.number, more.header, more.field, violation.code, vi, en))
            continue
        event_id = reply.body["event_id"]
        outcomes.append({"row": row.number, path_field: target, "event_id": event_id, "type": reply.body["type"],
                         "status": "recorded"})
        fresh.append({"key_id": key_id, "idempotency_key": fingerprint, "request_hash": fingerprint, "status": 201,
                      "body": dumps({"event_id": event_id}), "created_at": now})
    if problems:
        return refusal(problems, filename, language)
    held.flush()
    if fresh:
        uow.conn.execute(insert(uow.store.idempotency), fresh)
    new, old = len(fresh), len(outcomes) - len(fresh)
    return Reply(201 if new else 200, {
        "file": filename, "kind": name, "rows": len(outcomes), "new": new, "already_recorded": old,
        "message": (f"{new} recorded, {old} already recorded before" if language == "en"
                    else f"{new} dòng mới được ghi nhận, {old} dòng đã ghi nhận trước đó"),
        "events": outcomes,
    })


def _column(layout: Layout, violation: RuleViolation, row: Row, ctx: Context,
            forbidden_field: str | None) -> Column | None:
    """The column a refusal names: its field's; a forbidden value's; the row's own org unit when that is the
    one outside the key's scope; else (None) the participant's."""
    if violation.field_name:
        return layout.column(violation.field_name)
    if violation.code == "forbidden" and forbidden_field:
        return layout.column(forbidden_field)
    unit = row.body.get(layout.unit_field) if layout.unit_field else None
    if violation.code == "out_of_scope" and isinstance(unit, str) and not ctx.tree.within(unit, ctx.principal.scope):
        return layout.column(layout.unit_field)
    return None


def _confirm_in_file(violation: RuleViolation) -> RuleViolation:
    """The API's advice ("send again with confirmed_implausible") as a list's: the column to fill in."""
    header = FIGURES_CONFIRMED.header
    return replace(
        violation, vi=violation.vi.split(" Nếu đúng")[0] + f" Nếu đúng, ghi Có ở cột '{header}' rồi gửi lại cả tệp.",
        en=violation.en.split(" If they are right")[0] + f" If they are right, put Có in the column '{header}' and "
                                                         "send the whole file again.")


def _fingerprint(agency: str, name: str, row: Row) -> str:
    return hashlib.sha256(f"{agency}|{name}|{_row_key(row)}".encode()).hexdigest()


def _recorded(conn: Connection, idempotency: Table, key_id: str, fingerprints: Iterable[str]) -> dict[str, str]:
    """Fingerprint -> event id, of the rows some earlier list of this kind recorded."""
    wanted = sorted(set(fingerprints))
    found: dict[str, str] = {}
    for start in range(0, len(wanted), LOOKUP_CHUNK):
        chunk = wanted[start:start + LOOKUP_CHUNK]
        for key, body in conn.execute(select(idempotency.c.idempotency_key, idempotency.c.body).where(
                idempotency.c.key_id == key_id, idempotency.c.idempotency_key.in_(chunk))):
            found[key] = str(json.loads(body)["event_id"])
    return found
