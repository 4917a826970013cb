"""Three brokers, topics with three replicas and min.insync.replicas=2: one broker killed with -9 while
agencies write; writes go on being accepted, the relay and the projection carry on with the other two, and
the summary is exact (nothing lost, nothing counted twice)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from kafka import KafkaAdminClient
from kafka.admin import ConfigResource, ConfigResourceType

from shared.messaging.topics import SUPPORT_EVENTS
from tests.support.cluster import Cluster, three_brokers
from tests.support.system import System, registration_body, settings

PARTICIPANTS = 8


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    try:
        running = three_brokers(tmp_path_factory.mktemp("kafka3"))
        brokers = running.__enter__()
    except Exception as exc:  # noqa: BLE001 - no cluster is a failure, never a skip
        pytest.fail(f"no three-broker Kafka cluster: {exc}", pytrace=False)
    try:
        yield brokers
    finally:
        running.__exit__(None, None, None)


def replication_of(bootstrap: str, topic: str) -> tuple[set[int], str, set[int]]:
    """(replica counts of the topic's partitions, its min.insync.replicas, the partitions' leaders), once its
    metadata has spread."""
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="tienphong-test")
    try:
        deadline = time.monotonic() + 30
        partitions: list[dict[str, object]] = []
        while not partitions and time.monotonic() < deadline:
            partitions = admin.describe_topics([topic])[0]["partitions"]
            time.sleep(0.2)
        configs = admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, topic)])
        return ({len(p["replica_nodes"]) for p in partitions},  # type: ignore[arg-type]
                configs["topic"][topic]["min.insync.replicas"]["value"],
                {p["leader_id"] for p in partitions})  # type: ignore[misc]
    finally:
        admin.close()


def pump(system: System, timeout: float = 90) -> None:
    """Relay every outbox row and project every event, however long the brokers take to settle."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for service in ("registration", "support"):
            system.relay(service).run_once()
        pending = [system.consumer(name).lag() for name in ("support", "reporting")]
        rows = sum(system.outbox_rows(service) for service in ("registration", "support"))
        if rows == 0 and pending == [0, 0]:
            return
        for name in ("support", "reporting"):
            system.consumer(name).poll_once(timeout_ms=200)
    raise AssertionError("the outboxes or the consumers did not catch up with one broker down")


def test_one_broker_killed_during_writes(cluster: Cluster, tmp_path: Path, database_template: str | None) -> None:
    env = settings(tmp_path, cluster.bootstrap, database_template, TIENPHONG_TOPIC_REPLICATION="3")
    system = System(env)
    try:
        topic = system.configs["support"].topic(SUPPORT_EVENTS)
        replicas, min_insync, leaders = replication_of(cluster.bootstrap, topic)
        assert (replicas, min_insync) == ({3}, "2")
        assert 1 in leaders  # the broker killed below leads a partition of the topic
        union, bank = system.key("union", "TX"), system.key("bank", "TH")
        viewer = system.key("viewer", "TH")
        participants = []
        for number in range(PARTICIPANTS):
            reply = system.registration.post("/api/v1/participants", headers=union, json=registration_body(
                full_name=f"Đoàn viên {number}", phone=f"09{number:08d}"))
            assert reply.status_code == 201, reply.json
            participant_id = reply.json["participant_id"]
            assert system.registration.post(f"/api/v1/participants/{participant_id}/decisions", headers=union, json={
                "decision": "selected", "sector": "livestock", "decided_on": "2017-06-30"}).status_code == 201
            participants.append(participant_id)
        pump(system)

        ledger: list[int] = []  # every funding the API acknowledged

        def fund(round_number: int) -> None:
            for index, participant_id in enumerate(participants):
                amount = 1_000_000 * (round_number * PARTICIPANTS + index + 1)
                reply = system.support.post(f"/api/v1/participants/{participant_id}/fundings", headers=bank, json={
                    "disbursed_on": "2017-08-01", "source": "vbsp", "amount_vnd": amount})
                assert reply.status_code == 201, reply.json
                ledger.append(amount)

        fund(0)
        system.relay("support").run_once()  # some of the round on its way, some still in the outbox
        cluster.kill(1)
        fund(1)
        pump(system)
        fund(2)  # and once the two brokers left have taken over
        pump(system)
        assert 1 not in replication_of(cluster.bootstrap, topic)[2]

        totals = system.reporting.get("/api/v1/summary/TH?as_of=2018-12-31", headers=viewer).json["totals"]
        assert (totals["registered"], totals["selected"], totals["funded"]) == (PARTICIPANTS,) * 3
        assert totals["funding_vnd"] == sum(ledger) and len(ledger) == 3 * PARTICIPANTS
    finally:
        system.close()
