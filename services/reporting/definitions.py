"""What every figure the reads give means, in Vietnamese and English: one text for the API, the dashboard,
the exports and the báo cáo documents.

Two kinds of figure answer differently: a *cumulative* one counts everything from the program's start up to
and including a date (a summary's totals, a report's `cumulative`); an *in-period* one counts only what
happened between a period's first and last day (a report's `in_period`). A report as of mid-period and the
lifecycle panel of a summary therefore give different counts (23 participants selected since the start,
16 of them this half year): each figure says which it is.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

CUMULATIVE = "cumulative"
IN_PERIOD = "in_period"
SCOPE_WORDS = {CUMULATIVE: ("lũy kế đến ngày báo cáo", "cumulative up to the date"),
               IN_PERIOD: ("phát sinh trong kỳ", "within the period")}


@dataclass(frozen=True)
class Definition:
    key: str  # the figure's name in the JSON answers
    scope: str  # CUMULATIVE or IN_PERIOD
    name_vi: str
    name_en: str
    text_vi: str
    text_en: str
    unit_vi: str = "người"
    unit_en: str = "participants"

    def name(self, lang: str) -> str:
        return self.name_en if lang == "en" else self.name_vi

    def text(self, lang: str) -> str:
        return self.text_en if lang == "en" else self.text_vi

    def as_dict(self) -> dict[str, Any]:
        return {"key": self.key, "scope": self.scope, "name": {"vi": self.name_vi, "en": self.name_en},
                "definition": {"vi": self.text_vi, "en": self.text_en},
                "scope_words": {"vi": SCOPE_WORDS[self.scope][0], "en": SCOPE_WORDS[self.scope][1]},
                "unit": {"vi": self.unit_vi, "en": self.unit_en}}


def _c(key: str, vi: str, en: str, text_vi: str, text_en: str, unit: tuple[str, str] = ("người", "participants")
       ) -> Definition:
    return Definition(key, CUMULATIVE, vi, en, text_vi + " (lũy kế từ đầu chương trình đến hết ngày báo cáo).",
                      text_en + " (cumulative from the program's start through the date).", *unit)


def _p(key: str, vi: str, en: str, text_vi: str, text_en: str, unit: tuple[str, str] = ("lượt", "events")
       ) -> Definition:
    return Definition(key, IN_PERIOD, vi, en, text_vi + " (chỉ tính trong kỳ báo cáo, từ ngày đầu đến ngày cuối kỳ).",
                      text_en + " (only within the period, from its first to its last day).", *unit)


VND = ("đồng", "VND")
MODELS = ("mô hình", "models")
JOBS = ("việc làm", "jobs")

# Summary totals, and a report's `cumulative`: the state on a date.
CUMULATIVE_FIGURES = [
    _c("registered", "Đăng ký", "Registered", "Số Bí thư Chi đoàn đã đăng ký tham gia chương trình",
       "Branch secretaries registered in the program"),
    _c("selected", "Được lựa chọn", "Selected",
       "Số người có quyết định lựa chọn còn hiệu lực (quyết định sau cùng là lựa chọn)",
       "Participants whose latest decision is a selection"),
    _c("rejected", "Không được chọn", "Rejected", "Số người có quyết định sau cùng là không lựa chọn",
       "Participants whose latest decision is a rejection"),
    _c("trained", "Được tập huấn", "Trained", "Số người đã dự ít nhất một lớp tập huấn, tham quan hoặc tư vấn",
       "Participants with at least one training, study visit or coaching"),
    _c("funded", "Được vay vốn", "Funded", "Số người đã được giải ngân ít nhất một khoản vốn",
       "Participants with at least one disbursement"),
    _c("supported", "Được hỗ trợ", "Supported",
       "Số người đã được hỗ trợ kết nối thị trường, doanh nghiệp hoặc thủ tục ít nhất một lần",
       "Participants given market-link or business support at least once"),
    _c("evaluated", "Được đánh giá", "Evaluated", "Số người đã được đánh giá ít nhất một lần",
       "Participants evaluated at least once"),
    _c("successful", "Mô hình thành công", "Successful models",
       "Số mô hình mà lần đánh giá gần nhất (đến ngày báo cáo) kết luận là thành công",
       "Models whose latest evaluation up to the date says successful", MODELS),
    _c("commended", "Được tuyên dương", "Commended", "Số người đã được tuyên dương, khen thưởng",
       "Participants commended"),
    _c("replications", "Mô hình nhân rộng", "Replications",
       "Số mô hình do thanh niên khác làm theo một mô hình của chương trình", "Models started by other youths "
       "following a participant's", MODELS),
    _c("funding_vnd", "Tổng vốn", "Funding", "Tổng số tiền đã giải ngân, mọi nguồn vốn",
       "Total amount disbursed, every source", VND),
    _c("jobs_created", "Việc làm tạo ra", "Jobs created",
       "Số việc làm theo lần đánh giá gần nhất của mỗi mô hình", "Jobs as the latest evaluation of each model "
       "counts them", JOBS),
]

# A report's `in_period`: what happened within the period.
IN_PERIOD_FIGURES = [
    _p("registrations", "Đăng ký mới", "New registrations", "Số lượt đăng ký có ngày đăng ký trong kỳ",
       "Registrations dated within the period", ("người", "participants")),
    _p("selections", "Được lựa chọn", "Selected", "Số người được lựa chọn với ngày quyết định trong kỳ",
       "Selections decided within the period", ("người", "participants")),
    _p("rejections", "Không được chọn", "Rejected", "Số quyết định không lựa chọn trong kỳ",
       "Rejections decided within the period", ("người", "participants")),
    _p("trainings", "Lượt tập huấn", "Trainings", "Số lượt tập huấn, tham quan, tư vấn trong kỳ",
       "Trainings, study visits and coaching within the period"),
    _p("participants_trained", "Người được tập huấn lần đầu", "First trained",
       "Số người được tập huấn lần đầu tiên trong kỳ", "Participants trained for the first time within the period",
       ("người", "participants")),
    _p("fundings", "Lượt giải ngân", "Disbursements", "Số lượt giải ngân trong kỳ",
       "Disbursements within the period"),
    _p("participants_funded", "Người được vay vốn lần đầu", "First funded",
       "Số người được giải ngân lần đầu tiên trong kỳ", "Participants funded for the first time within the period",
       ("người", "participants")),
    _p("funding_vnd", "Vốn giải ngân", "Funding disbursed", "Tổng số tiền giải ngân trong kỳ",
       "Amount disbursed within the period", VND),
    _p("supports", "Lượt hỗ trợ", "Supports", "Số lượt hỗ trợ kết nối thị trường, doanh nghiệp trong kỳ",
       "Market-link and business supports within the period"),
    _p("evaluations", "Lượt đánh giá", "Evaluations", "Số lượt đánh giá mô hình trong kỳ",
       "Evaluations within the period"),
    _p("successful_change", "Mô hình thành công tăng thêm", "Change in successful models",
       "Mô hình thành công cuối kỳ trừ đầu kỳ (có thể âm khi một mô hình không còn thành công)",
       "Successful models at the period's end less at its start (negative when a model stops being successful)",
       MODELS),
    _p("commendations", "Tuyên dương", "Commendations", "Số lượt tuyên dương trong kỳ",
       "Commendations within the period"),
    _p("replications", "Nhân rộng", "Replications", "Số mô hình nhân rộng trong kỳ",
       "Replications within the period", MODELS),
    _p("jobs_created_change", "Việc làm tăng thêm", "Change in jobs",
       "Việc làm cuối kỳ trừ đầu kỳ, theo các lần đánh giá", "Jobs at the period's end less at its start", JOBS),
]

TARGET_FIGURES = [
    Definition("target", CUMULATIVE, "Chỉ tiêu", "Target",
               "Số mô hình thành công cần đạt đến hạn của chỉ tiêu, theo chỉ tiêu có hiệu lực vào ngày báo cáo.",
               "Successful models to reach by the target's due date, as the target valid on the date says.",
               "mô hình", "models"),
    Definition("expected_by_as_of", CUMULATIVE, "Cần đạt theo tiến độ", "Expected by now",
               "Số mô hình thành công cần có đến ngày báo cáo nếu tiến độ đều từ ngày bắt đầu đến hạn chỉ tiêu "
               "(làm tròn xuống).",
               "Successful models needed by the date on a straight line from the target's start to its due date "
               "(rounded down).", "mô hình", "models"),
    Definition("missing", CUMULATIVE, "Còn thiếu", "Missing",
               "Chỉ tiêu trừ số mô hình thành công lũy kế (0 khi đã đạt).",
               "Target less the successful models to date (0 once reached).", "mô hình", "models"),
]

ALL = CUMULATIVE_FIGURES + IN_PERIOD_FIGURES + TARGET_FIGURES
CUMULATIVE_BY_KEY = {d.key: d for d in CUMULATIVE_FIGURES}
IN_PERIOD_BY_KEY = {d.key: d for d in IN_PERIOD_FIGURES}
TARGET_BY_KEY = {d.key: d for d in TARGET_FIGURES}


def as_json() -> dict[str, Any]:
    """The definitions as `GET /api/v1/definitions` answers them, by where the figure appears."""
    return {"cumulative": [d.as_dict() for d in CUMULATIVE_FIGURES],
            "in_period": [d.as_dict() for d in IN_PERIOD_FIGURES],
            "target": [d.as_dict() for d in TARGET_FIGURES],
            "scopes": {k: {"vi": v[0], "en": v[1]} for k, v in SCOPE_WORDS.items()}}
