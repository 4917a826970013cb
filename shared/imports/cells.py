"""An uploaded list's rows as request bodies: each cell read as the template means it (Excel dates or
dd/mm/yyyy text, closed lists, commune code or name), then the endpoint's own schema; every problem kept
with its row number and Vietnamese column header."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from marshmallow import Schema, ValidationError
from openpyxl.utils.datetime import from_excel

from shared.i18n import field_message
from shared.imports.layout import Choice, Column, Layout, normalized
from shared.imports.reading import Table
from shared.orgunits import OrgTree
from shared.text import normalize_text


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
    path: dict[str, Any] = field(default_factory=dict)  # the layout's path fields (the participant's id)
    problems: list[RowProblem] = field(default_factory=list)

    def problem(self, column: Column | None, code: str, vi: str, en: str) -> None:
        self.problems.append(RowProblem(self.number, column.header if column else "", column.field if column else None,
                                        code, vi, en))


class CellProblem(Exception):
    def __init__(self, vi: str, en: str) -> None:
        super().__init__(en)
        self.vi, self.en = vi, en


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


WHOLE = re.compile(r"-?[0-9]{1,3}([., ][0-9]{3})+|-?[0-9]+")


def _as_integer(value: Any) -> int:
    """A number cell, or text with '.', ',' or spaces grouping thousands (5.000.000 as Vietnamese write it)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return int(value)
    text = _as_text(value).replace("\u00a0", " ")
    if WHOLE.fullmatch(text):
        return int(re.sub(r"[., ]", "", text))
    raise CellProblem(f"Phải là số nguyên (không có phần thập phân): '{text[:40]}'.",
                      f"Must be a whole number (no decimals): '{text[:40]}'.")


def _as_choice(choice: Choice, value: Any) -> Any:
    if isinstance(value, bool) and True in choice.values.values():
        return value  # a yes/no cell Excel kept as a boolean
    picked = choice.values.get(normalized(_as_text(value)))
    if picked is None:
        raise CellProblem(f"Phải là {choice.vi}.", f"Must be {choice.en}.")
    return picked


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


def _convert(layout: Layout, column: Column, value: Any, tree: OrgTree) -> Any:
    if column.kind == "date":
        return _as_date(value)
    if column.kind == "phone":
        return _as_phone(value)
    if column.kind == "integer":
        return _as_integer(value)
    if column.kind in layout.choices:
        return _as_choice(layout.choices[column.kind], value)
    if column.kind == "org_unit":
        return _as_org_unit(value, tree)
    return _as_text(value)


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not normalize_text(value))  # zero-width only is blank


def read_rows(table: Table, layout: Layout, tree: OrgTree, org_unit: str | None, schema: Schema) -> list[Row]:
    """Each data row as a request body that `schema` loaded, or with its problems, cell by cell. `org_unit`,
    when given, fills the layout's unit column where it is blank and bounds the units the rows name."""
    mapping = layout.column_map(table.headers, org_unit_given=org_unit is not None)
    unit_field = layout.unit_field
    unit_column = layout.column(unit_field) if unit_field else None
    by_field = {c.field: c for c in mapping.values()}
    formulas = {(r, c) for r, c in table.formulas}
    rows: list[Row] = []
    for number, values in table.rows:
        cells = {c.field: (values[i] if i < len(values) else None, (number, i) in formulas)
                 for i, c in mapping.items()}
        if all(_blank(v) for v, _ in cells.values()):
            continue  # only the row-number column filled in: a row of the template left empty
        row = Row(number)
        for name, (value, is_formula) in cells.items():
            column = by_field[name]
            if is_formula:
                row.problem(column, "formula", "Ô chứa công thức; hãy dán giá trị (Paste Values) thay cho công thức.",
                            "The cell holds a formula; paste the values instead.")
            elif _blank(value):
                if column.required and not (name == unit_field and org_unit):
                    row.problem(column, "required", "Ô này không được để trống.", "This cell may not be blank.")
            else:
                try:
                    row.body[name] = _convert(layout, column, value, tree)
                except CellProblem as problem:
                    row.problem(column, "validation_failed", problem.vi, problem.en)
        refused = {p.field_name for p in row.problems}
        if org_unit and unit_field and unit_field not in row.body and unit_field not in refused:
            row.body[unit_field] = org_unit
        commune = row.body.get(unit_field)
        if org_unit and isinstance(commune, str) and commune in tree and not tree.within(commune, org_unit):
            row.problem(unit_column, "outside_import_unit",
                        f"Đơn vị {commune} không thuộc {org_unit}, đơn vị đã chọn cho cả tệp.",
                        f"{commune} is not within {org_unit}, the org unit chosen for the whole file.")
        row.path = {name: row.body.pop(name) for name in layout.path_fields if name in row.body}
        for name in layout.reference_fields:
            row.body.pop(name, None)
        _validate(row, schema, layout)
        rows.append(row)
    return rows


def _validate(row: Row, schema: Schema, layout: Layout) -> None:
    """The same schema as the endpoint's; fields already refused above are not reported twice."""
    failed = {p.field_name for p in row.problems if p.field_name}
    try:
        row.body = dict(schema.load(row.body, partial=tuple(failed)))
    except ValidationError as exc:
        messages = exc.messages if isinstance(exc.messages, dict) else {"_schema": exc.messages}
        for name, texts in messages.items():
            text = texts[0] if isinstance(texts, list) and texts else str(texts)
            row.problem(layout.column(str(name)), "validation_failed", field_message(str(text), "vi"),
                        field_message(str(text), "en"))
