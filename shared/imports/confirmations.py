"""The confirmation columns of the lists: what a form's "confirm" sends, as a spreadsheet sends it. A row the
write checks refuse (likely_duplicate, confirmation_required) is recorded once its column says Có."""

from __future__ import annotations

from shared.imports.layout import Choice, Column

CONFIRM = Choice({"có": True, "co": True, "x": True, "yes": True, "true": True, "1": True,
                  "không": False, "khong": False, "no": False, "false": False, "0": False},
                 '"Có,Không"', "Có hoặc Không", "Có or Không (yes or no)")
CHOICES = {"confirm": CONFIRM}

FIGURES_CONFIRMED = Column(
    "confirmed_implausible", "Xác nhận số liệu", "confirm", False,
    "Có nếu dòng bị báo số liệu bất thường (confirmation_required) và đã kiểm tra là đúng; để trống nếu không.",
    "Không", 14, ("xác nhận số liệu bất thường",))
NOT_DUPLICATE = Column(
    "confirm_not_duplicate", "Xác nhận không trùng", "confirm", False,
    "Có nếu dòng bị báo có thể trùng với người đã đăng ký (likely_duplicate) và đã kiểm tra là người khác; "
    "để trống nếu không.", "Không", 14, ("xác nhận không trùng người",))
