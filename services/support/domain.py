"""What support knows of a participant (learned from registration's events) and its pure rules."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from shared.rules import RuleViolation, check_business_date, conflict, invalid

REGISTRATION_TYPES = ("participant.registered", "participant.selected", "participant.rejected", "event.retracted")


@dataclass(frozen=True)
class KnownParticipant:
    participant_id: str
    org_unit: str
    status: str  # registered | selected | rejected
    registered_on: date
    sector: str | None


@dataclass(frozen=True)
class RegistrationFact:
    event_id: str
    type: str
    org_unit: str
    occurred_on: date
    recorded_at: str
    data: dict[str, Any]


def view_of(participant_id: str, facts: list[RegistrationFact]) -> KnownParticipant | None:
    """The participant as registration's live events describe it; None when not (or no longer) registered."""
    retracted = {str(f.data.get("retracted_event_id")) for f in facts if f.type == "event.retracted"}
    live = sorted((f for f in facts if f.type != "event.retracted" and f.event_id not in retracted),
                  key=lambda f: (f.occurred_on, f.recorded_at, f.event_id))
    registrations = [f for f in live if f.type == "participant.registered"]
    if not registrations:
        return None
    registration = registrations[-1]
    status, sector = "registered", None
    decisions = [f for f in live if f.type in ("participant.selected", "participant.rejected")]
    if decisions:
        status = "selected" if decisions[-1].type == "participant.selected" else "rejected"
        sector = decisions[-1].data.get("sector") if status == "selected" else None
    return KnownParticipant(participant_id, registration.org_unit, status, registration.occurred_on, sector)


def check_support_event(participant: KnownParticipant, date_field: str, day: date, today: date,
                        program_start: date) -> None:
    if participant.status != "selected":
        raise conflict("not_selected", "Đoàn viên chưa được lựa chọn tham gia chương trình.",
                       "The participant has not been selected for the program.", status=participant.status)
    check_business_date(date_field, day, today, program_start)
    if day < participant.registered_on:
        raise invalid(date_field, "Ngày không được trước ngày đăng ký.", "The date may not be before registration.")


def unknown_participant(may_appear: bool = True) -> RuleViolation:
    """404; with a retry hint unless the id is one that registration never issues."""
    if not may_appear:
        return RuleViolation(404, "unknown_participant", None, "Không tìm thấy đoàn viên.", "No such participant.")
    return RuleViolation(
        404, "unknown_participant", None,
        "Không tìm thấy đoàn viên. Nếu vừa đăng ký, hãy thử lại sau vài giây (Retry-After).",
        "No such participant. If it was registered a moment ago, retry in a few seconds (Retry-After).",
        {"retry_after_seconds": 2})
