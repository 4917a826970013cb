"""User-facing messages: Vietnamese by default, English on request (Accept-Language: en)."""

from __future__ import annotations

import re

MESSAGES: dict[str, tuple[str, str]] = {
    # code: (vi, en)
    "bad_json": ("Nội dung gửi lên không phải JSON hợp lệ.", "The request body is not valid JSON."),
    "unsupported_media_type": ("Nội dung phải có Content-Type: application/json.",
                               "The body must be sent as Content-Type: application/json."),
    "payload_too_large": ("Nội dung gửi lên vượt quá 1 MiB.", "The request body exceeds 1 MiB."),
    "validation_failed": ("Dữ liệu không hợp lệ.", "Some fields are invalid."),
    "not_found": ("Không tìm thấy.", "Not found."),
    "method_not_allowed": ("Phương thức không được hỗ trợ.", "Method not allowed."),
    "unauthorized": ("Thiếu hoặc sai khóa truy cập (Authorization: Bearer ...).",
                     "Missing or invalid access key (Authorization: Bearer ...)."),
    "forbidden": ("Khóa truy cập không có quyền thực hiện thao tác này.",
                  "This access key may not perform this action."),
    "out_of_scope": ("Đơn vị nằm ngoài phạm vi của khóa truy cập.", "The org unit is outside this key's scope."),
    "rate_limited": ("Quá nhiều yêu cầu; vui lòng thử lại sau.", "Too many requests; retry later."),
    "org_unit_not_valid": ("Đơn vị {org_code} chưa có vào ngày {day} (có từ {valid_from}). Xem với as_of từ ngày "
                           "đó, hoặc hierarchy=current để xem lịch sử trên các đơn vị hiện nay.",
                           "Org unit {org_code} did not exist yet on {day} (it exists from {valid_from}). Read it "
                           "with an as_of from then on, or with hierarchy=current for history on today's units."),
    "unknown_org_unit": ("Không có đơn vị {org_code} trong danh sách đơn vị.",
                         "No org unit {org_code} in the hierarchy."),
    "unknown_participant": ("Không tìm thấy đoàn viên {participant_id}.", "No participant {participant_id}."),
    "internal_error": ("Lỗi hệ thống; yêu cầu chưa được ghi nhận.", "Internal error; nothing was recorded."),
    "unavailable": ("Dịch vụ chưa sẵn sàng.", "Service not ready."),
    "bad_request": ("Yêu cầu không hợp lệ.", "Bad request."),
    "uri_too_long": ("Địa chỉ (URL) của yêu cầu quá dài.", "The request URL is too long."),
    "headers_too_large": ("Phần đầu (header) của yêu cầu quá lớn.", "The request headers are too large."),
    "not_implemented": ("Máy chủ không hỗ trợ yêu cầu này.", "The server does not support this request."),
}

# marshmallow's English messages and their Vietnamese wording
_FIELD_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"^Missing data for required field\.$"), "Thiếu trường bắt buộc."),
    (re.compile(r"^Field may not be null\.$"), "Trường này không được để trống."),
    (re.compile(r"^Unknown field\.$"), "Trường không được hỗ trợ."),
    (re.compile(r"^Not a valid date\.$"), "Ngày không hợp lệ (định dạng YYYY-MM-DD)."),
    (re.compile(r"^Not a valid datetime\.$"), "Thời điểm không hợp lệ."),
    (re.compile(r"^Not a valid integer\.$"), "Phải là số nguyên."),
    (re.compile(r"^Not a valid boolean\.$"), "Phải là true hoặc false."),
    (re.compile(r"^Not a valid string\.$"), "Phải là chuỗi ký tự."),
    (re.compile(r"^Not a valid UUID\.$"), "Mã định danh không hợp lệ."),
    (re.compile(r"^Invalid input type\.$"), "Kiểu dữ liệu không hợp lệ."),
    (re.compile(r"^Not a valid list\.$"), "Phải là một danh sách."),
    (re.compile(r"^Not a valid mapping type\.$"), "Phải là một đối tượng (JSON object)."),
    (re.compile(r"^Must be one of: (.*)\.$"), "Phải là một trong: {0}."),
    (re.compile(r"^Must be greater than or equal to (\S+) and less than or equal to (\S+)\.$"),
     "Phải nằm trong khoảng {0} đến {1}."),
    (re.compile(r"^Must be greater than or equal to (\S+)\.$"), "Phải lớn hơn hoặc bằng {0}."),
    (re.compile(r"^Must be less than or equal to (\S+)\.$"), "Phải nhỏ hơn hoặc bằng {0}."),
    (re.compile(r"^Length must be between (\d+) and (\d+)\.$"), "Độ dài phải từ {0} đến {1} ký tự."),
    (re.compile(r"^Shorter than minimum length (\d+)\.$"), "Không được để trống."),
    (re.compile(r"^Longer than maximum length (\d+)\.$"), "Dài quá {0} ký tự."),
]


def language(accept_language: str | None) -> str:
    """'en' when the client prefers English, else Vietnamese."""
    if not accept_language:
        return "vi"
    first = accept_language.split(",")[0].strip().lower()
    return "en" if first.startswith("en") else "vi"


def message(code: str, lang: str, **params: object) -> str:
    vi, en = MESSAGES.get(code, (code, code))
    template = en if lang == "en" else vi
    return template.format(**params) if params else template


def field_message(text: str, lang: str) -> str:
    """Translate one marshmallow message; project rules pass (vi, en) pairs joined by '||'."""
    if "||" in text:
        vi, en = text.split("||", 1)
        return en if lang == "en" else vi
    if lang == "en":
        return text
    for pattern, vi_template in _FIELD_PATTERNS:
        match = pattern.match(text)
        if match:
            return vi_template.format(*match.groups())
    return text


def bilingual(vi: str, en: str) -> str:
    """A rule's message in both languages, picked per request by field_message."""
    return f"{vi}||{en}"
