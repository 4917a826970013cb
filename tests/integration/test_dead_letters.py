"""Dead letters on a real broker: a record of any size that cannot be applied is kept whole with its origin,
copied to the dead-letter topic (cut short when it would not fit), counted in /metrics, and never holds a
partition back; a replay after a fix applies what can be applied, and never counts twice."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys

from kafka import KafkaConsumer, KafkaProducer
from sqlalchemy import delete, insert, select

from services.registration.store import outbox
from services.reporting.store import dead_letters as reporting_dead_letters
from services.support.store import dead_letters as support_dead_letters
from shared.db import make_engine
from shared.messaging.deadletters import FORWARD_VALUE_BYTES, listing, replay
from shared.messaging.outbox import make_producer
from tests.support.system import System, registration_body

# just under what the broker takes in one record batch (message.max.bytes 1,048,588 with its ~75 bytes of
# batch and record headers): a copy with the dead-letter headers on top would not fit in a request
POISON_BYTES = 1_048_450


def poison(system: System, value: bytes, key: bytes = b"poison") -> None:
    producer = KafkaProducer(bootstrap_servers=system.env["KAFKA_BOOTSTRAP_SERVERS"], max_request_size=2 << 20)
    producer.send(system.configs["registration"].topic("registration.events"), key=key, value=value).get(timeout=30)
    producer.close()


def selected(system: System, union: dict[str, str], name: str) -> str:
    reply = system.registration.post("/api/v1/participants", headers=union, json=registration_body(full_name=name))
    assert reply.status_code == 201, reply.json
    participant_id = str(reply.json["participant_id"])
    reply = system.registration.post(f"/api/v1/participants/{participant_id}/decisions", headers=union,
                                     json={"decision": "selected", "sector": "livestock", "decided_on": "2017-06-30"})
    assert reply.status_code == 201, reply.json
    return participant_id


def test_a_record_just_under_the_broker_limit_is_dead_lettered_and_nothing_stalls(system: System) -> None:
    union, viewer = system.key("union", "TX"), system.key("viewer", "TH")
    value = (b"\xff" + bytes(range(256)) * 4100)[:POISON_BYTES]
    poison(system, value)
    participant_id = selected(system, union, "Lê Văn Sau")
    system.sync()  # would never return while the consumers rewound to the poison forever
    # support learned of the participant registered after the poison, so it takes a training
    reply = system.support.post(f"/api/v1/participants/{participant_id}/trainings", headers=union,
                                json={"trained_on": "2017-07-10", "course": "Khởi nghiệp", "kind": "course"})
    assert reply.status_code == 201, reply.json
    system.sync()
    assert system.reporting.get("/api/v1/summary/TH?as_of=2018-12-31", headers=viewer).json["totals"]["trained"] == 1

    topic = system.configs["registration"].topic("registration.events")
    for service, table in (("reporting", reporting_dead_letters), ("support", support_dead_letters)):
        engine = make_engine(system.configs[service].database_url)
        (letter,) = listing(engine, table)
        assert (letter["topic"], letter["key"], letter["category"]) == (topic, b"poison", "not_json")
        assert letter["size"] == POISON_BYTES and letter["sha256"] == hashlib.sha256(value).hexdigest()
        with engine.connect() as conn:  # kept whole, for inspection and replay
            assert conn.execute(select(table.c.value)).scalar_one() == value
        metrics = getattr(system, service).get("/metrics").data.decode()
        assert f'tienphong_dead_letters{{reason="not_json",service="{service}"}} 1.0' in metrics
        # caught up: no lag on any partition, and not stalled
        assert f'tienphong_consumer_stalled_seconds{{service="{service}"}} 0.0' in metrics
        assert "tienphong_consumer_lag{" in metrics and f'service="{service}",topic=' in metrics
        assert getattr(system, service).get("/readyz").status_code == 200

    # the dead-letter topic has each consumer's copy, cut short, with where it came from and its hash
    copies = KafkaConsumer(system.configs["reporting"].topic("deadletter"),
                           bootstrap_servers=system.env["KAFKA_BOOTSTRAP_SERVERS"], auto_offset_reset="earliest",
                           consumer_timeout_ms=5000)
    forwarded = list(copies)
    copies.close()
    assert len(forwarded) == 2
    for copy in forwarded:
        headers = dict(copy.headers)
        assert len(copy.value) < FORWARD_VALUE_BYTES and headers["truncated"]
        assert headers["sha256"].decode() == hashlib.sha256(value).hexdigest()
        assert headers["size"] == str(POISON_BYTES).encode() and b'"offset": 0' in headers["origin"]


def test_replay_after_a_fix_applies_once(system: System) -> None:
    union, viewer = system.key("union", "TX"), system.key("viewer", "TH")
    selected(system, union, "Lê Văn Trước")
    system.sync()
    registration = make_engine(system.configs["registration"].database_url)
    reporting = make_engine(system.configs["reporting"].database_url)
    # a registration the reporting consumer refused (as an older version of it would have: an event version it
    # did not know yet), taken from the outbox before the relay sent it
    reply = system.registration.post("/api/v1/participants", headers=union,
                                     json=registration_body(full_name="Trịnh Thị Hoãn"))
    assert reply.status_code == 201
    with registration.begin() as conn:
        row = conn.execute(select(outbox)).one()
        conn.execute(delete(outbox))
    topic = system.configs["registration"].topic("registration.events")
    # and one the consumer had applied already, dead-lettered by mistake
    applied = KafkaConsumer(topic, bootstrap_servers=system.env["KAFKA_BOOTSTRAP_SERVERS"],
                            auto_offset_reset="earliest", consumer_timeout_ms=5000)
    first = next(iter(applied))
    applied.close()
    with reporting.begin() as conn:
        for offset, key, value in ((10_000, row.key.encode(), row.value), (10_001, first.key, first.value)):
            conn.execute(insert(reporting_dead_letters).values(
                topic=topic, partition=0, offset=offset, key=key, reason="unknown version 9 of participant.registered",
                category="unknown_version", sha256=hashlib.sha256(value).hexdigest(), size=len(value), value=value))
    assert system.reporting.get("/api/v1/summary/TH", headers=viewer).json["totals"]["registered"] == 1
    assert 'reason="unknown_version",service="reporting"} 2.0' in system.reporting.get("/metrics").data.decode()

    producer = make_producer(system.env["KAFKA_BOOTSTRAP_SERVERS"], "test-replay")
    try:
        assert len(replay(reporting, reporting_dead_letters, producer)) == 2
        assert replay(reporting, reporting_dead_letters, producer) == []  # replayed ones are not sent again
    finally:
        producer.close()
    system.sync()
    totals = system.reporting.get("/api/v1/summary/TH", headers=viewer).json["totals"]
    assert totals["registered"] == 2 and totals["selected"] == 1  # the refused one counted, the other not twice
    assert listing(reporting, reporting_dead_letters) == []
    assert len(listing(reporting, reporting_dead_letters, include_replayed=True)) == 2
    assert 'service="reporting"} 2.0' not in system.reporting.get("/metrics").data.decode()


def test_operators_list_show_and_replay_from_the_command_line(system: System) -> None:
    viewer = system.key("viewer", "TH")
    poison(system, b"\x00not an event", key=b"p-1")
    system.sync()
    topic = system.configs["registration"].topic("registration.events")

    def cli(*argv: str) -> str:
        done = subprocess.run([sys.executable, "-m", "tienphong.cli", "deadletters", *argv], capture_output=True,
                              text=True, env=os.environ | system.env, timeout=120)
        assert done.returncode == 0, done.stderr
        return done.stdout

    listed = cli("list").splitlines()
    assert sorted(line.split("\t")[0] for line in listed) == ["reporting", "support"]
    origin = listed[0].split("\t")[1]
    assert origin.startswith(f"{topic}/") and all("not_json" in line for line in listed)
    shown = cli("show", origin, "--service", "support")
    assert "category: not_json" in shown and "key: b'p-1'" in shown and "not an event" in shown
    assert "1 dead letter(s) replayed" in cli("replay", "--service", "reporting")
    assert cli("list", "--service", "reporting") == ""
    assert "replayed" in cli("list", "--all", "--service", "reporting")
    system.sync()  # sent again, refused again: a new dead letter at its new offset, nothing counted
    assert len(listing(make_engine(system.configs["reporting"].database_url), reporting_dead_letters)) == 1
    assert system.reporting.get("/api/v1/summary/TH", headers=viewer).json["totals"]["registered"] == 0
