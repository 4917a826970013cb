"""A write service's reads do not wait for its writers: while another writer holds registration's database (on
SQLite, the file's write lock that a POST takes for its transaction), a participant, the list and the
likely-duplicate check still answer at once."""

from __future__ import annotations

from sqlalchemy import text

from shared.db import make_engine
from tests.support.answers import answered_within
from tests.support.system import System, registration_body


def test_reads_answer_while_a_writer_holds_the_database(system: System) -> None:
    union = system.key("union", "TX-XUANHOA", agency="doan-xa-xuan-hoa")
    created = system.registration.post("/api/v1/participants", headers=union, json=registration_body())
    assert created.status_code == 201, created.json
    participant_id = created.json["participant_id"]
    writer = make_engine(system.configs["registration"].database_url, durable=True)
    busy = writer.connect()
    try:
        busy.begin()  # on SQLite: BEGIN IMMEDIATE, the write lock, as a POST's transaction holds it
        busy.execute(text("DELETE FROM outbox WHERE id < 0"))
        shown = answered_within(5, lambda: system.registration.get(f"/api/v1/participants/{participant_id}",
                                                                   headers=union))
        assert shown.status_code == 200 and shown.json["participant_id"] == participant_id
        listed = answered_within(5, lambda: system.registration.get("/api/v1/participants?org_unit=TX-XUANHOA",
                                                                    headers=union))
        assert listed.status_code == 200, listed.json
        likely = answered_within(5, lambda: system.registration.get(
            "/api/v1/participants/likely-duplicates?org_unit=TX-XUANHOA&name=Lê Văn An&birth_date=1995-02-03",
            headers=union))
        assert likely.status_code == 200 and [c["participant_id"] for c in likely.json["candidates"]] == [
            participant_id]
    finally:
        busy.rollback()
        busy.close()
        writer.dispose()
