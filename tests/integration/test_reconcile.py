"""A topic's tail lost by the broker after the relay deleted the outbox rows (issue 28): `tienphong
reconcile` republishes it from the event store, rewinds the consumers that had read past the new end of
the log, and the summary's figures come back exact against what was accepted; a second run does nothing."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from kafka import KafkaConsumer, TopicPartition

from tests.support.dedicated_broker import DedicatedBroker, dedicated_broker
from tests.support.system import System, registration_body, settings


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[DedicatedBroker]:
    with dedicated_broker(tmp_path / "kafka") as running:
        yield running


def _end_offsets(bootstrap: str, topic: str) -> dict[int, int]:
    consumer = KafkaConsumer(bootstrap_servers=bootstrap)
    try:
        partitions = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or [])]
        return {tp.partition: offset for tp, offset in consumer.end_offsets(partitions).items()}
    finally:
        consumer.close()


def _reconcile(env: dict[str, str]) -> dict[str, str]:
    """`tienphong reconcile` as an operator runs it; its line per topic."""
    done = subprocess.run([sys.executable, "-m", "tienphong.cli", "reconcile"], env=os.environ | env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    lines = [line for line in done.stdout.splitlines() if ": " in line and "stored" in line]
    return {line.split(": ", 1)[0]: line.split(": ", 1)[1] for line in lines}


class Ledger:
    def __init__(self, system: System) -> None:
        self.system = system
        self.union = system.key("union", "TX")
        self.bank = system.key("bank", "TH")
        self.registered: list[str] = []
        self.selected: list[str] = []
        self.funding_vnd = 0

    def register(self, count: int, select_every: int = 2) -> None:
        for n in range(count):
            reply = self.system.registration.post("/api/v1/participants", headers=self.union,
                                                  json=registration_body(full_name=f"Người {len(self.registered)}"))
            assert reply.status_code == 201, reply.get_json()
            participant_id = reply.get_json()["participant_id"]
            self.registered.append(participant_id)
            if n % select_every == 0:
                reply = self.system.registration.post(
                    f"/api/v1/participants/{participant_id}/decisions", headers=self.union,
                    json={"decision": "selected", "sector": "livestock", "decided_on": "2017-06-30"})
                assert reply.status_code == 201, reply.get_json()
                self.selected.append(participant_id)

    def fund(self, participant_id: str, amount: int) -> None:
        reply = self.system.support.post(f"/api/v1/participants/{participant_id}/fundings", headers=self.bank,
                                         json={"disbursed_on": "2017-08-01", "source": "vbsp", "amount_vnd": amount})
        assert reply.status_code == 201, reply.get_json()
        self.funding_vnd += amount

    def events(self) -> int:
        return len(self.registered) + len(self.selected) + (1 if self.funding_vnd else 0)

    def check(self) -> None:
        viewer = self.system.key("viewer", "TH")
        summary = self.system.reporting.get("/api/v1/summary/TH?as_of=2018-12-31", headers=viewer)
        assert summary.status_code == 200, summary.get_json()
        totals: dict[str, Any] = summary.get_json()["totals"]
        assert (totals["registered"], totals["selected"], totals["funding_vnd"]) == (
            len(self.registered), len(self.selected), self.funding_vnd)
        projection = self.system.reporting.get("/api/v1/projection", headers=viewer).get_json()
        assert projection["events_applied"] == self.events()


def _restart_workers(system: System) -> None:
    system.close()
    system.relays.clear()
    system.consumers.clear()


def test_a_lost_topic_tail_is_reconciled_to_exact_figures(broker: DedicatedBroker, tmp_path: Path,
                                                           database_template: str | None) -> None:
    env = settings(tmp_path, broker.bootstrap, database_template)
    system = System(env)
    topic = system.configs["registration"].topic("registration.events")
    try:
        ledger = Ledger(system)
        ledger.register(6)
        system.sync()
        kept = {p: broker.segment(topic, p).stat().st_size for p in _end_offsets(broker.bootstrap, topic)}
        ends_kept = _end_offsets(broker.bootstrap, topic)
        ledger.register(5)  # acknowledged by the broker, deleted from the outbox, applied by both consumers
        system.sync()
        ledger.check()
        assert sum(_end_offsets(broker.bootstrap, topic).values()) == sum(ends_kept.values()) + 8
        _restart_workers(system)

        broker.kill()
        for partition, size in kept.items():
            broker.lose_tail(topic, partition, size)
        broker.start()
        assert _end_offsets(broker.bootstrap, topic) == ends_kept  # the last 8 events are gone from the log
        ledger.register(2)  # accepted meanwhile, waiting in the outbox: the relay's to send, not reconcile's

        first = _reconcile(env)
        assert first[topic].startswith("20 stored, 9 in the log, 3 waiting in the outbox, 8 republished"), first
        assert "0 consumer offsets rewound" not in first[topic]  # both consumers had read past the new end
        support_topic = system.configs["support"].topic("support.events")
        assert first[support_topic] == "0 stored, 0 in the log, 0 waiting in the outbox, 0 republished, " \
                                       "0 consumer offsets rewound"

        system.sync()
        ledger.check()
        ledger.fund(ledger.selected[-2], 50_000_000)  # a participant support knows only from the republished log
        system.sync()
        ledger.check()

        again = _reconcile(env)
        assert again[topic] == "20 stored, 20 in the log, 0 waiting in the outbox, 0 republished, " \
                               "0 consumer offsets rewound", again
        assert again[support_topic].endswith("0 republished, 0 consumer offsets rewound"), again
        _restart_workers(system)
        system.sync()
        ledger.check()
    finally:
        system.close()
