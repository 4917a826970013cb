"""The three services in-process (Flask test clients) on a real broker and real databases, with the
relays and consumers pumped by the test, so every step is deterministic."""

from __future__ import annotations

import hashlib
import time
import uuid
from pathlib import Path
from typing import Any

from flask.testing import FlaskClient

from shared.auth import AccessStore
from shared.config import Config, from_env
from shared.db import make_engine
from shared.messaging.consumer import ConsumerLoop
from shared.messaging.outbox import Relay
from tienphong import workers


def settings(data_dir: Path, bootstrap: str, template: str | None, **extra: str) -> dict[str, str]:
    env = {"TIENPHONG_DATA_DIR": str(data_dir), "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
           "TIENPHONG_TOPIC_PREFIX": "t" + uuid.uuid4().hex[:12], "TIENPHONG_TOPIC_PARTITIONS": "3",
           "TIENPHONG_RATE_LIMIT_PER_MINUTE": "100000"}
    if template:
        env["DATABASE_URL"] = template
    env.update(extra)
    return env


class System:
    def __init__(self, env: dict[str, str]) -> None:
        from services.registration.app import create_app as registration_app
        from services.reporting.app import create_app as reporting_app
        from services.support.app import create_app as support_app

        self.env = env
        self.configs: dict[str, Config] = {s: from_env(s, env) for s in ("registration", "support", "reporting")}
        workers.create_topics(self.configs["registration"])
        self.apps = {"registration": registration_app(self.configs["registration"]),
                     "support": support_app(self.configs["support"]),
                     "reporting": reporting_app(self.configs["reporting"])}
        self.registration: FlaskClient = self.apps["registration"].test_client()
        self.support: FlaskClient = self.apps["support"].test_client()
        self.reporting: FlaskClient = self.apps["reporting"].test_client()
        self.access = AccessStore(make_engine(from_env("access", env).access_url))
        self.relays: dict[str, Relay] = {}
        self.consumers: dict[str, ConsumerLoop] = {}

    def key(self, kind: str, scope: str, agency: str | None = None) -> dict[str, str]:
        _, token = self.access.create_key(agency or f"{kind}-{scope}", kind, scope)
        return {"Authorization": f"Bearer {token}"}

    def relay(self, service: str) -> Relay:
        if service not in self.relays:
            self.relays[service] = workers.build_relay(self.configs[service])
        return self.relays[service]

    def consumer(self, service: str) -> ConsumerLoop:
        if service not in self.consumers:
            self.consumers[service] = workers.build_consumer(self.configs[service])
        return self.consumers[service]

    def outbox_rows(self, service: str) -> int:
        """Rows of a write service's outbox not yet acknowledged by Kafka."""
        from sqlalchemy import func, select
        store = __import__(f"services.{service}.store", fromlist=["outbox"])
        with self.apps[service].extensions["tienphong"]["engine"].connect() as conn:
            return int(conn.execute(select(func.count()).select_from(store.outbox)).scalar_one())

    def publish(self) -> int:
        sent = 0
        for service in ("registration", "support"):
            while (n := self.relay(service).run_once()) > 0:
                sent += n
        return sent

    def drain(self, service: str, timeout: float = 60.0) -> None:
        loop = self.consumer(service)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            loop.poll_once(timeout_ms=200)
            if loop.lag() == 0:
                return
        assignment = sorted(str(tp) for tp in loop.consumer.assignment())
        c = loop.consumer
        detail = {f"{tp.topic[-6:]}[{tp.partition}]": (c.position(tp), c.highwater(tp), tp in c.paused(),
                  loop._in_step.reached.get(tp)) for tp in c.assignment()}
        raise AssertionError(f"{service} consumer did not catch up in {timeout}s (assignment {assignment}, "
                             f"lag {loop.lag()}) DETAIL {detail} ends {c.end_offsets(list(c.assignment()))}")

    def sync(self) -> None:
        """Everything recorded so far reaches support's view and the reporting read models."""
        self.publish()
        self.drain("support")
        self.drain("reporting")

    def close(self) -> None:
        for relay in self.relays.values():
            relay.close()
        for consumer in self.consumers.values():
            consumer.close()


def registration_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "full_name": "Lê Văn An", "birth_date": "1995-02-03", "gender": "male", "phone": "0912345678",
        "org_unit": "TX-XUANHOA", "branch_name": "Chi đoàn thôn Đông", "branch_kind": "residential",
        "model_name": "Nuôi gà đồi", "model_description": "Gà thả vườn", "has_existing_model": True,
        "registered_on": "2017-06-10",
    }
    body.update(overrides)
    if "phone" not in overrides:  # one phone per person: a phone shared in a district is a likely duplicate
        digest = hashlib.sha256(f"{body['full_name']}|{body['birth_date']}".encode()).digest()
        body["phone"] = f"09{int.from_bytes(digest[:8]) % 10**8:08d}"
    return body
