"""What the demo program is made of: Vietnamese names, startup models of Thanh Hóa with their sectors,
funding sources with realistic amounts, lenders, partners, evaluation notes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

FAMILY = ["Lê", "Nguyễn", "Trịnh", "Hoàng", "Phạm", "Đỗ", "Bùi", "Vũ", "Mai", "Hà", "Lường", "Cao", "Đặng", "Lại"]
MALE = (["Văn", "Đình", "Hữu", "Minh", "Xuân", "Đức", "Quang", "Ngọc"],
        ["An", "Bình", "Cường", "Dũng", "Hải", "Hùng", "Khánh", "Long", "Nam", "Phong", "Quân", "Sơn", "Thắng",
         "Tuấn", "Việt", "Trung", "Hiếu", "Tùng"])
FEMALE = (["Thị", "Thu", "Ngọc", "Thanh", "Thùy"],
          ["Hà", "Hương", "Lan", "Linh", "Mai", "Nga", "Phương", "Thảo", "Trang", "Yến", "Huyền", "Oanh"])
MODELS = [  # (model, sector, monthly revenue in millions of VND at full speed)
    ("Trồng dưa lưới trong nhà màng", "crops", 60), ("Trồng rau an toàn theo VietGAP", "crops", 25),
    ("Thâm canh mía nguyên liệu", "crops", 40), ("Trồng nấm sò, nấm linh chi", "crops", 30),
    ("Trồng bưởi Diễn, cam Vinh", "crops", 35), ("Nuôi gà đồi thả vườn", "livestock", 45),
    ("Chăn nuôi lợn hướng nạc", "livestock", 90), ("Nuôi bò vỗ béo", "livestock", 70),
    ("Nuôi dê núi", "livestock", 30), ("Nuôi ong lấy mật", "livestock", 20),
    ("Nuôi cá lồng trên sông Chu", "aquaculture", 55), ("Nuôi cá rô đồng, ếch thương phẩm", "aquaculture", 35),
    ("Nuôi lươn không bùn", "aquaculture", 40), ("Trồng keo, luồng kết hợp chăn nuôi", "forestry", 25),
    ("Ươm giống cây lâm nghiệp", "forestry", 30), ("Sản xuất bánh gai Tứ Trụ", "food_processing", 50),
    ("Làm nem chua Thanh Hóa", "food_processing", 60), ("Chế biến chè lam Phủ Quảng", "food_processing", 35),
    ("Sản xuất mật mía, đường phên", "food_processing", 30), ("Đan lát mây tre xuất khẩu", "handicraft", 25),
    ("Dệt chiếu cói", "handicraft", 20), ("Dịch vụ cơ giới hóa làm đất, gặt đập", "trade_services", 50),
    ("Kinh doanh vật tư nông nghiệp", "trade_services", 80), ("Bán nông sản qua mạng", "trade_services", 40),
    ("Homestay và trải nghiệm làng quê", "tourism", 35), ("Xưởng cơ khí, hàn xì dân dụng", "industry_construction", 60),
    ("Sản xuất gạch không nung", "industry_construction", 90), ("Sửa chữa điện thoại, điện tử", "other", 25),
]
REJECTION_REASONS = ["Ý tưởng chưa khả thi về thị trường", "Chưa có mặt bằng sản xuất",
                     "Chưa đủ điều kiện vốn đối ứng", "Mô hình trùng lặp, quy mô quá nhỏ"]
# Share of each source among loans and grants (vbsp first: the program's main channel).
SOURCE_POOL = (["vbsp"] * 8 + ["provincial_youth_credit"] * 4 + ["youth_union_120"] * 3 + ["commercial_bank"] * 2
               + ["enterprise"] * 2 + ["other"])
AMOUNTS = {  # (min, max, step) in millions of VND, term in months
    "vbsp": (30, 100, 5, (36, 60)), "provincial_youth_credit": (50, 200, 10, (36, 60)),
    "youth_union_120": (20, 50, 5, (24, 36)), "commercial_bank": (100, 500, 10, (12, 36)),
    "enterprise": (20, 150, 10, None), "other": (10, 50, 5, None),
}
ENTERPRISES = ["Công ty CP Mía đường Lam Sơn", "Công ty CP Chăn nuôi C.P. Việt Nam", "HTX Nông nghiệp Xuân Lập",
               "Công ty TNHH Nông sản sạch Thanh Hóa"]
SUPPORTS = [  # (kind, partner, description)
    ("input_output_linkage", "Công ty CP Mía đường Lam Sơn", "Ký hợp đồng bao tiêu sản phẩm"),
    ("input_output_linkage", "Siêu thị Co.opmart Thanh Hóa", "Đưa sản phẩm vào chuỗi siêu thị"),
    ("trade_fair", "Sở Công Thương Thanh Hóa", "Gian hàng tại Hội chợ nông sản an toàn Thanh Hóa 2018"),
    ("trademark", "Hiệp hội doanh nghiệp huyện", "Hỗ trợ hồ sơ đăng ký nhãn hiệu"),
    ("food_safety", "Trung tâm Y tế huyện", "Cấp giấy chứng nhận cơ sở đủ điều kiện an toàn thực phẩm"),
    ("value_chain", "Hội Doanh nhân trẻ Thanh Hóa", "Tư vấn tham gia chuỗi giá trị nông sản"),
    ("mentoring", "Hội Doanh nhân trẻ Thanh Hóa", "Doanh nhân kèm cặp 6 tháng"),
    ("other", "Phòng Nông nghiệp và PTNT huyện", "Chuyển giao kỹ thuật tại mô hình"),
]
NOTES = {"successful": ["Mô hình hiệu quả, đầu ra ổn định", "Đã mở rộng quy mô, có lãi đều",
                        "Thu hút thanh niên địa phương tham gia"],
         "on_track": ["Mô hình phát triển đúng kế hoạch", "Đang hoàn thiện quy trình sản xuất"],
         "struggling": ["Gặp khó khăn về đầu ra", "Ảnh hưởng thời tiết, năng suất thấp", "Thiếu vốn lưu động"],
         "discontinued": ["Tạm dừng sản xuất do thua lỗ", "Chủ mô hình đi làm ăn xa"]}

DEADLINE = date(2017, 6, 22)
EVALUATION_MONTHS = [(2017, m) for m in range(10, 13)] + [(2018, m) for m in range(1, 11)]


@dataclass(frozen=True)
class District:
    code: str
    name: str
    people: int
    rejected: int
    successful: int
    decided_on: date
    course_on: date
    forum_on: date
    review_day: int  # day of the month of the district's monthly review
    summary_on: date  # the December 2018 summary conference


DISTRICTS = (
    District("TX", "Thọ Xuân", 26, 4, 13, date(2017, 6, 28), date(2017, 7, 18), date(2017, 11, 18), 25,
             date(2018, 12, 18)),
    District("TS", "Triệu Sơn", 16, 3, 7, date(2017, 6, 29), date(2017, 7, 20), date(2017, 11, 25), 26,
             date(2018, 12, 20)),
    District("THH", "Thiệu Hóa", 15, 2, 10, date(2017, 6, 30), date(2017, 7, 25), date(2017, 12, 2), 27,
             date(2018, 12, 21)),
    District("YD", "Yên Định", 13, 2, 5, date(2017, 7, 3), date(2017, 7, 27), date(2017, 12, 9), 28,
             date(2018, 12, 24)),
)
PROVINCE_SUMMARY = date(2018, 12, 27)


@dataclass
class Step:
    """One request. `person` names the participant whose id fills {participant} in the path; the reply's
    event id is kept under `tag` for a later retraction ({event:TAG})."""

    day: date
    stage: int
    tag: str
    service: str
    agency: str  # the demo key that posts it (tienphong.demo.demo_agencies)
    path: str
    body: dict[str, Any]
    person: str | None = None
    binds: str | None = None  # a registration: the person its participant id belongs to
    order: float = 0  # tie-break among steps of one day and stage


@dataclass
class Person:
    handle: str
    district: District
    commune: str
    full_name: str
    birth_date: date
    gender: str
    phone: str
    branch: str
    model: str
    sector: str
    revenue: int
    registered_on: date
    outcome: str = "rejected"  # rejected | successful | on_track | struggling | discontinued
    evaluations: list[str] = field(default_factory=list)  # tags, in date order
