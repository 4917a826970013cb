"""One kind of import's columns, and matching an uploaded file's header row to them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from shared.rules import RuleViolation
from shared.text import normalize_text

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ROW_NUMBER_HEADER = "STT"
ROW_NUMBER_ALIASES = ("số tt", "tt")


@dataclass(frozen=True)
class Column:
    field: str  # the API field the column fills
    header: str  # Vietnamese header as in the template
    kind: str  # text | phone | date | integer | org_unit, or one of the layout's choice kinds
    required: bool
    note: str
    example: Any
    width: int = 18
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Choice:
    """A closed list a cell picks from: normalized text -> value, the template's drop-down, and how an error
    names the allowed values."""

    values: dict[str, Any]
    drop_down: str  # a data validation list, e.g. '"Có,Không"'
    vi: str
    en: str
    labels: dict[str, str] = field(default_factory=dict)  # value -> its Vietnamese label (labelled lists)


def labelled(labels: dict[str, tuple[str, ...]]) -> Choice:
    """A closed list of API codes, each picked by its Vietnamese label (the first, shown in the drop-down),
    other spellings, or the code itself."""
    values: dict[str, Any] = {}
    for code, names in labels.items():
        for name in (code, *names):
            values[normalized(name)] = code
    shown = [names[0] for names in labels.values()]
    drop_down = '"' + ",".join(shown) + '"'
    assert len(drop_down) <= 257 and not any("," in s for s in shown), "Excel's list validation limit"
    vi = ", ".join(shown[:-1]) + " hoặc " + shown[-1]
    en = ", ".join(f"{names[0]} ({code})" for code, names in labels.items())
    return Choice(values, drop_down, vi, en, {code: names[0] for code, names in labels.items()})


@dataclass(frozen=True)
class Layout:
    title: str  # the notes sheet's first line
    columns: tuple[Column, ...]
    choices: dict[str, Choice] = field(default_factory=dict)
    data_sheet: str = "Danh sách"
    max_rows: int = 5_000  # data rows per file
    max_bytes: int = 1024 * 1024  # the upload's size (the services' body limit, unless a layout needs more)
    unit_field: str = "org_unit"  # the column that the whole file's org unit may stand in for ("" for none)
    # fields the single-event API takes from its path (the participant's id), kept out of the request body
    path_fields: tuple[str, ...] = ()
    reference_fields: tuple[str, ...] = ()  # columns only for the person reading the list (a name): not recorded
    row_note: str = "Mỗi dòng của trang 'Danh sách' là một người."
    resend_note: str = "Gửi lại cùng tệp không ghi trùng người đã đăng ký."

    def column(self, name: str) -> Column | None:
        return next((c for c in self.columns if c.field == name), None)

    def header_lookup(self) -> dict[str, Column | None]:
        """Normalized header, field name or alias -> column (None: the row number column)."""
        lookup: dict[str, Column | None] = {normalized(name): None for name in (ROW_NUMBER_HEADER, *ROW_NUMBER_ALIASES)}
        for column in self.columns:
            for name in (column.header, column.field, *column.aliases):
                lookup[normalized(name)] = column
        return lookup

    def column_map(self, headers: list[str], org_unit_given: bool) -> dict[int, Column]:
        """Column index -> column; unknown or repeated headers and missing required ones refused (the unit
        column may be left out when the whole file's org unit is given)."""
        lookup = self.header_lookup()
        mapping: dict[int, Column] = {}
        unknown: list[str] = []
        seen: set[str] = set()
        for index, header in enumerate(headers):
            key = normalized(header)
            if not key:
                continue
            if key not in lookup:
                unknown.append(header.strip())
                continue
            column = lookup[key]
            if column is None:
                continue  # the row number column
            if column.field in seen:
                unknown.append(f"{header.strip()} (lặp lại)")
                continue
            seen.add(column.field)
            mapping[index] = column
        missing = [c.header for c in self.columns
                   if c.required and c.field not in seen and not (org_unit_given and c.field == self.unit_field)]
        if unknown or missing:
            raise wrong_headers(unknown, missing)
        return mapping


def normalized(text: str) -> str:
    """For matching headers and choices: NFC, case and spacing ignored, a trailing '*' dropped."""
    text = normalize_text(text).casefold().replace("(bắt buộc)", "")
    return " ".join(text.split()).rstrip("*").strip()


def file_error(status: int, code: str, vi: str, en: str) -> RuleViolation:
    return RuleViolation(status, code, "file", vi, en)


def wrong_headers(unknown: list[str], missing: list[str]) -> RuleViolation:
    vi, en = [], []
    if missing:
        vi.append(f"thiếu cột: {', '.join(missing)}")
        en.append(f"missing columns: {', '.join(missing)}")
    if unknown:
        vi.append(f"cột không có trong mẫu: {', '.join(unknown)}")
        en.append(f"columns not in the template: {', '.join(unknown)}")
    return file_error(422, "wrong_headers",
                      "Tiêu đề cột không đúng mẫu (" + "; ".join(vi) + "). Hãy tải mẫu và giữ nguyên dòng tiêu đề.",
                      "The column headers do not match the template (" + "; ".join(en)
                      + "). Download the template and keep its header row.")
