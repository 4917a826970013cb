"""A kind of import as a declaration, and the two routes every kind gets: GET /imports/{kind}/template.xlsx
and POST /imports/{kind}.

A kind is its Layout plus three functions: whether the key may import it at all (`may_import`, 403 before
the file is read), how the file's rows are read and checked (`parse`), and how they are recorded in ONE
unit of work (`record`: any failing row makes the reply a 422 listing all of them, and the whole
transaction is rolled back). Event kinds build these from their single-event endpoint (shared.imports.events).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, Response, current_app

from shared.access_web import current_principal
from shared.grouping import Grouping
from shared.imports.cells import Row
from shared.imports.layout import XLSX_MIMETYPE, Layout, file_error
from shared.imports.reading import Table, read_table
from shared.imports.template import Roster, template_workbook
from shared.imports.upload import file_idempotency, uploaded_file
from shared.orgunits import OrgTree
from shared.rules import RuleViolation
from shared.web import doc, lang
from shared.write_api import Writer, violation_response
from shared.writes import Context, Reply, UnitOfWork, out_of_scope

IMPORT_RESPONSES = {200: "nothing new: every row was already recorded", 201: "rows recorded",
                    401: "no valid key", 403: "not allowed",
                    413: "file over its limit (1 MiB for registrations, 4 MiB for lists of events) or too many rows",
                    415: "not a spreadsheet (XLSX or UTF-8 CSV) or not multipart", 422: "rows refused (listed)",
                    429: "rate limited"}
TEMPLATE_RESPONSES = {200: "the template", 401: "no valid key"}
LANG_PARAM = {"name": "lang", "in": "query", "required": False, "schema": {"type": "string", "enum": ["vi", "en"]},
              "description": "`en`: the API's field names as headers (an upload takes either)"}


@dataclass(frozen=True)
class ImportKind:
    name: str  # the path segment: /imports/{name}
    layout: Layout
    summary: str  # for the OpenAPI document
    template_name: str  # the template's download name
    may_import: Callable[[Context], None]
    parse: Callable[[Table, OrgTree, str | None], list[Row]]
    record: Callable[[list[Row], str, UnitOfWork, Context, str], Reply]


def template_response(tree: OrgTree, kind: ImportKind, roster: Callable[[str], Roster] | None = None) -> Response:
    """The kind's template, with the communes (and, given `roster`, the participants) in the key's scope: today's
    (`tree` is today's hierarchy), or for a key scoped to a unit since dissolved, the ones it had then."""
    scope = current_principal().scope
    communes = [u for u in tree if u.level == "commune" and tree.within(u.code, scope)]
    if not communes and isinstance(tree, Grouping):
        first = tree.hierarchy.first
        communes = [u for u in first if u.level == "commune" and first.within(u.code, scope)]
    workbook = template_workbook(kind.layout, communes, english=lang() == "en",
                                 roster=roster(scope) if roster else None)
    return Response(workbook, mimetype=XLSX_MIMETYPE,
                    headers={"Content-Disposition": f'attachment; filename="{kind.template_name}"'})


def upload_response(writer: Writer, kind: ImportKind) -> Response:
    """The uploaded file recorded whole, or the refusal; re-sending it records nothing twice. Units are those of
    today's hierarchy or any former one (each row's event is checked in the hierarchy of its own date)."""
    ctx = writer.context()
    tree = ctx.tree
    language = lang()
    try:
        scoped = _in_scope_hierarchy(ctx)
        kind.may_import(scoped)
        content, filename, org_unit = uploaded_file(
            kind.layout.max_bytes if kind.layout.max_bytes > current_app.config["MAX_CONTENT_LENGTH"] else None)
        if not kind.layout.unit_field:
            org_unit = None  # a list whose rows name no org unit of their own
        _check_org_unit(scoped.tree, scoped, org_unit)
        idempotency = file_idempotency(ctx, content, org_unit)
        rows = kind.parse(read_table(content, kind.layout), tree, org_unit)
        if not rows:
            raise file_error(422, "no_rows", "Tệp không có dòng dữ liệu nào dưới dòng tiêu đề.",
                             "The file has no rows below its header row.")
    except RuleViolation as violation:
        return violation_response(violation)
    return writer.run(lambda uow: kind.record(rows, filename, uow, ctx, language), idempotency,
                      conflict=("Một lần nhập khác đang ghi cùng lúc; hãy thử lại.",
                                "Another import was being recorded at the same time; retry."))


def _in_scope_hierarchy(ctx: Context) -> Context:
    """The context of the file's up-front checks: today's, or for a key scoped to a unit that has since ended (a
    dissolved district) the one of that unit's last day, so it still imports its history (docs/access.md); each
    row is then checked in the hierarchy of its own date."""
    span = ctx.hierarchy.span(ctx.principal.scope) if ctx.hierarchy is not None else None
    if ctx.principal.scope in ctx.tree or span is None or span[1] is None:
        return ctx
    return ctx.on(span[1])


def _check_org_unit(tree: OrgTree, ctx: Context, org_unit: str | None) -> None:
    if org_unit is None:
        return
    if org_unit not in tree and not (isinstance(tree, Grouping) and tree.hierarchy.ever(org_unit)):
        raise RuleViolation(422, "validation_failed", "org_unit", "Không có đơn vị này trong danh sách đơn vị.",
                            "No such org unit in the hierarchy.")
    if not tree.within(org_unit, ctx.principal.scope):
        raise out_of_scope()


def add_routes(bp: Blueprint, writer: Writer, tree: OrgTree, kinds: Iterable[ImportKind],
               roster: Callable[[str], Roster] | None = None) -> None:
    """GET /imports/{kind}/template.xlsx and POST /imports/{kind} for each kind, each its own OpenAPI entry;
    `roster(scope)`: the participants a list naming participants by id may name (a sheet of its template)."""
    for kind in kinds:
        template, upload = _views(writer, tree, kind, roster if kind.layout.path_fields == ("participant_id",)
                                  else None)
        bp.add_url_rule(f"/imports/{kind.name}/template.xlsx", f"import_template_{kind.name}", template)
        bp.add_url_rule(f"/imports/{kind.name}", f"import_{kind.name}", upload, methods=["POST"])


def _views(writer: Writer, tree: OrgTree, kind: ImportKind,
           roster: Callable[[str], Roster] | None) -> tuple[Callable[..., Any], Callable[..., Any]]:
    @doc(f"The {kind.name} list template (XLSX: headers, drop-downs, notes, commune codes)",
         responses=TEMPLATE_RESPONSES, params=[LANG_PARAM], tags=["imports"])
    def template() -> Response:
        return template_response(writer.context().tree, kind, roster)

    @doc(f"{kind.summary} (multipart: file = XLSX or CSV): all rows or none", responses=IMPORT_RESPONSES,
         tags=["imports"])
    def upload() -> Response:
        return upload_response(writer, kind)

    return template, upload
