"""A báo cáo (report_document.Document) as PDF, with fpdf2: A4, DejaVu Serif embedded (subset) so every
Vietnamese letter shows and can be searched and copied; the fonts come from Debian's fonts-dejavu-core
(TIENPHONG_PDF_FONT_DIR), not from this repository."""

from __future__ import annotations

from pathlib import Path

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from services.reporting.report_document import UNION, Document, Table

FAMILY = "DejaVuSerif"
FILES = {"": "DejaVuSerif.ttf", "B": "DejaVuSerif-Bold.ttf"}
LEFT, RIGHT, TOP = 30.0, 20.0, 20.0
WIDTH = 210.0 - LEFT - RIGHT


class FontsMissing(RuntimeError):
    """The DejaVu Serif files are not where TIENPHONG_PDF_FONT_DIR says."""


def _fonts(pdf: FPDF, directory: Path) -> None:
    for style, name in FILES.items():
        path = directory / name
        if not path.is_file():
            raise FontsMissing(str(path))
        pdf.add_font(FAMILY, style, str(path))
    # no italic file in fonts-dejavu-core: the regular face stands in
    pdf.add_font(FAMILY, "I", str(directory / FILES[""]))


def _column(pdf: FPDF, x: float, y: float, width: float, lines: list[tuple[str, str, float]]) -> float:
    """Centred lines (text, style, size) in a column starting at (x, y); returns where it ends."""
    pdf.set_xy(x, y)
    for text, style, size in lines:
        pdf.set_font(FAMILY, style, size)
        pdf.set_x(x)
        pdf.multi_cell(width, size * 0.5, text, align="C", new_x=XPos.LEFT, new_y=YPos.NEXT)
    return pdf.get_y()


def render(doc: Document, font_dir: Path) -> bytes:
    pdf = FPDF(format="A4")
    pdf.set_margins(LEFT, TOP, RIGHT)
    pdf.set_auto_page_break(True, margin=20)
    _fonts(pdf, font_dir)
    pdf.set_title(f"{doc.title} - {doc.subject}")
    pdf.set_creator("Tiên Phong")
    pdf.add_page()
    half = WIDTH * 0.45
    end_left = _column(pdf, LEFT, TOP, half, [(doc.head.parent_body, "", 11), (doc.head.issuer, "B", 11),
                                              ("***", "", 11), (doc.number_line, "", 11)])
    end_right = _column(pdf, LEFT + half, TOP, WIDTH - half, [(UNION, "BU", 12), ("", "", 6), (doc.dated, "I", 12)])
    pdf.set_xy(LEFT, max(end_left, end_right) + 8)
    pdf.set_font(FAMILY, "B", 14)
    pdf.multi_cell(WIDTH, 7, doc.title, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FAMILY, "B", 12)
    pdf.multi_cell(WIDTH, 6, doc.subject, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(4)
    _paragraph(pdf, doc.summary)
    for part in doc.sections:
        pdf.ln(2)
        pdf.set_font(FAMILY, "B", 12)
        pdf.multi_cell(WIDTH, 6, part.heading, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        for text in part.paragraphs:
            _paragraph(pdf, text)
        if part.table is not None:
            _table(pdf, part.table)
    pdf.ln(6)
    if pdf.get_y() > 297 - 20 - 55:  # the signature block stays whole, beside the recipients
        pdf.add_page()
    y = pdf.get_y()
    _column(pdf, LEFT + half, y, WIDTH - half, [(doc.head.on_behalf, "B", 12), (doc.head.signer_title, "B", 12),
                                                ("", "", 30), (doc.head.signer_name or "……………………", "B", 12)])
    pdf.set_xy(LEFT, y)
    pdf.set_font(FAMILY, "B", 11)
    pdf.cell(half, 5, "Nơi nhận:", new_x=XPos.LEFT, new_y=YPos.NEXT)
    pdf.set_font(FAMILY, "", 10)
    for recipient in doc.head.recipients:
        pdf.multi_cell(half, 5, f"- {recipient}", align="L", new_x=XPos.LEFT, new_y=YPos.NEXT)
    return bytes(pdf.output())


def _paragraph(pdf: FPDF, text: str) -> None:
    pdf.set_font(FAMILY, "", 12)
    pdf.set_x(LEFT)
    pdf.multi_cell(WIDTH, 6, "    " + text, align="J", new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _table(pdf: FPDF, table: Table) -> None:
    pdf.ln(1)
    pdf.set_font(FAMILY, "", 8.5)
    widths = tuple(WIDTH * share for share in table.widths)
    align = ("LEFT", *("RIGHT" for _ in table.header[1:]))
    with pdf.table(col_widths=widths, width=WIDTH, text_align=align, line_height=4.5,  # type: ignore[arg-type]
                   first_row_as_headings=True) as grid:
        for values in [table.header, *table.rows]:
            row = grid.row()
            for value in values:
                row.cell(value)
    pdf.ln(2)
