"""The write endpoints of both services with a valid body each, and a system holding a selected
participant and one event per service, for the bad-input and fuzz tests."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask.testing import FlaskClient

from tests.support.system import System
from tests.support.write_checks import selected, shared_system, someone


@dataclass(frozen=True)
class Endpoint:
    service: str
    path: str  # {p}: a selected participant, {e}: an event of that service, {l}: a loan (a funding)
    key: str  # which of World.keys posts here
    body: Callable[[], dict[str, Any]]
    required: tuple[str, ...]


ENDPOINTS = (
    Endpoint("registration", "/api/v1/participants", "union", someone,
             ("full_name", "birth_date", "gender", "org_unit", "branch_name", "branch_kind", "model_name",
              "has_existing_model", "registered_on")),
    Endpoint("registration", "/api/v1/participants/{p}/decisions", "union",
             lambda: {"decision": "selected", "sector": "crops", "decided_on": "2017-07-01"},
             ("decision", "decided_on")),
    Endpoint("registration", "/api/v1/participants/{p}/evaluations", "union",
             lambda: {"evaluated_on": "2018-06-30", "status": "on_track", "revenue_vnd": 1_000_000},
             ("evaluated_on", "status")),
    Endpoint("registration", "/api/v1/participants/{p}/commendations", "union",
             lambda: {"commended_on": "2018-12-20", "title": "Tuyên dương"}, ("commended_on", "title")),
    Endpoint("registration", "/api/v1/participants/{p}/replications", "union",
             lambda: {"replicated_on": "2018-09-01", "youth_name": "Đỗ Văn Bình", "org_unit": "TX-XUANLAI"},
             ("replicated_on", "youth_name", "org_unit")),
    Endpoint("registration", "/api/v1/events/{e}/retraction", "union", lambda: {"reason": "Nhập nhầm"},
             ("reason",)),
    Endpoint("support", "/api/v1/participants/{p}/trainings", "union",
             lambda: {"trained_on": "2017-07-15", "course": "Khởi sự kinh doanh", "kind": "course", "hours": 16},
             ("trained_on", "course", "kind")),
    Endpoint("support", "/api/v1/participants/{p}/fundings", "bank",
             lambda: {"disbursed_on": "2017-09-01", "source": "vbsp", "amount_vnd": 50_000_000, "term_months": 36},
             ("disbursed_on", "source", "amount_vnd")),
    Endpoint("support", "/api/v1/participants/{p}/supports", "business",
             lambda: {"supported_on": "2017-10-01", "kind": "trade_fair", "partner": "Hiệp hội doanh nghiệp"},
             ("supported_on", "kind")),
    Endpoint("support", "/api/v1/events/{e}/retraction", "bank", lambda: {"reason": "Nhập nhầm"}, ("reason",)),
    Endpoint("support", "/api/v1/loans/{l}/repayments", "bank",
             lambda: {"paid_on": "2018-02-01", "principal_vnd": 1_000_000, "interest_vnd": 50_000},
             ("paid_on", "principal_vnd")),
    Endpoint("support", "/api/v1/loans/{l}/classifications", "bank",
             lambda: {"classified_on": "2018-02-28", "days_past_due": 0, "status": "current"},
             ("classified_on", "days_past_due")),
    Endpoint("registration", "/api/v1/org-units/changes", "admin",
             lambda: {"effective_on": "2025-07-01", "decision": "Quyết định 1/QĐ-TĐ",
                      "changes": [{"kind": "rename", "code": "TX-XUANHOA", "name": "Xã Xuân Hòa"}]},
             ("effective_on", "decision", "changes")),
)
IDS = [f"{e.service}:{e.path.rsplit('/', 1)[-1]}" for e in ENDPOINTS]


@dataclass
class World:
    system: System
    keys: dict[str, dict[str, str]]
    participant_id: str
    events: dict[str, str]  # service -> an event id to retract

    def client(self, endpoint: Endpoint) -> FlaskClient:
        return self.system.registration if endpoint.service == "registration" else self.system.support

    def path(self, endpoint: Endpoint) -> str:
        return endpoint.path.format(p=self.participant_id, e=self.events[endpoint.service], l=self.events["loan"])


@contextmanager
def world_of(bootstrap: str, data_dir: Path) -> Iterator[World]:
    with shared_system(bootstrap, data_dir) as system:
        keys = {"union": system.key("union", "TX", agency="huyen-doan"),
                "bank": system.key("bank", "TH", agency="vbsp-thanh-hoa"),
                "business": system.key("business", "TX", agency="hiep-hoi-dn"),
                "admin": system.key("admin", "TH", agency="tinh-doan")}
        participant_id = selected(system, keys["union"])
        evaluation = system.registration.post(f"/api/v1/participants/{participant_id}/evaluations",
                                              headers=keys["union"],
                                              json={"evaluated_on": "2018-01-31", "status": "on_track"})
        funding = system.support.post(f"/api/v1/participants/{participant_id}/fundings", headers=keys["bank"],
                                      json={"disbursed_on": "2017-08-01", "source": "vbsp", "amount_vnd": 10**7})
        loan = system.support.post(f"/api/v1/participants/{participant_id}/fundings", headers=keys["bank"],
                                   json={"disbursed_on": "2017-08-01", "source": "vbsp", "amount_vnd": 3 * 10**7,
                                         "term_months": 36})
        assert {evaluation.status_code, funding.status_code, loan.status_code} == {201}, (evaluation.json, loan.json)
        yield World(system, keys, participant_id, {"registration": evaluation.json["event_id"],
                                                   "support": funding.json["event_id"], "loan": loan.json["event_id"]})


def as_json(body: Any) -> dict[str, Any]:
    """The request as raw JSON: ASCII escapes let lone surrogates through, as any client could send."""
    return {"data": json.dumps(body), "content_type": "application/json"}


def post_raw(world: World, endpoint: Endpoint, data: bytes | str, content_type: str | None = "application/json",
             headers: dict[str, str] | None = None) -> Any:
    request: dict[str, Any] = {"data": data}
    if content_type is not None:
        request["content_type"] = content_type
    return world.client(endpoint).post(world.path(endpoint), headers=world.keys[endpoint.key] | (headers or {}),
                                       **request)
