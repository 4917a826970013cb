"""A báo cáo as the Youth Union's administrative documents are laid out, built from the JSON period report (so
the document carries the same figures): the head (issuing body, "ĐOÀN TNCS HỒ CHÍ MINH", number, place and
date), the title and subject, results grouped as the plan's tasks, comparisons with the previous period, the
same period last year and the target, a table per child unit, the figures' definitions, "Nơi nhận" and the
signature block. The DOCX and PDF renderers only lay this model out."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from services.reporting.dashboard import texts
from services.reporting.definitions import CUMULATIVE_BY_KEY, IN_PERIOD_BY_KEY, SCOPE_WORDS, TARGET_BY_KEY
from services.reporting.document_heads import Head
from services.reporting.loans import report_paragraph
from services.reporting.numbers import period_words, vn_dated_line, vn_number

UNION = "ĐOÀN TNCS HỒ CHÍ MINH"
PROGRAM = "mô hình “Bí thư Chi đoàn tiên phong khởi nghiệp”"


@dataclass(frozen=True)
class Table:
    header: list[str]
    rows: list[list[str]]
    widths: list[float]  # shares of the text width, summing to 1


@dataclass
class Section:
    heading: str
    paragraphs: list[str] = field(default_factory=list)
    table: Table | None = None


@dataclass
class Document:
    head: Head
    dated: str  # "Thọ Xuân, ngày 05 tháng 7 năm 2018"
    number_line: str  # "Số: …-BC/HĐTX"
    title: str
    subject: str
    summary: str  # the short text written from the figures
    sections: list[Section]
    file_name: str


def n(value: int) -> str:
    return vn_number(int(value))


# The plan's tasks (DOMAIN.md), each with its in-period and cumulative figures.
TASKS: list[tuple[str, list[str], list[str]]] = [
    ("Khảo sát, lựa chọn Bí thư Chi đoàn tham gia chương trình", ["registrations", "selections", "rejections"],
     ["registered", "selected"]),
    ("Tư vấn, tập huấn kiến thức, kỹ năng khởi nghiệp", ["trainings", "participants_trained"], ["trained"]),
    ("Hỗ trợ vốn vay", ["fundings", "participants_funded", "funding_vnd"], ["funded", "funding_vnd"]),
    ("Kết nối thị trường, hỗ trợ doanh nghiệp", ["supports"], ["supported"]),
    ("Đánh giá hiệu quả các mô hình", ["evaluations", "successful_change", "jobs_created_change"],
     ["evaluated", "successful", "jobs_created"]),
    ("Tuyên dương, nhân rộng mô hình", ["commendations", "replications"], ["commended", "replications"]),
]
COMPARED = ["registrations", "selections", "trainings", "fundings", "funding_vnd", "supports", "evaluations",
            "commendations", "replications"]
CHILD_COLUMNS = [("selections", "Lựa chọn"), ("trainings", "Tập huấn"), ("fundings", "Giải ngân"),
                 ("funding_vnd", "Vốn (đồng)"), ("evaluations", "Đánh giá")]


def _in_period(key: str, figures: dict[str, Any]) -> str:
    d = IN_PERIOD_BY_KEY[key]
    return f"{d.name_vi}: {n(figures[key])} {d.unit_vi}"


def _cumulative(key: str, figures: dict[str, Any]) -> str:
    d = CUMULATIVE_BY_KEY[key]
    return f"{d.name_vi}: {n(figures[key])} {d.unit_vi}"


def summary_text(report: dict[str, Any], head: Head) -> str:
    p, c, t = report["in_period"], report["cumulative"], report["target"]
    when = period_words(report["period"], "vi")
    text = (f"Trong {when[0].lower()}{when[1:]}, {head.whole} có {n(p['selections'])} Bí thư Chi đoàn được lựa chọn"
            f" tham gia chương trình, {n(p['trainings'])} lượt tập huấn; {n(p['fundings'])} lượt giải ngân vốn vay"
            f" với tổng số {n(p['funding_vnd'])} đồng ({n(p['participants_funded'])} mô hình được hỗ trợ vốn lần đầu);"
            f" {n(p['supports'])} lượt hỗ trợ kết nối thị trường, doanh nghiệp; {n(p['evaluations'])} lượt đánh giá."
            f" Lũy kế đến ngày {_day(report['period']['end'])}, {head.whole} có {n(c['successful'])} mô hình"
            f" thành công, tổng vốn đã giải ngân {n(c['funding_vnd'])} đồng.")
    if t["status"] != "no_target":
        text += (f" So với chỉ tiêu {n(t['successful_models'])} mô hình thành công: {t['status_text']['vi']}"
                 + (f", còn thiếu {n(t['missing'])} mô hình." if t["missing"] else "."))
    return text


def _day(iso: str) -> str:
    day = date.fromisoformat(iso)
    return f"{day.day:02d}/{day.month:02d}/{day.year}"


def _source_name(source: str) -> str:
    """A funding source by the name the dashboard gives it (a code only for one it does not know)."""
    return texts("vi").get(f"source.{source}", source)


def build(report: dict[str, Any], head: Head, dated: date) -> Document:
    sections: list[Section] = []
    for i, (heading, in_period, cumulative) in enumerate(TASKS, start=1):
        section = Section(f"{i}. {heading}")
        section.paragraphs.append("Trong kỳ: " + "; ".join(_in_period(k, report["in_period"]) for k in in_period) + ".")
        section.paragraphs.append("Lũy kế: " + "; ".join(_cumulative(k, report["cumulative"]) for k in cumulative)
                                  + ".")
        if heading.startswith("Hỗ trợ vốn") and report["in_period"]["funding_by_source"]:
            section.paragraphs.append("Theo nguồn vốn (trong kỳ): " + "; ".join(
                f"{_source_name(source)}: {n(amount)} đồng"
                for source, amount in report["in_period"]["funding_by_source"].items())
                + ".")
        if heading.startswith("Hỗ trợ vốn") and report.get("loans"):
            section.paragraphs.append(report_paragraph(report["loans"], date.fromisoformat(report["period"]["end"])))
        sections.append(section)
    sections.append(comparison(report))
    sections.append(target_section(report))
    sections.append(children_section(report))
    sections.append(notes(report))
    period, unit = report["period"], report["org_unit"]
    return Document(
        head=head, dated=vn_dated_line(head.place, dated), number_line=f"Số: {head.number}-BC/{head.symbol}",
        title="BÁO CÁO",
        subject=f"Kết quả thực hiện {PROGRAM} {period_words(period, 'vi')[0].lower()}{period_words(period, 'vi')[1:]}",
        summary=summary_text(report, head), sections=sections,
        file_name=f"bao-cao-{unit['code']}-{period['code']}")


def comparison(report: dict[str, Any]) -> Section:
    previous, last_year = report["previous"], report["same_period_last_year"]
    rows = [[IN_PERIOD_BY_KEY[k].name_vi, *[n(f["in_period"][k]) for f in (report, previous, last_year)]]
            for k in COMPARED]
    rows.append([CUMULATIVE_BY_KEY["successful"].name_vi + " (lũy kế)",
                 *[n(f["cumulative"]["successful"]) for f in (report, previous, last_year)]])
    return Section(f"{len(TASKS) + 1}. So sánh với kỳ trước và cùng kỳ năm trước", table=Table(
        ["Chỉ số", f"Kỳ này ({report['period']['code']})", f"Kỳ trước ({previous['period']['code']})",
         f"Cùng kỳ năm trước ({last_year['period']['code']})"], rows, [0.4, 0.2, 0.2, 0.2]))


def target_section(report: dict[str, Any]) -> Section:
    t = report["target"]
    section = Section(f"{len(TASKS) + 2}. So với chỉ tiêu")
    if t["status"] == "no_target":
        section.paragraphs.append(f"Chưa giao chỉ tiêu; lũy kế {n(t['achieved'])} mô hình thành công.")
        return section
    section.paragraphs.append(
        f"Chỉ tiêu {n(t['successful_models'])} mô hình thành công đến ngày {_day(t['due_on'])}; đạt {n(t['achieved'])}"
        f" mô hình ({t['status_text']['vi']}); còn thiếu {n(t['missing'])} mô hình; theo tiến độ cần có"
        f" {n(t['expected_by_as_of'])} mô hình đến ngày {_day(report['period']['end'])}.")
    return section


def children_section(report: dict[str, Any]) -> Section:
    rows = []
    for child in report["children"]:
        t = child["target"]
        rows.append([child["org_unit"]["name"], *[n(child["in_period"][k]) for k, _ in CHILD_COLUMNS],
                     n(child["cumulative"]["successful"]), *_target_cells(t)])
    rows.append(["Tổng cộng", *[n(report["in_period"][k]) for k, _ in CHILD_COLUMNS],
                 n(report["cumulative"]["successful"]), *_target_cells(report["target"])])
    return Section(f"{len(TASKS) + 3}. Kết quả theo đơn vị", table=Table(
        ["Đơn vị", *[label for _, label in CHILD_COLUMNS], "MH thành công (lũy kế)", "Chỉ tiêu", "Đánh giá"], rows,
        [0.19, 0.09, 0.09, 0.09, 0.16, 0.09, 0.1, 0.08, 0.11]))


def _target_cells(target: dict[str, Any]) -> list[str]:
    """Target and status; a unit without a target: dashes (the notes say why)."""
    if target["status"] == "no_target":
        return ["—", "—"]
    return [n(target["successful_models"]), target["status_text"]["vi"]]


def notes(report: dict[str, Any]) -> Section:
    section = Section("Ghi chú: cách tính các chỉ số")
    section.paragraphs.append(f"Số liệu “trong kỳ”: {SCOPE_WORDS['in_period'][0]}; số liệu “lũy kế”: "
                              f"{SCOPE_WORDS['cumulative'][0]}. Dấu “—”: đơn vị chưa được giao chỉ tiêu.")
    if report.get("known_at"):
        section.paragraphs.append(f"Số liệu theo dữ liệu đã ghi nhận đến thời điểm {report['known_at']}"
                                  + (" (đã có điều chỉnh sau thời điểm này)." if report.get("restated") else "."))
    chosen = [IN_PERIOD_BY_KEY[k] for k in ("selections", "fundings", "funding_vnd", "successful_change")]
    for d in [*chosen, CUMULATIVE_BY_KEY["successful"], TARGET_BY_KEY["expected_by_as_of"]]:
        section.paragraphs.append(f"{d.name_vi}: {d.text_vi}")
    return section
