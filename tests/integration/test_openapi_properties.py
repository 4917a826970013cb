"""Property-based testing of the three OpenAPI documents against the real stack (real broker, real database):
requests generated from each document, reads included, each answer checked against the document: no 5xx, no
status it does not list, no JSON body that does not match its schema (tests/support/openapi_cases.py)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings

from tests.support.openapi_cases import Case, Operation, cases, conformance_problem, operations
from tests.support.write_endpoints import ENDPOINTS, World, world_of

# Generated requests per operation, at most (derandomized: the same cases every run; an operation with few
# distinct requests, /healthz, gets fewer). The count per service is printed (pytest -s).
EXAMPLES = 25
SERVICES = ("registration", "support", "reporting")


@pytest.fixture(scope="module")
def world(bootstrap: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    with world_of(bootstrap, tmp_path_factory.mktemp("openapi-properties")) as running:
        running.system.sync()
        yield running


def known_values(world: World) -> dict[str, list[str]]:
    return {"participant_id": [world.participant_id], "event_id": list(world.events.values()),
            "org_code": ["TH", "TX", "TX-XUANHOA", "TS-DANLUC"], "org_unit": ["TX", "TX-XUANHOA", "TS"],
            "metric": ["registered", "funded", "funding_vnd", "successful"]}


def keys_of(world: World) -> list[dict[str, str]]:
    system = world.system
    return [system.key("viewer", "TH"), *world.keys.values(), system.key("admin", "TH"), system.key("union", "TS"),
            {"Authorization": "Bearer tp_nope"}, {}]


def examples(world: World, service: str, op: Operation) -> list[dict[str, Any]]:
    """Bodies the rules accept at this operation (tests/support/write_endpoints.py), fresh ones each time."""
    return [endpoint.body() for endpoint in ENDPOINTS
            if (endpoint.service, endpoint.path) == (service, endpoint_path(op)) for _ in range(3)]


def endpoint_path(op: Operation) -> str:
    """The operation's path as tests/support/write_endpoints.py writes it."""
    return op.path.replace("{participant_id}", "{p}").replace("{event_id}", "{e}")


def check_operation(client: FlaskClient, service: str, op: Operation, document: dict[str, Any], world: World,
                    keys: list[dict[str, str]]) -> tuple[int, list[str]]:
    """Send EXAMPLES generated requests, mostly with the key the operation is meant for (a write's, else the
    first of `keys`); (how many were sent, what did not conform)."""
    sent: list[Case] = []
    problems: list[str] = []

    meant = [world.keys[e.key] for e in ENDPOINTS if (e.service, e.path) == (service, endpoint_path(op))]

    @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(case=cases(op, document, known_values(world), meant + keys, examples(world, service, op)))
    def check(case: Case) -> None:
        reply = client.open(case.path, method=case.method.upper(), headers=case.headers, data=case.body)
        sent.append(case)
        problem = conformance_problem(op, document, reply.status_code, reply.content_type or "",
                                      dict(reply.headers), reply.get_data())
        if problem:
            problems.append(f"{case.method.upper()} {case.path} {case.body!r:.200}: {problem}")

    check()
    return len(sent), problems


@pytest.mark.parametrize("service", SERVICES)
def test_every_answer_is_one_the_document_promises(world: World, service: str) -> None:
    client: FlaskClient = getattr(world.system, service)
    document = client.get("/api/v1/openapi.json").get_json()
    keys = keys_of(world)
    total, problems = 0, []
    for op in operations(document):
        sent, found = check_operation(client, service, op, document, world, keys)
        assert sent > 0, op.name
        total += sent
        problems += found
    print(f"{service}: {total} generated requests over {len(operations(document))} operations")
    assert not problems, "\n".join(dict.fromkeys(problems))
