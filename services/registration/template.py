"""The commune registration list "theo mẫu": its columns, the downloadable XLSX template, and matching an
uploaded list's header row to the columns."""

from __future__ import annotations

import io
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation

from shared.orgunits import OrgUnit
from shared.rules import RuleViolation

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DATA_SHEET, NOTES_SHEET, UNITS_SHEET = "Danh sách", "Hướng dẫn", "Đơn vị"
MAX_ROWS = 5_000  # data rows per file; a district sends one file per commune, a few dozen rows each


@dataclass(frozen=True)
class Column:
    field: str  # the API field (RegistrationBody) the column fills
    header: str  # Vietnamese header as in the template
    kind: str  # text | phone | date | gender | branch_kind | yes_no | org_unit
    required: bool
    note: str
    example: Any
    width: int = 18
    aliases: tuple[str, ...] = ()


ROW_NUMBER_HEADER = "STT"
COLUMNS: tuple[Column, ...] = (
    Column("full_name", "Họ và tên", "text", True, "Họ tên đầy đủ của Bí thư Chi đoàn.", "Lê Văn An", 24,
           ("họ tên",)),
    Column("birth_date", "Ngày sinh", "date", True,
           "Ô kiểu ngày, hoặc chữ dạng dd/mm/yyyy. Tuổi vào ngày đăng ký phải từ 16 đến 35.", date(1995, 2, 3), 13),
    Column("gender", "Giới tính", "gender", True, "Nam, Nữ hoặc Khác.", "Nam", 10),
    Column("phone", "Số điện thoại", "phone", False, "Không bắt buộc. Nhập dạng chữ để giữ số 0 ở đầu.",
           "0912345678", 14, ("điện thoại", "sđt")),
    Column("org_unit", "Mã xã/thị trấn", "org_unit", True,
           "Mã đơn vị cấp xã (xem trang 'Đơn vị'), hoặc tên xã/thị trấn. Có thể để trống khi gửi kèm "
           "đơn vị của cả tệp (org_unit / --org-unit).", "TX-XUANHOA", 16, ("mã xã", "xã/thị trấn", "đơn vị")),
    Column("branch_name", "Tên chi đoàn", "text", True, "Tên chi đoàn do người này làm Bí thư.",
           "Chi đoàn thôn Đông", 22, ("chi đoàn",)),
    Column("branch_kind", "Loại chi đoàn", "branch_kind", True,
           "Khu dân cư, Trường học, Doanh nghiệp hoặc Khác. Chương trình chỉ nhận Bí thư Chi đoàn khu dân cư.",
           "Khu dân cư", 14),
    Column("model_name", "Tên mô hình", "text", True, "Tên ý tưởng hoặc mô hình khởi nghiệp.", "Nuôi gà đồi thả vườn",
           26, ("mô hình",)),
    Column("model_description", "Mô tả mô hình", "text", False, "Không bắt buộc: quy mô, sản phẩm, thị trường.",
           "500 con gà, bán cho bếp ăn các trường học trong xã", 36, ("mô tả",)),
    Column("has_existing_model", "Đã có mô hình", "yes_no", True,
           "Có nếu người này đã có mô hình kinh tế (được ưu tiên), Không nếu mới là ý tưởng.", "Có", 12),
    Column("registered_on", "Ngày đăng ký", "date", True,
           "Ô kiểu ngày, hoặc chữ dạng dd/mm/yyyy; không ở tương lai (hạn nộp danh sách 22/06/2017).",
           date(2017, 6, 10), 13),
)
BY_FIELD = {c.field: c for c in COLUMNS}
CHOICES: dict[str, dict[str, Any]] = {
    "gender": {"nam": "male", "nữ": "female", "nu": "female", "khác": "other", "khac": "other",
               "male": "male", "female": "female", "other": "other"},
    "branch_kind": {"khu dân cư": "residential", "địa bàn dân cư": "residential", "khối địa bàn dân cư": "residential",
                    "dân cư": "residential", "residential": "residential", "trường học": "school", "school": "school",
                    "doanh nghiệp": "enterprise", "enterprise": "enterprise", "khác": "other", "other": "other"},
    "yes_no": {"có": True, "co": True, "x": True, "yes": True, "true": True, "1": True,
               "không": False, "khong": False, "no": False, "false": False, "0": False},
}
CHOICE_LISTS = {"gender": '"Nam,Nữ,Khác"', "branch_kind": '"Khu dân cư,Trường học,Doanh nghiệp,Khác"',
                "yes_no": '"Có,Không"'}


def normalized(text: str) -> str:
    """For matching headers and choices: NFC, case and spacing ignored, a trailing '*' dropped."""
    text = unicodedata.normalize("NFC", text).casefold().replace("(bắt buộc)", "")
    return re.sub(r"\s+", " ", text).strip().rstrip("*").strip()


HEADER_LOOKUP: dict[str, Column | None] = {normalized(ROW_NUMBER_HEADER): None, "số tt": None, "tt": None}
for _column in COLUMNS:
    for _name in (_column.header, _column.field, *_column.aliases):
        HEADER_LOOKUP[normalized(_name)] = _column


def file_error(status: int, code: str, vi: str, en: str) -> RuleViolation:
    return RuleViolation(status, code, "file", vi, en)


# --- the template ---------------------------------------------------------------------------------

def template_workbook(communes: Iterable[OrgUnit]) -> bytes:
    """Headers on the data sheet (nothing else there, so nothing is imported by mistake), an example and
    the rules on a notes sheet, the commune codes on a third sheet; date cells formatted as dates."""
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = DATA_SHEET
    headers = [ROW_NUMBER_HEADER, *(c.header + (" *" if c.required else "") for c in COLUMNS)]
    sheet.append(headers)
    bold, fill = Font(bold=True), PatternFill("solid", start_color="FFDDEBF7")
    for index, cell in enumerate(sheet[1], start=1):
        cell.font, cell.fill = bold, fill
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        width = 6 if index == 1 else COLUMNS[index - 2].width
        sheet.column_dimensions[cell.column_letter].width = width
    sheet.freeze_panes = "B2"
    last = MAX_ROWS + 1
    for index, column in enumerate(COLUMNS, start=2):
        letter = sheet.cell(row=1, column=index).column_letter
        # Column styles, not cell styles: the sheet stays one row long until someone fills it in.
        if column.kind == "date":
            sheet.column_dimensions[letter].number_format = "DD/MM/YYYY"
        elif column.kind == "phone":
            sheet.column_dimensions[letter].number_format = "@"
        if column.kind in CHOICE_LISTS:
            validation = DataValidation(type="list", formula1=CHOICE_LISTS[column.kind], allow_blank=True)
            validation.error = "Chọn một giá trị trong danh sách."
            validation.add(f"{letter}2:{letter}{last}")
            sheet.add_data_validation(validation)

    notes = workbook.create_sheet(NOTES_SHEET)
    notes.append(["Danh sách đăng ký Bí thư Chi đoàn tham gia chương trình "
                  "\"Bí thư Chi đoàn tiên phong khởi nghiệp\" (mẫu)"])
    notes.append(["Mỗi dòng của trang 'Danh sách' là một người. Dòng 1 là tiêu đề, không sửa. Cột có dấu * là "
                  f"bắt buộc. Không dùng công thức. Tối đa {MAX_ROWS:,} dòng mỗi tệp.".replace(",", ".")])
    notes.append(["Cả tệp được ghi nhận hoặc không dòng nào: nếu có dòng lỗi, hệ thống liệt kê từng dòng, "
                  "từng cột cần sửa. Gửi lại cùng tệp không ghi trùng người đã đăng ký."])
    notes.append([])
    notes.append(["Cột", "Bắt buộc", "Cách nhập", "Ví dụ"])
    for column in COLUMNS:
        example = column.example.strftime("%d/%m/%Y") if isinstance(column.example, date) else column.example
        notes.append([column.header, "Có" if column.required else "Không", column.note, example])
    for cell in notes[5]:
        cell.font = bold
    notes["A1"].font = Font(bold=True, size=13)
    for letter, width in (("A", 18), ("B", 10), ("C", 80), ("D", 40)):
        notes.column_dimensions[letter].width = width

    units = workbook.create_sheet(UNITS_SHEET)
    units.append(["Mã xã/thị trấn", "Tên", "Thuộc"])
    for cell in units[1]:
        cell.font = bold
    for unit in communes:
        units.append([unit.code, unit.name, unit.parent or ""])
    for letter, width in (("A", 18), ("B", 24), ("C", 10)):
        units.column_dimensions[letter].width = width

    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# --- matching an uploaded file's header row ------------------------------------------------------

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


def column_map(headers: list[str], org_unit_given: bool) -> dict[int, Column]:
    """Column index -> template column; unknown or repeated headers and missing required ones refused
    (the commune column may be left out when the whole file's org unit is given)."""
    mapping: dict[int, Column] = {}
    unknown: list[str] = []
    seen: set[str] = set()
    for index, header in enumerate(headers):
        key = normalized(header)
        if not key:
            continue
        if key not in HEADER_LOOKUP:
            unknown.append(header.strip())
            continue
        column = HEADER_LOOKUP[key]
        if column is None:
            continue  # the row number column
        if column.field in seen:
            unknown.append(f"{header.strip()} (lặp lại)")
            continue
        seen.add(column.field)
        mapping[index] = column
    missing = [c.header for c in COLUMNS
               if c.required and c.field not in seen and not (org_unit_given and c.field == "org_unit")]
    if unknown or missing:
        raise wrong_headers(unknown, missing)
    return mapping
