"""Reading an uploaded list, XLSX or CSV, into its header row and rows of cells, refusing
what is not such a list with a clear 4xx (never a 500): not a spreadsheet, an old .xls, a zip or XML
bomb, a CSV that is not UTF-8, too many rows."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from openpyxl import load_workbook

from shared.imports.layout import Layout, file_error, normalized, wrong_headers
from shared.rules import RuleViolation

MAX_SHEET_ROW = 100_000  # a data row further down than this is refused without reading on
MAX_COLUMNS = 40
MAX_UNCOMPRESSED = 25 * 1024 * 1024  # what the zip may expand to; the upload itself is at most 1 MiB
MAX_ZIP_ENTRIES = 500
HEADER_SEARCH_ROWS = 10  # a title line or two above the header row is common; it is skipped


@dataclass
class Table:
    """The header row and the non-empty rows below it, each with its row number as the file shows it."""

    header_row: int
    headers: list[str]
    rows: list[tuple[int, list[Any]]]
    formulas: list[tuple[int, int]]  # (row number, column index) of cells holding a formula


OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def read_table(content: bytes, layout: Layout) -> Table:
    """XLSX (by its zip signature) or CSV (UTF-8, BOM optional, comma, semicolon or tab), laid out as
    `layout` (whose data sheet is read, if the workbook has one, and whose headers find the header row)."""
    if not content.strip():
        raise file_error(422, "empty_file", "Tệp rỗng.", "The file is empty.")
    if content.startswith(b"PK\x03\x04"):
        return _table(_xlsx_rows(content, layout.data_sheet), layout)
    if content.startswith(OLE2):
        raise file_error(415, "unsupported_file",
                         "Tệp Excel 97-2003 (.xls) chưa được hỗ trợ; hãy lưu lại dạng .xlsx hoặc CSV UTF-8.",
                         "Excel 97-2003 files (.xls) are not supported; save as .xlsx or UTF-8 CSV.")
    return _table(_csv_rows(content), layout)


def _not_a_spreadsheet() -> RuleViolation:
    return file_error(415, "not_a_spreadsheet",
                      "Tệp không phải bảng tính Excel (.xlsx) hay CSV; hãy tải mẫu và điền vào mẫu.",
                      "The file is neither an Excel workbook (.xlsx) nor CSV; download the template and fill it in.")


def _xlsx_rows(content: bytes, data_sheet: str) -> Iterable[tuple[int, list[Any], list[int]]]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
        entries = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        raise _not_a_spreadsheet() from None
    if len(entries) > MAX_ZIP_ENTRIES or sum(e.file_size for e in entries) > MAX_UNCOMPRESSED:
        raise file_error(413, "file_too_large",
                         "Tệp giải nén ra quá lớn; hãy chỉ giữ trang danh sách và bỏ hình ảnh, định dạng thừa.",
                         "The workbook expands to too much data; keep only the list sheet, without images.")
    try:
        for entry in entries:
            if entry.filename.endswith((".xml", ".rels")):
                head = archive.read(entry)
                # Office never writes a DTD; entity definitions are how XML bombs expand.
                if b"<!DOCTYPE" in head or b"<!ENTITY" in head:
                    raise _not_a_spreadsheet()
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=False)
    except RuleViolation:
        raise
    except Exception:  # noqa: BLE001 - openpyxl raises many kinds on a zip that is not a workbook
        raise _not_a_spreadsheet() from None
    try:
        names = workbook.sheetnames
        sheet = workbook[data_sheet] if data_sheet in names else workbook.worksheets[0]
        sheet.reset_dimensions()  # a declared size is not to be trusted; read what is there
        for number, row in enumerate(sheet.iter_rows(min_row=1, max_col=MAX_COLUMNS), start=1):
            values = [cell.value for cell in row]
            formulas = [i for i, cell in enumerate(row) if getattr(cell, "data_type", None) == "f"]
            yield number, values, formulas
    except RuleViolation:
        raise
    except Exception:  # noqa: BLE001 - a damaged sheet part
        raise _not_a_spreadsheet() from None
    finally:
        workbook.close()


def _csv_rows(content: bytes) -> Iterable[tuple[int, list[Any], list[int]]]:
    try:
        # Excel's "Unicode Text" is UTF-16 with a byte order mark (and tabs); anything else must be UTF-8.
        text = content.decode("utf-16") if content.startswith((b"\xff\xfe", b"\xfe\xff")) else \
            content.decode("utf-8-sig")
    except UnicodeDecodeError:
        if b"\x00" in content:
            raise _not_a_spreadsheet() from None
        raise file_error(415, "not_utf8",
                         "Tệp CSV phải mã hóa UTF-8 (trong Excel: Lưu thành > CSV UTF-8), hoặc gửi tệp .xlsx.",
                         "CSV files must be UTF-8 (in Excel: Save As > CSV UTF-8), or send the .xlsx file.") from None
    text = text.removeprefix("\ufeff")
    if "\x00" in text:
        raise _not_a_spreadsheet()
    first_line = text.lstrip("\r\n").split("\n", 1)[0]
    delimiter = max(",;\t", key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        for number, record in enumerate(reader, start=1):
            # A CSV cell cannot hold a formula, but one starting with '=' is one when the list is reopened
            # in Excel (and in the summary exports): refused like an XLSX formula.
            formulas = [i for i, value in enumerate(record[:MAX_COLUMNS]) if value.strip().startswith("=")]
            yield number, list(record[:MAX_COLUMNS]), formulas
    except csv.Error:
        raise file_error(422, "bad_csv", "Tệp CSV bị hỏng (dấu ngoặc kép không đóng?).",
                         "The CSV file is malformed (an unclosed quote?).") from None


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _table(rows: Iterable[tuple[int, list[Any], list[int]]], layout: Layout) -> Table:
    """Find the header row (the first with known headers, among the first few non-empty rows; title
    lines above it are skipped), then collect the rows below it, stopping past the layout's maximum."""
    lookup = layout.header_lookup()
    header_row, headers, candidates = 0, [], 0
    first: list[str] | None = None
    data: list[tuple[int, list[Any]]] = []
    formulas: list[tuple[int, int]] = []
    for number, values, formula_columns in rows:
        if number > MAX_SHEET_ROW:
            raise _too_many_rows(layout.max_rows)
        if all(_blank(v) for v in values):
            continue
        if not header_row:
            texts = [str(v) if v is not None else "" for v in values]
            first = texts if first is None else first
            candidates += 1
            if sum(1 for t in texts if normalized(t) and normalized(t) in lookup) >= 3:
                header_row, headers = number, texts
                formulas.extend((number, c) for c in formula_columns)
            elif candidates >= HEADER_SEARCH_ROWS:
                break
            continue
        data.append((number, values))
        formulas.extend((number, c) for c in formula_columns)
        if len(data) > layout.max_rows:
            raise _too_many_rows(layout.max_rows)
    if not header_row:
        if first is None:
            raise file_error(422, "empty_file", "Tệp không có dữ liệu.", "The file holds no data.")
        layout.column_map(first, org_unit_given=False)  # names what is wrong with the first line
        raise wrong_headers([], [c.header for c in layout.columns if c.required])
    return Table(header_row, headers, data, formulas)


def _too_many_rows(max_rows: int) -> RuleViolation:
    return file_error(413, "too_many_rows",
                      f"Tệp có quá nhiều dòng: tối đa {max_rows} dòng mỗi tệp; hãy chia thành nhiều tệp.",
                      f"Too many rows: at most {max_rows} rows per file; split it into several files.")
