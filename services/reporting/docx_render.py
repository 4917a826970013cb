"""A báo cáo (report_document.Document) as an editable Word file, with python-docx: A4, Times New Roman 13 pt
(the font of Vietnamese administrative documents; Word substitutes a metric-compatible one where it is missing),
the head and the signature block in borderless two-column tables."""

from __future__ import annotations

import io

from docx import Document as new_docx
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Cm, Pt
from docx.table import _Cell

from services.reporting.report_document import UNION, Document, Table

FONT = "Times New Roman"
CENTER, JUSTIFY = WD_ALIGN_PARAGRAPH.CENTER, WD_ALIGN_PARAGRAPH.JUSTIFY


def _line(cell: _Cell, text: str, bold: bool = False, italic: bool = False, size: float = 13,
          underline: bool = False, first: bool = False) -> None:
    paragraph = cell.paragraphs[0] if first else cell.add_paragraph()
    paragraph.alignment = CENTER
    paragraph.paragraph_format.space_after = Pt(0)
    run = paragraph.add_run(text)
    run.bold, run.italic, run.underline = bold, italic, underline
    run.font.size = Pt(size)


def render(doc: Document) -> bytes:
    out = new_docx()
    section = out.sections[0]
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    section.left_margin, section.right_margin = Cm(3), Cm(2)
    section.top_margin, section.bottom_margin = Cm(2), Cm(2)
    style = out.styles["Normal"]
    style.font.name = FONT  # type: ignore[attr-defined]
    style.font.size = Pt(13)  # type: ignore[attr-defined]

    head = out.add_table(rows=1, cols=2)
    left, right = head.rows[0].cells
    _line(left, doc.head.parent_body, size=12, first=True)
    _line(left, doc.head.issuer, bold=True, size=12)
    _line(left, "***")
    _line(left, doc.number_line, size=12)
    _line(right, UNION, bold=True, underline=True, first=True)
    _line(right, "")
    _line(right, doc.dated, italic=True)

    title = out.add_paragraph()
    title.alignment = CENTER
    title.paragraph_format.space_before = Pt(18)
    title.paragraph_format.space_after = Pt(0)
    title.add_run(doc.title).bold = True
    title.runs[0].font.size = Pt(15)
    subject = out.add_paragraph()
    subject.alignment = CENTER
    subject.add_run(doc.subject).bold = True

    summary = out.add_paragraph(doc.summary)
    summary.alignment = JUSTIFY
    summary.paragraph_format.first_line_indent = Cm(1)
    for part in doc.sections:
        heading = out.add_paragraph()
        heading.paragraph_format.space_before = Pt(6)
        heading.add_run(part.heading).bold = True
        for text in part.paragraphs:
            paragraph = out.add_paragraph(text)
            paragraph.alignment = JUSTIFY
            paragraph.paragraph_format.first_line_indent = Cm(1)
        if part.table is not None:
            _table(out, part.table)

    sign = out.add_table(rows=1, cols=2)
    left, right = sign.rows[0].cells
    _line(left, "Nơi nhận:", bold=True, italic=True, size=12, first=True)
    for recipient in doc.head.recipients:
        line = left.add_paragraph(f"- {recipient}")
        line.paragraph_format.space_after = Pt(0)
        line.runs[0].font.size = Pt(11)
    _line(right, doc.head.on_behalf, bold=True, first=True)
    _line(right, doc.head.signer_title, bold=True)
    for _ in range(3):
        _line(right, "")
    _line(right, doc.head.signer_name or "……………………", bold=True)
    buffer = io.BytesIO()
    out.save(buffer)
    return buffer.getvalue()


def _table(out: object, table: Table) -> None:
    grid = out.add_table(rows=1, cols=len(table.header))  # type: ignore[attr-defined]
    grid.style = "Table Grid"
    grid.alignment = WD_TABLE_ALIGNMENT.CENTER
    width = Cm(16)
    for cell, text, share in zip(grid.rows[0].cells, table.header, table.widths, strict=True):
        cell.width = int(width * share)
        _line(cell, text, bold=True, size=10, first=True)
    for row in table.rows:
        cells = grid.add_row().cells
        for i, (cell, text) in enumerate(zip(cells, row, strict=True)):
            paragraph = cell.paragraphs[0]
            paragraph.alignment = WD_ALIGN_PARAGRAPH.LEFT if i == 0 else WD_ALIGN_PARAGRAPH.RIGHT
            run = paragraph.add_run(text)
            run.font.size = Pt(10)
            run.bold = row is table.rows[-1] and text != "" and table.rows[-1][0] == "Tổng cộng"
