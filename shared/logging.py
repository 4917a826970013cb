"""Log setup: secrets never reach a log line and phone numbers are masked."""

from __future__ import annotations

import logging
import re

_TOKEN = re.compile(r"tp_([0-9a-f]{6,32})_[A-Za-z0-9_\-]+")
_BEARER = re.compile(r"(?i)(bearer\s+)\S+")
# password=..., "password": "...", 'password': '...' (a quoted value may hold spaces)
_PASSWORD_QUOTED = re.compile(r"(?i)(password\w*['\"]?\s*[:=]\s*)(['\"])(?:\\.|(?!\2).)*\2")
_PASSWORD = re.compile(r"(?i)(password\w*['\"]?\s*[:=]\s*)(?!['\"])[^\s,&;]+")
_COOKIE = re.compile(r"(?i)(tienphong_session=)[^;\s\"']+")
# Vietnamese numbers: 0 or +84/84, then 8-10 digits, maybe grouped by spaces or dots ("0912 345 678").
_PHONE = re.compile(r"(?<![\w+.\-])(\+?84|0)((?:[ .]?\d){8,10})(?!\w)")


def _mask_phone(match: re.Match[str]) -> str:
    digits = re.sub(r"\D", "", match.group(2))
    return f"{match.group(1)}{digits[:2]}****{digits[-3:]}"


def redact(text: str) -> str:
    text = _TOKEN.sub(r"tp_\1_***", text)
    text = _BEARER.sub(r"\1***", text)
    text = _PASSWORD_QUOTED.sub(r"\1\2***\2", text)
    text = _PASSWORD.sub(r"\1***", text)
    text = _COOKIE.sub(r"\1***", text)
    return _PHONE.sub(_mask_phone, text)


class RedactingFilter(logging.Filter):
    """On a handler: the message, and any traceback (exception messages may quote request data)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


def setup(level: str = "INFO") -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    handler.addFilter(RedactingFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    logging.getLogger("kafka").setLevel(logging.WARNING)
