"""Helpers for the write-side tests: a system shared by a test module, the error shape, and the
proof that a rejected request left no trace (no event, outbox or idempotency row, nothing on Kafka)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import Engine, Table, func, select
from werkzeug.test import TestResponse

from services.registration import store as registration_store
from services.support import store as support_store
from tests.support.databases import drop, fresh_template
from tests.support.system import System, registration_body, settings

# The tables a write must leave untouched when it is refused, per write service.
TRACE_TABLES: dict[str, tuple[Table, ...]] = {
    "registration": (registration_store.events, registration_store.outbox, registration_store.idempotency,
                     registration_store.identities, registration_store.participant_list),
    "support": (support_store.events, support_store.outbox, support_store.idempotency),
}
EN = {"Accept-Language": "en"}


@contextmanager
def shared_system(bootstrap: str, data_dir: Path, **extra: str) -> Iterator[System]:
    """One system for a whole test module (fresh databases, own topics), for the many small cases; `extra`:
    more environment variables."""
    template = fresh_template()
    running = System(settings(data_dir, bootstrap, template, **extra))
    try:
        yield running
    finally:
        running.close()
        for app in running.apps.values():
            app.extensions["tienphong"]["engine"].dispose()
            app.extensions["tienphong"]["access"].engine.dispose()
        running.access.engine.dispose()
        drop(template)


def engine(system: System, service: str) -> Engine:
    return system.apps[service].extensions["tienphong"]["engine"]  # type: ignore[no-any-return]


def trace(system: System) -> dict[str, int]:
    """Row counts of every table a write touches, in both write services."""
    counts: dict[str, int] = {}
    for service, tables in TRACE_TABLES.items():
        with engine(system, service).connect() as conn:
            for table in tables:
                counts[f"{service}.{table.name}"] = conn.execute(
                    select(func.count()).select_from(table)).scalar_one()
    return counts


@contextmanager
def leaves_no_trace(system: System) -> Iterator[None]:
    system.publish()  # what earlier steps queued is not this request's doing
    before = trace(system)
    yield
    assert trace(system) == before
    assert system.publish() == 0, "a refused request put something on Kafka"


def error_of(reply: TestResponse, status: int, code: str, field: str | None = None) -> dict[str, Any]:
    """The contract's error shape, status, code and (when given) the field named; returns the error."""
    assert reply.status_code == status, (reply.status_code, reply.get_json(silent=True))
    body = reply.get_json()
    assert isinstance(body, dict) and set(body) == {"error"}, body
    error = body["error"]
    assert {"code", "message", "fields"} <= set(error), error
    assert isinstance(error["message"], str) and error["message"]
    assert isinstance(error["fields"], dict)
    assert error["code"] == code, error
    if field is not None:
        assert field in error["fields"], error
        assert isinstance(error["fields"][field], str) and error["fields"][field]
    return error  # type: ignore[no-any-return]


def text_of(error: dict[str, Any], field: str | None) -> str:
    return str(error["fields"][field]) if field else str(error["message"])


def refused(system: System, client: FlaskClient, method: str, path: str, headers: dict[str, str],
            status: int, code: str, field: str | None = None, vi: str | None = None, en: str | None = None,
            **request: Any) -> dict[str, Any]:
    """Send the request in Vietnamese (default) and English: same refusal, no trace either time, the
    message (of the field, when one is named) in each language. Returns the Vietnamese error."""
    with leaves_no_trace(system):
        vi_error = error_of(client.open(path, method=method, headers=headers, **request), status, code, field)
        en_error = error_of(client.open(path, method=method, headers=headers | EN, **request), status, code, field)
    if vi is not None:
        assert vi in text_of(vi_error, field), vi_error
    if en is not None:
        assert en in text_of(en_error, field), en_error
    assert text_of(vi_error, field) != text_of(en_error, field), (vi_error, en_error)
    assert en_error["message"] != vi_error["message"]
    return vi_error


def someone(**overrides: Any) -> dict[str, Any]:
    """A valid registration of a person no other test registered (the module's system is shared)."""
    overrides.setdefault("full_name", f"Nguyễn Thị Mai {uuid.uuid4().hex[:8]}")
    return registration_body(**overrides)


def register(system: System, headers: dict[str, str], **overrides: Any) -> str:
    reply = system.registration.post("/api/v1/participants", headers=headers, json=someone(**overrides))
    assert reply.status_code == 201, reply.get_json()
    return str(reply.get_json()["participant_id"])


def decide(system: System, headers: dict[str, str], participant_id: str, decision: str = "selected",
           **overrides: Any) -> TestResponse:
    body = {"decision": decision, "decided_on": "2017-07-01", **overrides}
    if decision == "selected":
        body.setdefault("sector", "livestock")
    return system.registration.post(f"/api/v1/participants/{participant_id}/decisions", headers=headers, json=body)


def selected(system: System, district: dict[str, str], commune: dict[str, str] | None = None,
             **overrides: Any) -> str:
    """A participant registered and selected, known to support's view."""
    participant_id = register(system, commune or district, **overrides)
    assert decide(system, district, participant_id).status_code == 201
    system.publish()
    system.drain("support")
    return participant_id


def stored_events(system: System, service: str, participant_id: str) -> list[Any]:
    table = TRACE_TABLES[service][0]
    with engine(system, service).connect() as conn:
        return list(conn.execute(select(table).where(table.c.participant_id == participant_id)
                                 .order_by(table.c.sequence)).all())
