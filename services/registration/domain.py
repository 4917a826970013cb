"""The participant aggregate as registration knows it, rebuilt from its events; pure rules."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from shared.events import Envelope
from shared.rules import RuleViolation, age_on, check_business_date, conflict, invalid

MIN_AGE, MAX_AGE = 16, 35


@dataclass
class Participant:
    participant_id: str
    org_unit: str = ""
    registration: dict[str, Any] = field(default_factory=dict)
    status: str = "unknown"  # registered | selected | rejected | withdrawn (registration retracted)
    sector: str | None = None
    decision_event_id: str | None = None
    evaluations: list[dict[str, Any]] = field(default_factory=list)
    commendations: list[dict[str, Any]] = field(default_factory=list)
    replications: list[dict[str, Any]] = field(default_factory=list)
    event_ids: dict[str, str] = field(default_factory=dict)  # event id -> type, of live events
    retracted: set[str] = field(default_factory=set)
    version: int = 0  # sequence of the last event applied

    @classmethod
    def rebuild(cls, participant_id: str, events: list[Envelope], data: list[dict[str, Any]]) -> Participant:
        participant = cls(participant_id)
        retracted = {str(d["retracted_event_id"]) for e, d in zip(events, data, strict=True)
                     if e.type == "event.retracted"}
        for envelope, payload in zip(events, data, strict=True):
            participant.version = envelope.sequence
            if envelope.event_id in retracted:
                participant.retracted.add(envelope.event_id)
                continue
            participant.apply(envelope, payload)
        return participant

    def apply(self, envelope: Envelope, data: dict[str, Any]) -> None:
        kind = envelope.type
        if kind != "participant.registered" and not self.exists:
            return  # the registration was retracted: nothing recorded after it brings the participant back
        if kind != "event.retracted":
            self.event_ids[envelope.event_id] = kind
        if kind == "participant.registered":
            self.org_unit = envelope.org_unit
            self.registration = data
            self.status = "registered"
        elif kind == "participant.selected":
            self.status, self.sector, self.decision_event_id = "selected", data["sector"], envelope.event_id
        elif kind == "participant.rejected":
            self.status, self.sector, self.decision_event_id = "rejected", None, envelope.event_id
        elif kind == "participant.evaluated":
            self.evaluations.append({"event_id": envelope.event_id, **data})
        elif kind == "participant.commended":
            self.commendations.append({"event_id": envelope.event_id, **data})
        elif kind == "model.replicated":
            self.replications.append({"event_id": envelope.event_id, **data})

    @property
    def exists(self) -> bool:
        return self.status != "unknown"

    def latest_evaluation(self) -> dict[str, Any] | None:
        if not self.evaluations:
            return None
        return max(enumerate(self.evaluations), key=lambda pair: (pair[1]["evaluated_on"], pair[0]))[1]


def check_registration(data: dict[str, Any], commune_level: bool, today: date, program_start: date) -> None:
    if not commune_level:
        raise invalid("org_unit", "Đơn vị phải là một xã/thị trấn trong danh sách đơn vị.",
                      "org_unit must be a commune-level unit of the hierarchy.")
    if data["branch_kind"] != "residential":
        raise invalid("branch_kind", "Chỉ Bí thư Chi đoàn khối địa bàn dân cư được đăng ký (residential).",
                      "Only secretaries of residential-area branches are eligible (residential).")
    check_business_date("registered_on", data["registered_on"], today, program_start)
    age = age_on(data["birth_date"], data["registered_on"])
    if not MIN_AGE <= age <= MAX_AGE:
        raise invalid("birth_date", f"Tuổi vào ngày đăng ký phải từ {MIN_AGE} đến {MAX_AGE} (hiện là {age}).",
                      f"Age on the registration date must be {MIN_AGE}-{MAX_AGE} (it is {age}).")


def check_decision(participant: Participant, data: dict[str, Any], today: date, program_start: date) -> None:
    require_registered(participant)
    if participant.status in ("selected", "rejected"):
        raise conflict("already_decided", "Đoàn viên này đã có quyết định lựa chọn.",
                       "This participant has already been decided on.", "decision",
                       decision_event_id=participant.decision_event_id)
    if data["decision"] == "selected" and not data.get("sector"):
        raise invalid("sector", "Cần phân loại mô hình theo nhóm ngành nghề khi lựa chọn.",
                      "A selected model needs its sector.")
    check_business_date("decided_on", data["decided_on"], today, program_start)
    check_not_before_registration(participant, "decided_on", data["decided_on"])


def require_registered(participant: Participant) -> None:
    if not participant.exists or participant.status == "withdrawn":
        raise RuleViolation(404, "unknown_participant", None, "Không tìm thấy đoàn viên.", "No such participant.")


def require_selected(participant: Participant) -> None:
    require_registered(participant)
    if participant.status != "selected":
        raise conflict("not_selected", "Đoàn viên chưa được lựa chọn tham gia chương trình.",
                       "The participant has not been selected for the program.", status=participant.status)


def check_not_before_registration(participant: Participant, field_name: str, day: date) -> None:
    registered_on = participant.registration.get("registered_on")
    if registered_on is not None and day < registered_on:
        raise invalid(field_name, "Ngày không được trước ngày đăng ký.", "The date may not be before registration.")
