"""Read side over real Kafka: period reports, known_at after corrections, provenance, exports, dead
letters, rebuild while serving."""

from __future__ import annotations

import csv
import io
import time
from datetime import UTC, datetime

import pytest
from kafka import KafkaConsumer, KafkaProducer
from openpyxl import load_workbook

from services.reporting.store import read_model
from shared.db import make_engine
from shared.messaging.records import LightPartitionRecords
from tests.support.databases import backend
from tests.support.system import System, registration_body
from tienphong import workers


def selected_participant(system: System, union: dict[str, str], **overrides: str) -> str:
    reply = system.registration.post("/api/v1/participants", headers=union, json=registration_body(**overrides))
    assert reply.status_code == 201, reply.json
    participant_id = reply.json["participant_id"]
    reply = system.registration.post(f"/api/v1/participants/{participant_id}/decisions", headers=union,
                                     json={"decision": "selected", "sector": "livestock", "decided_on": "2017-06-30"})
    assert reply.status_code == 201, reply.json
    return str(participant_id)


def fund(system: System, bank: dict[str, str], participant_id: str, day: str, amount: int) -> str:
    reply = system.support.post(f"/api/v1/participants/{participant_id}/fundings", headers=bank,
                                json={"disbursed_on": day, "source": "vbsp", "amount_vnd": amount})
    assert reply.status_code == 201, reply.json
    return str(reply.json["event_id"])


def test_period_report_known_at_and_restatement(system: System) -> None:
    union, bank, viewer = system.key("union", "TX"), system.key("bank", "TH"), system.key("viewer", "TH")
    first = selected_participant(system, union)
    second = selected_participant(system, union, full_name="Trịnh Thị Bình", org_unit="TX-THOLAP")
    system.sync()
    wrong = fund(system, bank, first, "2017-10-05", 40_000_000)
    fund(system, bank, second, "2017-10-20", 60_000_000)
    fund(system, bank, second, "2017-09-20", 10_000_000)  # previous month
    reply = system.registration.post(f"/api/v1/participants/{first}/evaluations", headers=union,
                                     json={"evaluated_on": "2017-10-30", "status": "successful", "jobs_created": 4})
    assert reply.status_code == 201
    system.sync()
    submitted = system.reporting.get("/api/v1/reports/TX?period=2017-10", headers=viewer)
    assert submitted.status_code == 200, submitted.json
    report = submitted.json
    assert report["in_period"]["fundings"] == 2 and report["in_period"]["funding_vnd"] == 100_000_000
    assert report["in_period"]["funding_by_source"] == {"vbsp": 100_000_000}
    assert report["in_period"]["evaluations"] == 1 and report["in_period"]["successful_change"] == 1
    assert report["cumulative"]["funding_vnd"] == 110_000_000 and report["cumulative"]["successful"] == 1
    assert report["previous"]["period"]["code"] == "2017-09"
    assert report["previous"]["in_period"]["funding_vnd"] == 10_000_000
    assert report["previous"]["in_period"]["registrations"] == 0  # both registered in June
    assert report["cumulative"]["registered"] == 2
    children = {c["org_unit"]["code"]: c for c in report["children"]}
    assert children["TX-XUANHOA"]["in_period"]["funding_vnd"] == 40_000_000
    time.sleep(0.01)
    known_at = datetime.now(UTC).isoformat()
    time.sleep(0.01)

    # Corrections after the report was submitted: the October funding was wrong.
    reply = system.support.post(f"/api/v1/events/{wrong}/retraction", headers=bank, json={"reason": "nhập sai"})
    assert reply.status_code == 201, reply.json
    fund(system, bank, first, "2017-10-05", 45_000_000)
    system.sync()

    now = system.reporting.get("/api/v1/reports/TX?period=2017-10", headers=viewer).json
    assert now["in_period"]["funding_vnd"] == 105_000_000
    as_submitted = system.reporting.get(f"/api/v1/reports/TX?period=2017-10&known_at={known_at}",
                                        headers=viewer).json
    for key in ("in_period", "cumulative", "previous", "children"):
        assert as_submitted[key] == report[key], key
    assert as_submitted["restated"] is True
    assert {"figure": "in_period.funding_vnd", "reported": 100_000_000, "now": 105_000_000} in as_submitted[
        "differences"]
    summary_then = system.reporting.get(f"/api/v1/summary/TX?as_of=2018-12-31&known_at={known_at}",
                                        headers=viewer).json
    assert summary_then["totals"]["funding_vnd"] == 110_000_000
    assert system.reporting.get("/api/v1/reports/TX?period=2017-13", headers=viewer).status_code == 422
    assert system.reporting.get("/api/v1/reports/TX?period=2018-H1&known_at=yesterday",
                                headers=viewer).status_code == 422


def test_provenance_timeline_and_exports(system: System) -> None:
    union, bank = system.key("union", "TX", agency="huyen-doan-tho-xuan"), system.key("bank", "TH", agency="vbsp-th")
    viewer = system.key("viewer", "TX")
    participant_id = selected_participant(system, union, full_name="Lê Văn Tám")
    system.sync()
    retracted = fund(system, bank, participant_id, "2017-08-01", 5_000_000)
    assert system.support.post(f"/api/v1/events/{retracted}/retraction", headers=bank,
                               json={"reason": "trùng"}).status_code == 201
    kept = fund(system, bank, participant_id, "2017-08-02", 30_000_000)
    system.sync()

    behind = system.reporting.get("/api/v1/summary/TX/events?metric=funding_vnd&as_of=2018-12-31", headers=viewer)
    assert behind.status_code == 200, behind.json
    assert [(e["event_id"], e["source"]["agency"]) for e in behind.json["events"]] == [(kept, "vbsp-th")]
    assert behind.json["count"] == 1 and behind.json["events"][0]["participant_name"] == "Lê Văn Tám"

    registered = system.reporting.get("/api/v1/summary/TX/events?metric=registered", headers=viewer).json
    assert [e["source"]["agency"] for e in registered["events"]] == ["huyen-doan-tho-xuan"]
    assert system.reporting.get("/api/v1/summary/TX/events?metric=nope", headers=viewer).status_code == 422

    timeline = system.reporting.get(f"/api/v1/participants/{participant_id}/timeline", headers=viewer).json
    types = [(e["type"], e["retracted"]) for e in timeline["events"]]
    assert types[0] == ("participant.registered", False)
    assert ("participant.funded", True) in types and ("participant.funded", False) in types
    assert {e["source"]["agency"] for e in timeline["events"]} == {"huyen-doan-tho-xuan", "vbsp-th"}

    as_csv = system.reporting.get("/api/v1/summary/TX.csv?as_of=2018-12-31", headers=viewer)
    assert as_csv.status_code == 200 and as_csv.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(as_csv.data.decode("utf-8-sig"))))  # title rows first (test_report_documents)
    header = next(i for i, r in enumerate(rows) if r and r[0] == "Đơn vị" and len(r) > 2)
    assert "Tổng vốn (đồng)" in rows[header]
    total = next(i for i, r in enumerate(rows) if r and r[0] == "Tổng cộng")
    assert total == header + 16  # header, 15 communes, totals
    funding_column = rows[header].index("Tổng vốn (đồng)")
    assert rows[total][funding_column] == "30000000"
    as_xlsx = system.reporting.get("/api/v1/summary/TX.xlsx?as_of=2018-12-31", headers=viewer)
    sheet = load_workbook(io.BytesIO(as_xlsx.data)).active
    values = list(sheet.values)
    assert values[total][0] == "Tổng cộng" and values[total][funding_column] == 30_000_000  # a number, not text
    report_xlsx = system.reporting.get("/api/v1/reports/TX.xlsx?period=2017-08", headers=viewer)
    assert report_xlsx.status_code == 200
    english = system.reporting.get("/api/v1/summary/TX.csv", headers=viewer | {"Accept-Language": "en"})
    assert "\nOrg unit,Registered," in english.data.decode("utf-8-sig").replace("\r\n", "\n")

    # a dashboard asks for the latest few only, and how many there are in all
    others = [selected_participant(system, union, full_name=f"Trần Thị Hoa {n}") for n in range(2)]
    system.sync()
    for n, other in enumerate(others):
        fund(system, bank, other, f"2018-11-0{n + 1}", 1_000_000)
    system.sync()
    every = system.reporting.get("/api/v1/summary/TX/events?metric=funded&as_of=2018-12-31", headers=viewer).json
    latest = system.reporting.get("/api/v1/summary/TX/events?metric=funded&as_of=2018-12-31&limit=2",
                                  headers=viewer).json
    assert every["count"] == len(every["events"]) >= 3
    assert latest["count"] == every["count"] and latest["events"] == every["events"][-2:]
    assert [e["participant_id"] for e in latest["events"]] == others
    for bad in ("0", "-1", "x", "1.5", "10001", "9" * 5000, "١"):
        reply = system.reporting.get(f"/api/v1/summary/TX/events?metric=funded&limit={bad}", headers=viewer)
        assert reply.status_code == 422 and "limit" in reply.json["error"]["fields"], (bad, reply.json)


def test_unreadable_events_go_to_dead_letters_and_projection_carries_on(system: System) -> None:
    union, viewer = system.key("union", "TX"), system.key("viewer", "TH")
    topic = system.configs["reporting"].topic("registration.events")
    producer = KafkaProducer(bootstrap_servers=system.env["KAFKA_BOOTSTRAP_SERVERS"])
    producer.send(topic, key=b"x", value=b"{not json")
    producer.send(topic, key=b"x", value=b'{"event_id": "8f0e0c57-1b7e-4b47-a0f5-111111111111", "type": "x.y"}')
    producer.flush()
    producer.close()
    assert system.registration.post("/api/v1/participants", headers=union, json=registration_body()).status_code == 201
    system.sync()
    assert system.reporting.get("/api/v1/summary/TH", headers=viewer).json["totals"]["registered"] == 1
    metrics = system.reporting.get("/metrics").data.decode()
    assert "tienphong_projection_dead_letters_total 2.0" in metrics
    dead = KafkaConsumer(system.configs["reporting"].topic("deadletter"),
                         bootstrap_servers=system.env["KAFKA_BOOTSTRAP_SERVERS"], auto_offset_reset="earliest",
                         consumer_timeout_ms=5000)
    consumer = system.consumer("reporting").consumer
    # read by the loop's own record reader (kafka-python's internals it relies on are still there)
    assert consumer._fetcher.PartitionRecords is LightPartitionRecords
    group = consumer.config["group_id"]
    reasons = sorted(dict(m.headers)["reason"].decode() for m in dead if dict(m.headers)["consumer"] == group.encode())
    dead.close()
    assert len(reasons) == 2 and reasons[0].startswith("bad envelope") and reasons[1].startswith("not JSON")


@pytest.mark.parametrize("processes", [1, 2])
def test_rebuild_while_serving_gives_the_same_figures(system: System, processes: int) -> None:
    union, bank, viewer = system.key("union", "TX"), system.key("bank", "TH"), system.key("viewer", "TH")
    for i, name in enumerate(["Lê Văn An", "Trịnh Thị Bình", "Hoàng Văn Cường"]):
        participant_id = selected_participant(system, union, full_name=name)
        system.sync()
        fund(system, bank, participant_id, "2017-09-01", 10_000_000 * (i + 1))
    system.sync()
    before = system.reporting.get("/api/v1/summary/TH?as_of=2018-12-31", headers=viewer).json
    # with 2, a helper process takes a share of the partitions
    generation = workers.rebuild_projections(system.configs["reporting"], show_progress=False, processes=processes)
    assert generation == 2
    if backend() == "postgresql":  # the new tables have planner statistics before readers switch to them
        engine = make_engine(system.configs["reporting"].database_url)
        with engine.connect() as conn:
            analyzed = dict(conn.exec_driver_sql("SELECT relname, last_analyze FROM pg_stat_user_tables"
                                                 " WHERE relname LIKE 'rp_events%%'").all())
        engine.dispose()
        assert analyzed[read_model(2).events.name] is not None, analyzed
    after = system.reporting.get("/api/v1/summary/TH?as_of=2018-12-31", headers=viewer).json
    assert after == before
    assert system.reporting.get("/api/v1/projection", headers=viewer).json["generation"] == 2
    # the live consumer follows the swap and keeps projecting into the new generation
    selected_participant(system, union, full_name="Mai Thu Trang")
    system.sync()
    later = system.reporting.get("/api/v1/summary/TH?as_of=2018-12-31", headers=viewer).json
    assert later["totals"]["registered"] == 4 and later["totals"]["funding_vnd"] == 60_000_000


def test_code_with_a_new_layout_projects_the_whole_log_into_tables_of_its_own(
        system: System, monkeypatch: pytest.MonkeyPatch) -> None:
    """An upgrade that changes the read-model tables: the new code finds no tables and no offsets of its
    layout, projects the log from offset 0 into new ones and answers the same; the old tables stay."""
    from sqlalchemy import func, inspect, select

    from services.reporting import store
    from shared.db import make_engine

    union, bank, viewer = system.key("union", "TX"), system.key("bank", "TH"), system.key("viewer", "TH")
    for i, name in enumerate(["Lê Văn An", "Trịnh Thị Bình"]):
        participant_id = selected_participant(system, union, full_name=name)
        system.sync()  # support knows the participant
        fund(system, bank, participant_id, "2017-09-01", 10_000_000 * (i + 1))
    system.sync()
    before = system.reporting.get("/api/v1/summary/TH?as_of=2018-12-31", headers=viewer).json
    assert before["totals"]["registered"] == 2 and before["totals"]["funding_vnd"] == 30_000_000
    old = store.read_model(1)
    system.consumers.pop("reporting").close()
    # the next version of the code
    monkeypatch.setattr(store, "LAYOUT", store.LAYOUT + 1)
    store.read_model.cache_clear()
    try:
        new = store.read_model(1)
        assert new.events.name != old.events.name and new.consumer_name != old.consumer_name
        system.drain("reporting")  # a consumer of the new code, from offset 0
        after = system.reporting.get("/api/v1/summary/TH?as_of=2018-12-31", headers=viewer).json
        assert after == before
        engine = make_engine(system.configs["reporting"].database_url)
        tables = set(inspect(engine).get_table_names())
        assert {old.events.name, old.daily.name, new.events.name, new.daily.name} <= tables
        with engine.connect() as conn:
            assert conn.execute(select(func.count()).select_from(new.events)).scalar() == 6
            assert conn.execute(select(func.count()).select_from(old.events)).scalar() == 6
    finally:
        store.read_model.cache_clear()  # entries named by the patched layout
