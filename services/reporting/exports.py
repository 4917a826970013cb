"""Summaries and period reports as CSV and XLSX: Vietnamese headers, numbers as numbers, one row per
child unit and a totals row."""

from __future__ import annotations

import csv
import io
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font

SUMMARY_COLUMNS = [
    ("registered", "Đăng ký", "Registered"), ("selected", "Được lựa chọn", "Selected"),
    ("rejected", "Không được chọn", "Rejected"), ("trained", "Được tập huấn", "Trained"),
    ("funded", "Được vay vốn", "Funded"), ("supported", "Được hỗ trợ", "Supported"),
    ("evaluated", "Được đánh giá", "Evaluated"), ("successful", "Mô hình thành công", "Successful"),
    ("commended", "Được tuyên dương", "Commended"), ("replications", "Mô hình nhân rộng", "Replications"),
    ("funding_vnd", "Tổng vốn (đồng)", "Funding (VND)"), ("jobs_created", "Việc làm tạo ra", "Jobs created"),
]
REPORT_COLUMNS = [
    ("registrations", "Đăng ký mới", "New registrations"), ("selections", "Được lựa chọn", "Selected"),
    ("trainings", "Lượt tập huấn", "Trainings"), ("fundings", "Lượt giải ngân", "Fundings"),
    ("funding_vnd", "Vốn giải ngân (đồng)", "Funding (VND)"), ("supports", "Lượt hỗ trợ", "Supports"),
    ("evaluations", "Lượt đánh giá", "Evaluations"), ("commendations", "Tuyên dương", "Commendations"),
    ("replications", "Nhân rộng", "Replications"),
]
CUMULATIVE = [("successful", "Lũy kế mô hình thành công", "Successful to date"),
              ("funding_vnd", "Lũy kế vốn (đồng)", "Funding to date (VND)")]


def _header(lang: str, columns: list[tuple[str, str, str]], unit_label: tuple[str, str]) -> list[str]:
    pick = 2 if lang == "en" else 1
    return [unit_label[pick - 1], *[c[pick] for c in columns]]


def summary_rows(summary: dict[str, Any], lang: str) -> list[list[Any]]:
    header = _header(lang, SUMMARY_COLUMNS, ("Đơn vị", "Org unit")) + (
        ["Chỉ tiêu", "Đạt"] if lang != "en" else ["Target", "Achieved"])
    rows: list[list[Any]] = [header]
    for child in summary["children"]:
        rows.append([child["org_unit"]["name"], *[child["totals"][c[0]] for c in SUMMARY_COLUMNS],
                     child["target"]["successful_models"], child["target"]["achieved"]])
    rows.append(["Tổng cộng" if lang != "en" else "Total", *[summary["totals"][c[0]] for c in SUMMARY_COLUMNS],
                 summary["target"]["successful_models"], summary["target"]["achieved"]])
    return rows


def report_rows(report: dict[str, Any], lang: str) -> list[list[Any]]:
    rows: list[list[Any]] = [_header(lang, REPORT_COLUMNS + CUMULATIVE, ("Đơn vị", "Org unit"))]

    def line(name: str, figures: dict[str, Any]) -> list[Any]:
        return [name, *[figures["in_period"][c[0]] for c in REPORT_COLUMNS],
                *[figures["cumulative"][c[0]] for c in CUMULATIVE]]

    for child in report["children"]:
        rows.append(line(child["org_unit"]["name"], child))
    rows.append(line("Tổng cộng" if lang != "en" else "Total", report))
    return rows


# What makes a spreadsheet program read a text cell as a formula (a tab or line break first hides one from the
# eye), full-width forms included: such text is written with a leading apostrophe, shown as text, never run.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def inert(value: Any) -> Any:
    """A cell's value as a file may carry it: text that could start a formula is marked as text."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def to_csv(rows: list[list[Any]]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows([inert(v) for v in row] for row in rows)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")  # BOM: Excel opens Vietnamese text correctly


def to_xlsx(rows: list[list[Any]], title: str) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = title[:31]
    for row in rows:
        sheet.append([inert(v) for v in row])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
    for column in sheet.columns:
        letter = column[0].column_letter
        sheet.column_dimensions[letter].width = max(12, min(40, max(len(str(c.value or "")) for c in column) + 2))
        for cell in column[1:]:
            if isinstance(cell.value, int):
                cell.number_format = "#,##0"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
