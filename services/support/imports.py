"""Support's lists: training attendance, disbursements, business supports, the bank's loan repayments. Each
kind is declared from its single-event endpoint (schema and handler); shared.imports reads, checks and
records. Adding a kind is one layout and one `event_kind(...)` line in KINDS."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

from flask import Blueprint
from sqlalchemy import Connection, Engine

from services.support import handlers, schemas, view
from shared.events.types import (
    FUNDING_SOURCES,
    LoanRepaid,
    ParticipantFunded,
    ParticipantSupported,
    ParticipantTrained,
)
from shared.imports.confirmations import CHOICES as CONFIRMATIONS
from shared.imports.confirmations import FIGURES_CONFIRMED
from shared.imports.events import date_column, event_kind, event_layout
from shared.imports.kinds import ImportKind, add_routes
from shared.imports.layout import Column, labelled
from shared.imports.template import Roster
from shared.orgunits import OrgTree
from shared.permissions import MATRIX
from shared.write_api import Writer
from shared.writes import Context, forbidden

TRAINING_KIND = labelled({"course": ("Tập huấn", "lớp tập huấn", "khóa học"),
                          "study_visit": ("Tham quan học tập", "tham quan")})
FUNDING_SOURCE = labelled({
    "vbsp": ("NH Chính sách xã hội", "ngân hàng chính sách xã hội", "nh csxh", "nhcsxh", "vbsp"),
    "youth_union_120": ("Quỹ 120 Trung ương Đoàn", "quỹ 120", "120"),
    "provincial_youth_credit": ("Tín dụng thanh niên khởi nghiệp của tỉnh", "tín dụng ưu đãi của tỉnh"),
    "commercial_bank": ("Ngân hàng thương mại",), "enterprise": ("Doanh nghiệp",), "other": ("Nguồn khác", "khác"),
})
SUPPORT_KIND = labelled({
    "input_output_linkage": ("Liên kết đầu vào – đầu ra", "liên kết đầu vào - đầu ra", "liên kết"),
    "forum": ("Diễn đàn",), "trade_fair": ("Hội chợ",), "trademark": ("Nhãn hiệu", "thương hiệu"),
    "food_safety": ("An toàn thực phẩm",), "value_chain": ("Chuỗi giá trị",),
    "mentoring": ("Tư vấn – kèm cặp", "tư vấn", "kèm cặp"), "other": ("Khác",),
})

TRAININGS = event_layout(
    "Danh sách Bí thư Chi đoàn dự tập huấn, tham quan học tập (mẫu)",
    "một đoàn viên dự một lớp hoặc chuyến tham quan", (
        date_column("trained_on", "Ngày tập huấn", date(2017, 7, 20), ("ngày",)),
        Column("course", "Tên lớp/chuyến tham quan", "text", True, "Tên lớp tập huấn hoặc chuyến tham quan.",
               "Tập huấn khởi sự doanh nghiệp", 30, ("tên lớp",)),
        Column("kind", "Hình thức", "training_kind", True, "Tập huấn hoặc Tham quan học tập.", "Tập huấn", 18),
        Column("provider", "Đơn vị tổ chức", "text", False, "Không bắt buộc.", "Tỉnh Đoàn Thanh Hóa", 22),
        Column("hours", "Số giờ", "integer", False, "Số nguyên; không bắt buộc.", 16, 8),
        FIGURES_CONFIRMED,
    ), {"training_kind": TRAINING_KIND} | CONFIRMATIONS)

FUNDINGS = event_layout(
    "Danh sách giải ngân cho Bí thư Chi đoàn khởi nghiệp (mẫu)", "một lần giải ngân cho một đoàn viên", (
        date_column("disbursed_on", "Ngày giải ngân", date(2017, 9, 15), ("ngày",)),
        Column("source", "Nguồn vốn", "funding_source", True,
               "Chọn trong danh sách; khóa của Đoàn chỉ được nhập nguồn Quỹ 120 Trung ương Đoàn.",
               "NH Chính sách xã hội", 26),
        Column("amount_vnd", "Số tiền (đồng)", "integer", True,
               "Số nguyên, đồng, lớn hơn 0 (ô số, hoặc chữ như 50.000.000).", 50_000_000, 16, ("số tiền",)),
        Column("lender", "Đơn vị cho vay", "text", False, "Không bắt buộc.", "NHCSXH huyện Thọ Xuân", 24),
        Column("term_months", "Thời hạn (tháng)", "integer", False, "Số nguyên; không bắt buộc.", 36, 10,
               ("thời hạn",)),
        FIGURES_CONFIRMED,
    ), {"funding_source": FUNDING_SOURCE} | CONFIRMATIONS)

SUPPORTS = event_layout(
    "Danh sách hỗ trợ khởi nghiệp cho Bí thư Chi đoàn (mẫu)", "một lần hỗ trợ một đoàn viên", (
        date_column("supported_on", "Ngày hỗ trợ", date(2017, 11, 10), ("ngày",)),
        Column("kind", "Hình thức hỗ trợ", "support_kind", True, "Chọn trong danh sách.", "Hội chợ", 24),
        Column("partner", "Đối tác", "text", False, "Không bắt buộc.", "Hiệp hội doanh nghiệp huyện", 24),
        Column("description", "Nội dung", "text", False, "Không bắt buộc.", "Gian hàng tại hội chợ nông sản", 30),
    ), {"support_kind": SUPPORT_KIND})

# The bank's repayment list: one row per repayment, the loan named by its funding's event id.
FUNDING_EVENT_ID = Column(
    "funding_event_id", "Mã khoản vay", "text", True,
    "Mã của lần giải ngân (event_id do hệ thống trả về khi ghi nhận khoản vay).",
    "0c8a5e2b-6f1d-4b7a-9e3c-5d2f8a1b7c40", 38, ("mã giải ngân", "mã khoản giải ngân", "funding_event_id"))
REPAYMENTS = event_layout(
    "Danh sách trả nợ vay của Bí thư Chi đoàn khởi nghiệp (mẫu)", "một lần trả nợ của một khoản vay", (
        date_column("paid_on", "Ngày trả", date(2018, 3, 15), ("ngày trả nợ", "ngày")),
        Column("principal_vnd", "Tiền gốc (đồng)", "integer", True,
               "Số nguyên, đồng, từ 0, không vượt dư nợ gốc còn lại.", 5_000_000, 16, ("gốc", "trả gốc")),
        Column("interest_vnd", "Tiền lãi (đồng)", "integer", False, "Số nguyên, đồng; không bắt buộc.", 350_000, 16,
               ("lãi", "trả lãi")),
        FIGURES_CONFIRMED,
    ), CONFIRMATIONS, path_column=FUNDING_EVENT_ID)


def _may_import_repayments(ctx: Context) -> None:
    """Only the lender posts a loan's events, which each row checks; a kind that lends nothing is refused
    before the file is read."""
    if ctx.principal.kind not in MATRIX[LoanRepaid.TYPE]:
        raise forbidden()


def _known(conn: Connection, participant_ids: list[str]) -> dict[str, dict[str, Any]]:
    return {handlers.KNOWN: dict(view.find_many(conn, participant_ids))}


KINDS: tuple[ImportKind, ...] = (
    event_kind("trainings", TRAININGS, schemas.TrainingBody(), handlers.train, (ParticipantTrained.TYPE,),
               "Import training attendance", "mau-tap-huan.xlsx", read_ahead=_known),
    event_kind("fundings", FUNDINGS, schemas.FundingBody(), handlers.fund, (ParticipantFunded.TYPE,),
               "Import a disbursement list", "mau-giai-ngan.xlsx",
               probes=tuple({"funding_source": source} for source in FUNDING_SOURCES), forbidden_field="source",
               read_ahead=_known),
    event_kind("supports", SUPPORTS, schemas.SupportBody(), handlers.support, (ParticipantSupported.TYPE,),
               "Import a list of business supports", "mau-ho-tro.xlsx", read_ahead=_known),
    replace(event_kind("repayments", REPAYMENTS, schemas.RepaymentBody(), handlers.repay, (LoanRepaid.TYPE,),
                       "Import the bank's list of loan repayments", "mau-tra-no.xlsx"),
            may_import=_may_import_repayments),
)


ROSTER_HEADERS = ["Mã đoàn viên", "Họ và tên", "Mã xã/thị trấn", "Ngày đăng ký"]
MAX_ROSTER = 50_000  # a province's participants, and then some


def _roster(engine: Engine, tree: OrgTree, scope: str) -> Roster:
    """The selected participants within `scope`: the only ones a training, funding or support may name."""
    with engine.connect() as conn:
        people = view.selected_in(conn, sorted(tree.descendants(scope)), MAX_ROSTER)
    return ROSTER_HEADERS, [(pid, name, unit, registered_on.strftime("%d/%m/%Y"))
                            for pid, name, unit, registered_on in people]


def blueprint(writer: Writer, tree: OrgTree) -> Blueprint:
    bp = Blueprint("support_imports", __name__, url_prefix="/api/v1")
    add_routes(bp, writer, tree, KINDS, roster=lambda scope: _roster(writer.engine, tree, scope))
    return bp
