"""The commune registration list "theo mẫu": its columns and closed lists (shared.imports reads, checks and
templates it)."""

from __future__ import annotations

from datetime import date

from shared.imports.confirmations import CONFIRM, NOT_DUPLICATE
from shared.imports.layout import Choice, Column, Layout

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
    NOT_DUPLICATE,
)
REGISTRATIONS = Layout(
    title="Danh sách đăng ký Bí thư Chi đoàn tham gia chương trình \"Bí thư Chi đoàn tiên phong khởi nghiệp\" (mẫu)",
    columns=COLUMNS,
    choices={
        "gender": Choice({"nam": "male", "nữ": "female", "nu": "female", "khác": "other", "khac": "other",
                          "male": "male", "female": "female", "other": "other"},
                         '"Nam,Nữ,Khác"', "Nam, Nữ hoặc Khác", "Nam, Nữ or Khác (male, female, other)"),
        "branch_kind": Choice({"khu dân cư": "residential", "địa bàn dân cư": "residential",
                               "khối địa bàn dân cư": "residential", "dân cư": "residential",
                               # the phone form's wording (thôn, khu phố: the villages a residential branch is)
                               "khu dân cư (thôn, khu phố)": "residential", "thôn, khu phố": "residential",
                               "thôn": "residential", "khu phố": "residential",
                               "residential": "residential", "trường học": "school", "school": "school",
                               "doanh nghiệp": "enterprise", "enterprise": "enterprise", "khác": "other",
                               "other": "other"},
                              '"Khu dân cư,Trường học,Doanh nghiệp,Khác"',
                              "Khu dân cư, Trường học, Doanh nghiệp hoặc Khác",
                              "Khu dân cư, Trường học, Doanh nghiệp or Khác"),
        "yes_no": CONFIRM,  # the same closed list
        "confirm": CONFIRM,
    },
    # a district sends one file per commune, a few dozen rows each
    max_rows=5_000,
)
