"""Rules both write services enforce, pure: dates, names. Errors carry status, field and both languages."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date


@dataclass
class RuleViolation(Exception):
    """A business rule refused the command: status, error code, offending field, message vi/en."""

    status: int
    code: str
    field_name: str | None
    vi: str
    en: str
    extra: dict[str, object] = field(default_factory=dict)

    def __post_init__(self) -> None:
        super().__init__(self.en)


def invalid(field_name: str, vi: str, en: str) -> RuleViolation:
    return RuleViolation(422, "validation_failed", field_name, vi, en)


def conflict(code: str, vi: str, en: str, field_name: str | None = None, **extra: object) -> RuleViolation:
    return RuleViolation(409, code, field_name, vi, en, dict(extra))


def check_business_date(field_name: str, value: date, today: date, program_start: date) -> None:
    if value > today:
        raise invalid(field_name, "Ngày không được ở tương lai.", "The date may not be in the future.")
    if value < program_start:
        raise invalid(field_name, f"Ngày không được trước ngày bắt đầu chương trình {program_start:%d/%m/%Y}.",
                      f"The date may not be before the program start {program_start.isoformat()}.")


_SPACES = re.compile(r"\s+")


def clean_name(name: str) -> str:
    """As stored: NFC (one code point per Vietnamese letter), spaces collapsed, trimmed."""
    return _SPACES.sub(" ", unicodedata.normalize("NFC", name)).strip()


def identity_name(name: str) -> str:
    """For duplicate detection: case and spacing ignored, diacritics kept ('Lê' is not 'Le')."""
    return unicodedata.normalize("NFC", clean_name(name).casefold())


def age_on(birth_date: date, day: date) -> int:
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))
