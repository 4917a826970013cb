"""Faults against the real processes, each ending with the summary's figures exact against a ledger of the
writes that were accepted: a record just under the broker's limit, a consumer killed with -9, a consumer
frozen (readiness tells), the broker stopped for 60 s during writes with a relay and a consumer started
meanwhile, the database stopped during consumption with a consumer started meanwhile. How long each
recovery takes is printed (bench/faults.py reports it); the tests assert only that it happens."""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from kafka import KafkaProducer

from shared.auth import AccessStore
from shared.config import from_env
from shared.db import make_engine
from tests.support.dedicated_broker import DedicatedBroker, dedicated_broker
from tests.support.ledger import Ledger
from tests.support.own_postgres import OwnPostgres
from tests.support.processes import Stack, running_stack
from tests.support.system import settings

POISON_BYTES = 1_048_450  # just under what the broker takes in one record (message.max.bytes 1,048,588)


def ledger_for(stack: Stack) -> Ledger:
    access = AccessStore(make_engine(from_env("access", stack.env).access_url))
    tokens = [access.create_key(agency, kind, scope)[1]
              for agency, kind, scope in (("huyen-doan-tx", "union", "TX"), ("nhcsxh-th", "bank", "TH"),
                                          ("tinh-doan", "viewer", "TH"))]
    return Ledger(stack.urls, *tokens)


def readiness(stack: Stack, service: str) -> tuple[int, dict[str, str]]:
    reply = requests.get(f"{stack.urls[service]}/readyz", timeout=15)
    return reply.status_code, (reply.json().get("error", {}).get("fields") or {})


def wait_for(condition, timeout: float, what: str) -> float:  # type: ignore[no-untyped-def]
    started = time.monotonic()
    while not condition():
        assert time.monotonic() - started < timeout, what
        time.sleep(0.2)
    return time.monotonic() - started


@pytest.fixture
def own_broker(tmp_path: Path) -> Iterator[DedicatedBroker]:
    with dedicated_broker(tmp_path / "kafka") as broker:
        yield broker


def test_poison_kill_freeze_and_a_broker_outage_are_waited_out(own_broker: DedicatedBroker, tmp_path: Path,
                                                                database_template: str | None) -> None:
    env = settings(tmp_path, own_broker.bootstrap, database_template, TIENPHONG_STALL_SECONDS="4")
    with running_stack(env, tmp_path) as stack:
        ledger = ledger_for(stack)
        for i in range(3):
            participant_id = ledger.register(f"Người Thứ {i}")
            ledger.fund(participant_id, 10_000_000 * (i + 1))
        ledger.wait_exact()

        # 1. a non-JSON record just under the broker's limit: dead-lettered, nothing stalls
        producer = KafkaProducer(bootstrap_servers=own_broker.bootstrap, max_request_size=2 << 20)
        producer.send(from_env("registration", env).topic("registration.events"), key=b"poison",
                      value=b"\xff" * POISON_BYTES).get(timeout=30)
        producer.close()
        ledger.train(ledger.register("Sau Thư Độc"))  # support must learn of it past the poison
        ledger.wait_exact()
        assert all(readiness(stack, service)[0] == 200 for service in stack.urls)

        # 2. the reporting consumer killed with -9 and started again (as `tienphong run` or compose does)
        stack.kill("consumer-reporting")
        stack.start("consumer-reporting")
        ledger.register("Sau Kill Chín")
        print(f"\nkill -9 of the reporting consumer: figures exact again after {ledger.wait_exact():.1f}s")

        # 3. the reporting consumer frozen: the service says it is not ready, and why, until it moves again
        stack.kill("consumer-reporting", signal.SIGSTOP)
        ledger.register("Trong Lúc Đứng")
        wait_for(lambda: "consumer" in readiness(stack, "reporting")[1], 60, "reporting stayed ready while stuck")
        assert readiness(stack, "reporting")[0] == 503
        stack.kill("consumer-reporting", signal.SIGCONT)
        ledger.wait_exact()
        wait_for(lambda: readiness(stack, "reporting")[0] == 200, 30, "reporting never ready again")

        # 4. the broker stopped for 60 s during writes: the writes are accepted into the outbox meanwhile
        own_broker.stop()
        stopped = time.monotonic()
        funded_before = ledger.registered[0]
        # a relay and a consumer that start while the broker is away wait for it (they exited after ~30 s)
        for name in ("relay-registration", "consumer-support"):
            stack.kill(name)
            stack.start(name)
        i = 0
        while time.monotonic() - stopped < 60:
            ledger.register(f"Khi Mất Kafka {i}")
            i += 1
            time.sleep(2)
        status, missing = readiness(stack, "registration")
        assert status == 503 and "kafka" in missing, missing
        own_broker.start()
        print(f"broker back after 60 s away: {i} writes made meanwhile, figures exact after "
              f"{ledger.wait_exact():.1f}s")
        ledger.fund(funded_before, 5_000_000)  # support works again too
        ledger.wait_exact()
        for service in stack.urls:
            wait_for(lambda s=service: readiness(stack, s)[0] == 200, 60, f"{service} never ready again")
        for name in ("consumer-support", "relay-registration", "relay-support"):
            assert stack.children[name].poll() is None, f"{name} exited:\n{stack.log(name)}"


def test_a_database_outage_is_waited_out(bootstrap: str, tmp_path: Path) -> None:
    postgres = OwnPostgres()
    postgres.start()
    try:
        env = settings(tmp_path, bootstrap, postgres.template(), TIENPHONG_STALL_SECONDS="4")
        with running_stack(env, tmp_path) as stack:
            ledger = ledger_for(stack)
            ledger.fund(ledger.register("Trước Khi Tắt"), 7_000_000)
            ledger.wait_exact()
            postgres.stop()
            # a consumer started while the database is away waits for it instead of hanging or exiting
            stack.kill("consumer-reporting")
            stack.start("consumer-reporting")
            wait_for(lambda: readiness(stack, "reporting")[0] == 503, 30, "reporting ready without its database")
            time.sleep(5)
            postgres.start()
            back = wait_for(lambda: readiness(stack, "registration")[0] == 200, 60, "registration never ready")
            ledger.register("Sau Khi Bật")
            print(f"\ndatabase back: registration ready after {back:.1f}s, figures exact after "
                  f"{ledger.wait_exact():.1f}s")
            for service in stack.urls:
                wait_for(lambda s=service: readiness(stack, s)[0] == 200, 60, f"{service} never ready again")
            assert stack.children["consumer-reporting"].poll() is None, stack.log("consumer-reporting")
    finally:
        postgres.remove()

