"""The period report as a báo cáo document to sign: GET /api/v1/reports/{org}.docx and .pdf (the same figures
as the JSON report, laid out by report_document, rendered by docx_render and pdf_render)."""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path

from flask import Blueprint, Response

from services.reporting import docx_render, pdf_render, report_document
from services.reporting.document_heads import Heads
from services.reporting.hierarchy_reads import HIERARCHY
from services.reporting.params import parse_date
from services.reporting.reads import Reads
from shared.web import ApiError, doc

log = logging.getLogger(__name__)
RESPONSES = {200: "the document", 401: "no valid key", 403: "out of scope", 404: "unknown org unit",
             422: "bad parameter", 503: "the PDF fonts are missing"}
PARAMS = [{"name": "period", "in": "query", "required": True, "schema": {"type": "string"},
           "description": "2018-06 (month), 2018-H1 (half year) or 2018 (year)"},
          {"name": "dated", "in": "query", "required": False, "schema": {"type": "string", "format": "date"},
           "description": "the document's date (default today)"},
          {"name": "known_at", "in": "query", "required": False, "schema": {"type": "string", "format": "date-time"}},
          HIERARCHY]
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def blueprint(reads: Reads, heads: Heads, font_dir: Path) -> Blueprint:
    bp = Blueprint("reporting_documents", __name__, url_prefix="/api/v1")

    def document(org_code: str) -> report_document.Document:
        report = reads.report_body(org_code)
        dated = parse_date("dated", date.today())
        tree = reads.grouping(org_code, date.fromisoformat(report["period"]["end"]))
        return report_document.build(report, heads.of(org_code, tree), dated)

    def attachment(body: bytes, mimetype: str, name: str) -> Response:
        return Response(body, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{name}"'})

    @bp.get("/reports/<org_code>.docx")
    @doc("The period report as a báo cáo to edit and sign (Word)", responses=RESPONSES, params=PARAMS,
         tags=["reports"])
    def report_docx(org_code: str) -> Response:
        built = document(org_code)
        return attachment(docx_render.render(built), DOCX, built.file_name + ".docx")

    @bp.get("/reports/<org_code>.pdf")
    @doc("The period report as a báo cáo to print and sign (PDF)", responses=RESPONSES, params=PARAMS,
         tags=["reports"])
    def report_pdf(org_code: str) -> Response:
        built = document(org_code)
        try:
            body = pdf_render.render(built, font_dir)
        except pdf_render.FontsMissing as missing:
            log.error("no font for PDF reports at %s (install fonts-dejavu-core or set TIENPHONG_PDF_FONT_DIR)",
                      missing)
            raise ApiError(503, "unavailable") from None
        return attachment(body, "application/pdf", built.file_name + ".pdf")

    return bp
