"""The downloadable XLSX template of a layout: Vietnamese headers, drop-downs for closed lists, notes, and
the commune codes."""

from __future__ import annotations

import io
from collections.abc import Iterable
from datetime import date
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation

from shared.imports.layout import ROW_NUMBER_HEADER, Layout
from shared.orgunits import OrgUnit

NOTES_SHEET, UNITS_SHEET, ROSTER_SHEET = "Hướng dẫn", "Đơn vị", "Đoàn viên"
# A sheet of the participants the list may name (headers, rows), to look their ids up in
Roster = tuple[list[str], list[tuple[Any, ...]]]


def template_workbook(layout: Layout, communes: Iterable[OrgUnit], english: bool = False,
                      roster: Roster | None = None) -> bytes:
    """Headers on the data sheet (nothing else there, so nothing is imported by mistake), an example and
    the rules on a notes sheet, the commune codes on a third sheet; date cells formatted as dates. `english`:
    the API's field names as headers (an upload takes either). `roster`: a last sheet of the participants in
    scope."""
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = layout.data_sheet
    headers = [ROW_NUMBER_HEADER, *((c.field if english else c.header) + (" *" if c.required else "")
                                    for c in layout.columns)]
    sheet.append(headers)
    bold, fill = Font(bold=True), PatternFill("solid", start_color="FFDDEBF7")
    for index, cell in enumerate(sheet[1], start=1):
        cell.font, cell.fill = bold, fill
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        width = 6 if index == 1 else layout.columns[index - 2].width
        sheet.column_dimensions[cell.column_letter].width = width
    sheet.freeze_panes = "B2"
    last = layout.max_rows + 1
    for index, column in enumerate(layout.columns, start=2):
        letter = sheet.cell(row=1, column=index).column_letter
        # Column styles, not cell styles: the sheet stays one row long until someone fills it in.
        if column.kind == "date":
            sheet.column_dimensions[letter].number_format = "DD/MM/YYYY"
        elif column.kind in ("phone", "text"):  # a long id or a phone number kept as typed
            sheet.column_dimensions[letter].number_format = "@"
        choice = layout.choices.get(column.kind)
        if choice is not None:
            validation = DataValidation(type="list", formula1=choice.drop_down, allow_blank=True)
            validation.error = "Chọn một giá trị trong danh sách."
            validation.add(f"{letter}2:{letter}{last}")
            sheet.add_data_validation(validation)

    notes = workbook.create_sheet(NOTES_SHEET)
    notes.append([layout.title])
    notes.append([f"{layout.row_note} Dòng 1 là tiêu đề, không sửa. Cột có dấu * là "
                  f"bắt buộc. Không dùng công thức. Tối đa {layout.max_rows:,} dòng mỗi tệp.".replace(",", ".")])
    notes.append(["Cả tệp được ghi nhận hoặc không dòng nào: nếu có dòng lỗi, hệ thống liệt kê từng dòng, "
                  f"từng cột cần sửa. {layout.resend_note}"])
    notes.append([])
    notes.append(["Cột", "Bắt buộc", "Cách nhập", "Ví dụ", "Tên trường (API)"])
    for column in layout.columns:
        example = column.example.strftime("%d/%m/%Y") if isinstance(column.example, date) else column.example
        notes.append([column.header, "Có" if column.required else "Không", column.note, example, column.field])
    for cell in notes[5]:
        cell.font = bold
    notes["A1"].font = Font(bold=True, size=13)
    for letter, width in (("A", 18), ("B", 10), ("C", 80), ("D", 40), ("E", 20)):
        notes.column_dimensions[letter].width = width

    units = workbook.create_sheet(UNITS_SHEET)
    units.append(["Mã xã/thị trấn", "Tên", "Thuộc"])
    for cell in units[1]:
        cell.font = bold
    for unit in communes:
        units.append([unit.code, unit.name, unit.parent or ""])
    for letter, width in (("A", 18), ("B", 24), ("C", 10)):
        units.column_dimensions[letter].width = width

    if roster is not None:
        people = workbook.create_sheet(ROSTER_SHEET)
        people.append(roster[0])
        for cell in people[1]:
            cell.font = bold
        for row in roster[1]:
            people.append(list(row))
        for index, width in enumerate((38, 24, 16, 16, 16), start=1):
            people.column_dimensions[people.cell(row=1, column=index).column_letter].width = width
        people.freeze_panes = "A2"

    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
