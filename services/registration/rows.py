"""The rows of an uploaded registration list as registration bodies: each cell read as the template
means it (Excel dates or dd/mm/yyyy text, Nam/Nữ, Có/Không, commune code or name), then the same schema
as POST /participants; every problem kept with its row number and Vietnamese column header."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from marshmallow import ValidationError
from openpyxl.utils.datetime import from_excel

from services.registration import schemas
from services.registration.spreadsheets import Table
from services.registration.template import BY_FIELD, CHOICES, Column, column_map, normalized
from shared.i18n import field_message
from shared.orgunits import OrgTree
from shared.rules import clean_name, identity_name


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
    schema = schemas.RegistrationBody()
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
        _validate(row, schema)
        rows.append(row)
    _mark_repeats(rows)
    return rows


def _validate(row: Row, schema: schemas.RegistrationBody) -> None:
    """The same schema as POST /participants; fields already refused above are not reported twice."""
    failed = {p.field_name for p in row.problems if p.field_name}
    try:
        row.body = dict(schema.load(row.body, partial=tuple(failed)))
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
