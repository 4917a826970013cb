"""Registration's lists of events on registered participants: decisions, evaluation rounds, commendations,
replications. Each is declared from its single-event endpoint (schema and handler); shared.imports does
the rest."""

from __future__ import annotations

from datetime import date

from services.registration import handlers, schemas
from shared.events.types import (
    ModelReplicated,
    ParticipantCommended,
    ParticipantEvaluated,
    ParticipantRejected,
    ParticipantSelected,
)
from shared.imports.confirmations import CHOICES as CONFIRMATIONS
from shared.imports.confirmations import FIGURES_CONFIRMED
from shared.imports.events import date_column, event_kind, event_layout
from shared.imports.layout import Column, labelled

SECTOR = labelled({
    "crops": ("Trồng trọt",), "livestock": ("Chăn nuôi",), "aquaculture": ("Thủy sản", "thuỷ sản"),
    "forestry": ("Lâm nghiệp",), "food_processing": ("Chế biến thực phẩm", "chế biến"),
    "handicraft": ("Thủ công mỹ nghệ", "thủ công"), "trade_services": ("Thương mại – dịch vụ", "thương mại - dịch vụ",
                                                                     "thương mại dịch vụ", "dịch vụ"),
    "tourism": ("Du lịch",), "industry_construction": ("Công nghiệp – xây dựng", "công nghiệp - xây dựng",
                                                       "công nghiệp xây dựng"),
    "other": ("Khác",),
})
DECISION = labelled({
    "selected": ("Lựa chọn", "chọn", "được chọn", "được lựa chọn", "đồng ý"),
    "rejected": ("Không lựa chọn", "không chọn", "không được chọn", "loại"),
})
EVALUATION = labelled({
    "successful": ("Thành công",), "on_track": ("Đúng tiến độ", "đúng hướng"),
    "struggling": ("Gặp khó khăn", "khó khăn"), "discontinued": ("Đã dừng", "dừng"),
})

DECISIONS = event_layout(
    "Danh sách quyết định lựa chọn Bí thư Chi đoàn tham gia chương trình (mẫu)", "quyết định về một đoàn viên", (
        Column("decision", "Quyết định", "decision", True, "Lựa chọn hoặc Không lựa chọn.", "Lựa chọn", 16),
        Column("sector", "Nhóm ngành nghề", "sector", False,
               "Bắt buộc khi lựa chọn: nhóm ngành nghề của mô hình (chọn trong danh sách).", "Chăn nuôi", 22,
               ("ngành nghề",)),
        Column("reason", "Lý do", "text", False, "Không bắt buộc.", "Mô hình phù hợp điều kiện địa phương", 30),
        date_column("decided_on", "Ngày quyết định", date(2017, 7, 1)),
    ), {"decision": DECISION, "sector": SECTOR})

EVALUATIONS = event_layout(
    "Kết quả đánh giá mô hình của Bí thư Chi đoàn (mẫu)", "một lần đánh giá một mô hình", (
        date_column("evaluated_on", "Ngày đánh giá", date(2018, 6, 30)),
        Column("status", "Kết quả đánh giá", "evaluation", True,
               "Thành công, Đúng tiến độ, Gặp khó khăn hoặc Đã dừng.", "Đúng tiến độ", 16, ("kết quả",)),
        Column("revenue_vnd", "Doanh thu (đồng)", "integer", False, "Số nguyên, đồng; không bắt buộc.", 120_000_000,
               16, ("doanh thu",)),
        Column("profit_vnd", "Lợi nhuận (đồng)", "integer", False, "Số nguyên, đồng (có thể âm); không bắt buộc.",
               30_000_000, 16, ("lợi nhuận",)),
        Column("jobs_created", "Số việc làm tạo ra", "integer", False, "Số nguyên; không bắt buộc.", 3, 12,
               ("việc làm",)),
        Column("note", "Ghi chú", "text", False, "Không bắt buộc.", "Đàn gà phát triển tốt", 30),
        FIGURES_CONFIRMED,
    ), {"evaluation": EVALUATION} | CONFIRMATIONS)

COMMENDATIONS = event_layout(
    "Danh sách Bí thư Chi đoàn được tuyên dương (mẫu)", "một lần tuyên dương", (
        date_column("commended_on", "Ngày tuyên dương", date(2018, 12, 20)),
        Column("title", "Hình thức tuyên dương", "text", True, "Danh hiệu hoặc hình thức khen thưởng.",
               "Giấy khen Bí thư Chi đoàn tiên phong khởi nghiệp", 30, ("danh hiệu",)),
        Column("issued_by", "Cơ quan khen thưởng", "text", False, "Không bắt buộc.", "Tỉnh Đoàn Thanh Hóa", 22),
    ), {})

REPLICATIONS = event_layout(
    "Danh sách mô hình được nhân rộng (mẫu)", "một thanh niên nhân rộng mô hình của một đoàn viên", (
        date_column("replicated_on", "Ngày nhân rộng", date(2018, 9, 15)),
        Column("youth_name", "Họ tên thanh niên nhân rộng", "text", True, "Người làm theo mô hình.",
               "Trần Thị Bình", 24, ("người nhân rộng",)),
        Column("org_unit", "Mã xã/thị trấn", "org_unit", True,
               "Xã của người nhân rộng: mã (xem trang 'Đơn vị') hoặc tên xã/thị trấn.", "TX-XUANHOA", 16,
               ("mã xã", "xã/thị trấn", "đơn vị")),
        Column("note", "Ghi chú", "text", False, "Không bắt buộc.", "Nuôi 300 con gà", 30),
    ), {})

EVENT_KINDS = (
    event_kind("decisions", DECISIONS, schemas.DecisionBody(), handlers.decide,
               (ParticipantSelected.TYPE, ParticipantRejected.TYPE), "Import a list of selection decisions",
               "mau-quyet-dinh-lua-chon.xlsx"),
    event_kind("evaluations", EVALUATIONS, schemas.EvaluationBody(), handlers.evaluate, (ParticipantEvaluated.TYPE,),
               "Import an evaluation round", "mau-danh-gia.xlsx"),
    event_kind("commendations", COMMENDATIONS, schemas.CommendationBody(), handlers.commend,
               (ParticipantCommended.TYPE,), "Import a list of commendations", "mau-tuyen-duong.xlsx"),
    event_kind("replications", REPLICATIONS, schemas.ReplicationBody(), handlers.replicate,
               (ModelReplicated.TYPE,), "Import a list of replications", "mau-nhan-rong.xlsx"),
)
