"""An import over HTTP: the uploaded file, its idempotency key, and the all-or-nothing refusal that lists
every failing row."""

from __future__ import annotations

import hashlib
import re

from flask import request
from werkzeug.exceptions import RequestEntityTooLarge

from shared.eventstore import EventStore
from shared.imports.cells import RowProblem
from shared.rules import RuleViolation
from shared.write_api import IDEMPOTENCY_KEY
from shared.writes import Context, Idempotency, Reply

MAX_LISTED_PROBLEMS = 1_000  # a file wrong everywhere still gets a readable answer


def uploaded_file(max_bytes: int | None = None) -> tuple[bytes, str, str | None]:
    """The request's file, its name (without path or control characters) and the org unit given for it;
    `max_bytes`: a limit of its own instead of the service's body limit."""
    if max_bytes is not None:
        request.max_content_length = max_bytes
    if request.mimetype != "multipart/form-data":
        raise RuleViolation(415, "unsupported_media_type", None,
                            "Gửi tệp dạng multipart/form-data, trong trường 'file'.",
                            "Send the file as multipart/form-data, in the field 'file'.")
    try:
        upload, org_unit = request.files.get("file"), request.form.get("org_unit", "").strip() or None
    except ValueError:
        raise RuleViolation(400, "bad_request", None, "Nội dung multipart không hợp lệ.",
                            "Malformed multipart body.") from None
    except RequestEntityTooLarge:
        if max_bytes is None:
            raise  # the service's own limit, answered as every endpoint answers it
        size = f"{max_bytes / 1024 / 1024:g} MiB"
        raise RuleViolation(413, "payload_too_large", "file", f"Tệp vượt quá {size}; hãy chia thành nhiều tệp.",
                            f"The file exceeds {size}; split it into several files.") from None
    if upload is None:
        raise RuleViolation(422, "validation_failed", "file", "Thiếu tệp (trường 'file').",
                            "No file (field 'file').")
    filename = re.sub(r"[\x00-\x1f\x7f]", "", (upload.filename or "").replace("\\", "/").rsplit("/", 1)[-1])[:200]
    return upload.read(), filename, org_unit


def file_idempotency(ctx: Context, content: bytes, org_unit: str | None) -> Idempotency | None:
    """Keyed on the file's bytes and the org unit, not the multipart body (whose boundary is random)."""
    key = request.headers.get("Idempotency-Key")
    if key is None:
        return None
    if not IDEMPOTENCY_KEY.fullmatch(key):
        raise RuleViolation(422, "validation_failed", "Idempotency-Key",
                            "1-200 ký tự ASCII nhìn thấy được (không dấu cách).",
                            "1-200 visible ASCII characters (no spaces).")
    digest = hashlib.sha256(content).hexdigest() + "|" + (org_unit or "")
    return Idempotency(ctx.principal.key_id, key, EventStore.request_hash("POST", request.path, digest.encode()))


def refusal(problems: list[RowProblem], filename: str, language: str) -> Reply:
    """The 422 that lists every problem (the first MAX_LISTED_PROBLEMS), row by row: nothing was recorded."""
    problems.sort(key=lambda p: (p.row, p.column))
    failing = len({p.row for p in problems})
    message = (f"{failing} row(s) of the file are invalid; nothing was recorded. Fix them and send the whole file "
               "again." if language == "en" else
               f"Tệp có {failing} dòng lỗi; chưa dòng nào được ghi nhận. Sửa các dòng dưới đây rồi gửi lại cả tệp.")
    listed = problems[:MAX_LISTED_PROBLEMS]
    return Reply(422, {"error": {
        "code": "import_rejected", "message": message, "fields": {"file": message}, "file": filename,
        "failing_rows": failing, "problems_total": len(problems), "truncated": len(listed) < len(problems),
        "rows": [p.as_dict(language) for p in listed],
    }})
