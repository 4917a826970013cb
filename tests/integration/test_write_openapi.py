"""The OpenAPI document of each write service describes every endpoint of API.md, its body (required
fields as the contract's bold ones, enums, bounds), its reply and every error status."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from shared.events.types import (
    BRANCH_KINDS,
    EVALUATION_STATUSES,
    FUNDING_SOURCES,
    GENDERS,
    SECTORS,
    SUPPORT_KINDS,
    TRAINING_KINDS,
)
from tests.support.system import System
from tests.support.write_checks import shared_system

WRITE_ERRORS = {"400", "401", "403", "404", "409", "413", "415", "422", "429"}
ID = "/api/v1/participants/{participant_id}"
# (path, method) -> (required fields, optional fields), as API.md's tables give them.
REGISTRATION = {
    ("/api/v1/participants", "post"): (
        {"full_name", "birth_date", "gender", "org_unit", "branch_name", "branch_kind", "model_name",
         "has_existing_model", "registered_on"}, {"phone", "model_description", "confirm_not_duplicate"}),
    (f"{ID}/decisions", "post"): ({"decision", "decided_on"}, {"sector", "reason"}),
    (f"{ID}/evaluations", "post"): ({"evaluated_on", "status"}, {"revenue_vnd", "profit_vnd", "jobs_created", "note",
                                                            "confirmed_implausible"}),
    (f"{ID}/commendations", "post"): ({"commended_on", "title"}, {"issued_by"}),
    (f"{ID}/replications", "post"): ({"replicated_on", "youth_name", "org_unit"}, {"note"}),
    ("/api/v1/events/{event_id}/retraction", "post"): ({"reason"}, set()),
}
SUPPORT = {
    (f"{ID}/trainings", "post"): ({"trained_on", "course", "kind"}, {"provider", "hours", "confirmed_implausible"}),
    (f"{ID}/fundings", "post"): ({"disbursed_on", "source", "amount_vnd"},
                               {"lender", "term_months", "confirmed_implausible"}),
    (f"{ID}/supports", "post"): ({"supported_on", "kind"}, {"partner", "description"}),
    ("/api/v1/events/{event_id}/retraction", "post"): ({"reason"}, set()),
}


@pytest.fixture(scope="module")
def system(bootstrap: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[System]:
    with shared_system(bootstrap, tmp_path_factory.mktemp("openapi")) as running:
        yield running


def document(system: System, service: str) -> dict[str, Any]:
    reply = getattr(system, service).get("/api/v1/openapi.json")  # public: no key needed
    assert reply.status_code == 200, reply.json
    spec = reply.json
    assert spec["openapi"].startswith("3.") and spec["info"]["title"]
    return spec  # type: ignore[no-any-return]


def resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    if "$ref" in schema:
        return spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]  # type: ignore[no-any-return]
    return schema


def enum_of(prop: dict[str, Any]) -> set[Any]:
    return {v for v in prop.get("enum", []) if v is not None}


@pytest.mark.parametrize(("service", "expected"), [("registration", REGISTRATION), ("support", SUPPORT)])
def test_every_write_endpoint_its_body_reply_errors_and_headers(system: System, service: str,
                                                               expected: dict[tuple[str, str], Any]) -> None:
    spec = document(system, service)
    error = spec["components"]["schemas"]["Error"]
    assert set(error["properties"]["error"]["required"]) == {"code", "message", "fields"}
    for (path, method), (required, optional) in expected.items():
        operation = spec["paths"][path][method]
        assert operation["summary"] and operation["security"] == [{"bearer": []}]
        body = resolve(spec, operation["requestBody"]["content"]["application/json"]["schema"])
        assert operation["requestBody"]["required"] is True
        assert set(body["required"]) == required, path
        assert set(body["properties"]) == required | optional, path
        responses = operation["responses"]
        assert WRITE_ERRORS | {"201"} <= set(responses), path
        for status in WRITE_ERRORS:
            assert responses[status]["description"]
            assert responses[status]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}
        reply = resolve(spec, responses["201"]["content"]["application/json"]["schema"])
        assert {"event_id", "participant_id", "type"} <= set(reply["required"])
        parameters = {(p["in"], p["name"]): p for p in operation.get("parameters", [])}
        assert ("header", "Idempotency-Key") in parameters and ("header", "Accept-Language") in parameters
        for name in ("participant_id", "event_id"):
            if "{" + name + "}" in path:
                assert parameters[("path", name)]["required"] is True


def test_bodies_carry_the_contract_enums_bounds_and_formats(system: System) -> None:
    registration, support = document(system, "registration"), document(system, "support")

    def body(spec: dict[str, Any], path: str) -> dict[str, Any]:
        return resolve(spec, spec["paths"][path]["post"]["requestBody"]["content"]["application/json"]["schema"])[
            "properties"]

    registered = body(registration, "/api/v1/participants")
    assert enum_of(registered["gender"]) == set(GENDERS)
    assert enum_of(registered["branch_kind"]) == set(BRANCH_KINDS)
    assert registered["has_existing_model"]["type"] == "boolean"
    assert registered["birth_date"]["format"] == registered["registered_on"]["format"] == "date"
    decision = body(registration, f"{ID}/decisions")
    assert enum_of(decision["decision"]) == {"selected", "rejected"}
    assert enum_of(decision["sector"]) == set(SECTORS)
    evaluation = body(registration, f"{ID}/evaluations")
    assert enum_of(evaluation["status"]) == set(EVALUATION_STATUSES)
    assert evaluation["revenue_vnd"]["type"] == "integer" and evaluation["revenue_vnd"]["maximum"] == 10**12
    assert enum_of(body(support, f"{ID}/trainings")["kind"]) == set(TRAINING_KINDS)
    funding = body(support, f"{ID}/fundings")
    assert enum_of(funding["source"]) == set(FUNDING_SOURCES)
    assert funding["amount_vnd"]["type"] == "integer"
    assert (funding["amount_vnd"]["minimum"], funding["amount_vnd"]["maximum"]) == (1, 10**12)
    assert funding["disbursed_on"]["format"] == "date"
    assert enum_of(body(support, f"{ID}/supports")["kind"]) == set(SUPPORT_KINDS)


def test_the_reads_of_registration(system: System) -> None:
    spec = document(system, "registration")
    listing = spec["paths"]["/api/v1/participants"]["get"]
    parameters = {p["name"]: p for p in listing["parameters"] if p["in"] == "query"}
    assert set(parameters) == {"org_unit", "status", "page", "page_size"}
    assert set(parameters["status"]["schema"]["enum"]) == {"registered", "selected", "rejected"}
    assert {"200", "401", "403", "422"} <= set(listing["responses"])
    page = resolve(spec, listing["responses"]["200"]["content"]["application/json"]["schema"])
    assert {"items", "page", "page_size", "total"} <= set(page["properties"])
    show = spec["paths"][ID]["get"]
    assert {"200", "401", "403", "404"} <= set(show["responses"])
    participant = resolve(spec, show["responses"]["200"]["content"]["application/json"]["schema"])
    assert {"participant_id", "org_unit", "status", "sector", "registration"} <= set(participant["properties"])


@pytest.mark.parametrize("service", ["registration", "support"])
def test_no_api_route_is_left_out(system: System, service: str) -> None:
    spec = document(system, service)
    documented = {(path, method.upper()) for path, operations in spec["paths"].items() for method in operations}
    for rule in system.apps[service].url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/") or rule.rule == "/api/v1/openapi.json":
            continue
        path = rule.rule.replace("<", "{").replace(">", "}")
        for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}:
            assert (path, method) in documented, (path, method)
