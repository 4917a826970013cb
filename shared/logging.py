"""Log setup: secrets never reach a log line and phone numbers are masked."""

from __future__ import annotations

import logging
import re

_TOKEN = re.compile(r"tp_([0-9a-f]{6,32})_[A-Za-z0-9_\-]+")
_BEARER = re.compile(r"(?i)(bearer\s+)\S+")
_PHONE = re.compile(r"(?<!\d)(\+?84|0)(\d{2})\d{4,5}(\d{3})(?!\d)")
_PASSWORD = re.compile(r"(?i)(password\"?\s*[:=]\s*\"?)[^\"\s,&]+")


def redact(text: str) -> str:
    text = _TOKEN.sub(r"tp_\1_***", text)
    text = _BEARER.sub(r"\1***", text)
    text = _PASSWORD.sub(r"\1***", text)
    return _PHONE.sub(lambda m: f"{m.group(1)}{m.group(2)}****{m.group(3)}", text)


class RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


def setup(level: str = "INFO") -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    handler.addFilter(RedactingFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    logging.getLogger("kafka").setLevel(logging.WARNING)
