"""Rules both write services enforce, pure: dates, names, input hygiene. Errors carry status, field and
both languages."""

from __future__ import annotations

import re
import unicodedata
import uuid
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from marshmallow import Schema, ValidationError, fields, pre_load

from shared import date_bounds
from shared.text import identity_text, normalize_text


@dataclass
class RuleViolation(Exception):
    """A business rule refused the command: status, error code, offending field, message vi/en."""

    status: int
    code: str
    field_name: str | None
    vi: str
    en: str
    extra: dict[str, object] = field(default_factory=dict)
    # more fields named, each with its own message (vi, en): a refusal that concerns several at once
    more_fields: dict[str, tuple[str, str]] = field(default_factory=dict)

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


def clean_name(name: str) -> str:
    """As stored: shared.text's normalisation (NFC, invisible characters gone, spaces collapsed)."""
    return normalize_text(name)


def identity_name(name: str) -> str:
    """For duplicate detection: case and spacing ignored, diacritics kept ('Lê' is not 'Le')."""
    return identity_text(name)


def is_issued_id(value: str) -> bool:
    """Participant and event ids are canonical UUID strings; anything else names no record, and is
    kept away from the database (PostgreSQL refuses NUL bytes even in a WHERE clause)."""
    try:
        return str(uuid.UUID(value)) == value
    except ValueError:
        return False


def age_on(birth_date: date, day: date) -> int:
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))


_ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_BLANK = "Không được để trống.||This field may not be blank."
# marshmallow field metadata: the text keeps its line breaks (descriptions, notes)
MULTILINE = {"multiline": True}


def _unclean(text: str) -> bool:
    """Control characters (NUL above all: PostgreSQL text cannot hold it) or lone surrogates (not
    encodable as UTF-8), which JSON's \\u escapes let a client send."""
    return any(unicodedata.category(ch) in ("Cc", "Cs") for ch in text)


def _date_problem(value: str) -> str | None:
    """Exactly YYYY-MM-DD (marshmallow also takes 20170610 and 2017-W23-6), a real day, in the range held."""
    if not _ISO_DAY.fullmatch(value):
        return "Not a valid date."
    try:
        day = date.fromisoformat(value)
    except ValueError:
        return "Not a valid date."
    return None if date_bounds.within(day) else date_bounds.out_of_range_message()


class RequestBody(Schema):
    """Base of every write body: what marshmallow alone lets through and the contract does not.

    Text goes through shared.text's normalisation before any rule sees it, and a required text left
    blank by it is refused naming the field; dates must be exactly YYYY-MM-DD within the range the program
    holds; booleans must be JSON booleans (marshmallow also takes "yes" and 1)."""

    @pre_load
    def _hygiene(self, data: Any, **_kwargs: Any) -> Any:
        if not isinstance(data, dict):
            return data
        errors: dict[str, list[str]] = {}
        cleaned = dict(data)
        for name, value in data.items():
            if _unclean(name):  # echoed back as an unknown field, it would break the JSON reply
                raise ValidationError({"_schema": ["Tên trường không hợp lệ.||Invalid field name."]})
            declared = self.fields.get(name)
            if isinstance(declared, fields.Boolean) and value is not None and not isinstance(value, bool):
                errors[name] = ["Not a valid boolean."]
            elif isinstance(declared, fields.Date) and isinstance(value, str):
                if problem := _date_problem(value):
                    errors[name] = [problem]
            elif isinstance(value, str):
                multiline = declared is not None and declared.metadata.get("multiline", False)
                cleaned[name] = normalize_text(value, multiline=bool(multiline))
                if not cleaned[name] and declared is not None and declared.required:
                    errors[name] = [_BLANK]
        if errors:
            raise ValidationError(errors)
        return cleaned
