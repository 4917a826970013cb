"""The first end-to-end slice on real Kafka and a real database: register, publish, project, summarize."""

from __future__ import annotations

from sqlalchemy import select

from services.registration.store import outbox
from tests.support.system import System, registration_body


def test_registration_is_counted_at_commune_district_and_province(system: System) -> None:
    union = system.key("union", "TX")
    viewer = system.key("viewer", "TH")
    for name, commune in (("Lê Văn An", "TX-XUANHOA"), ("Trịnh Thị Bình", "TX-XUANHOA"),
                          ("Hoàng Văn Cường", "TX-THOLAP")):
        reply = system.registration.post("/api/v1/participants", headers=union,
                                         json=registration_body(full_name=name, org_unit=commune))
        assert reply.status_code == 201, reply.json
        assert reply.json["participant_id"] and reply.json["event_id"]

    published = system.publish()
    assert published == 3
    engine = system.apps["registration"].extensions["tienphong"]["engine"]
    with engine.connect() as conn:
        assert conn.execute(select(outbox)).first() is None  # deleted once Kafka acknowledged
    system.drain("reporting")

    def registered(code: str, as_of: str = "2018-12-31") -> int:
        reply = system.reporting.get(f"/api/v1/summary/{code}?as_of={as_of}", headers=viewer)
        assert reply.status_code == 200, reply.json
        return int(reply.json["totals"]["registered"])

    assert registered("TX-XUANHOA") == 2
    assert registered("TX-THOLAP") == 1
    assert registered("TX") == 3
    assert registered("TH") == 3
    assert registered("TS") == 0
    assert registered("TX", as_of="2017-06-09") == 0  # before the registration date

    summary = system.reporting.get("/api/v1/summary/TX?as_of=2018-12-31", headers=viewer).json
    children = {c["org_unit"]["code"]: c["totals"]["registered"] for c in summary["children"]}
    assert children["TX-XUANHOA"] == 2 and children["TX-THOLAP"] == 1
    assert len(children) >= 12
    target = summary["target"]
    assert (target["successful_models"], target["achieved"]) == (10, 0)
    assert target["status"] == "not_reached"  # and the v1.1 status beside the v1 fields


def test_redelivered_events_are_not_counted_twice(system: System) -> None:
    union = system.key("union", "TX")
    viewer = system.key("viewer", "TH")
    assert system.registration.post("/api/v1/participants", headers=union,
                                    json=registration_body()).status_code == 201
    system.sync()
    loop = system.consumer("reporting")
    # Replay the whole topic from offset 0, as after a crash before Kafka's own commit.
    for tp in loop.consumer.assignment():
        loop.consumer.seek_to_beginning(tp)
    loop.poll_once(timeout_ms=2000)
    system.drain("reporting")
    totals = system.reporting.get("/api/v1/summary/TH?as_of=2018-12-31", headers=viewer).json["totals"]
    assert totals["registered"] == 1


def test_a_restarted_consumer_replaying_the_topic_counts_nothing_twice(system: System) -> None:
    """A new consumer process knows no participant from memory: a replay must be recognized from the
    events table, not taken for new participants."""
    union = system.key("union", "TX")
    viewer = system.key("viewer", "TH")
    for name in ("Lê Văn An", "Trịnh Thị Bình"):
        assert system.registration.post("/api/v1/participants", headers=union,
                                        json=registration_body(full_name=name)).status_code == 201
    system.sync()
    system.consumers.pop("reporting").close()
    restarted = system.consumer("reporting")  # a fresh process: empty cache, read models already filled
    restarted.poll_once(timeout_ms=2000)
    for tp in restarted.consumer.assignment():
        restarted.consumer.seek_to_beginning(tp)
    system.drain("reporting")
    totals = system.reporting.get("/api/v1/summary/TH?as_of=2018-12-31", headers=viewer).json["totals"]
    assert totals["registered"] == 2
