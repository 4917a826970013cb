"""Composition root of the reporting service."""

from __future__ import annotations

import threading

from flask import Flask
from kafka import KafkaConsumer, TopicPartition

from services.reporting import api
from services.reporting.store import VERSIONS
from services.reporting.targets import Targets
from shared.config import Config, from_env
from shared.db import migrate as run_migrations
from shared.messaging.topics import EVENT_TOPICS
from shared.service import build_service


class EndOffsets:
    """Kafka's end offsets of the event topics, through one lazily opened client."""

    def __init__(self, config: Config) -> None:
        self._config = config
        self._consumer: KafkaConsumer | None = None
        self._lock = threading.Lock()

    def __call__(self) -> dict[tuple[str, int], int]:
        with self._lock:
            if self._consumer is None:
                self._consumer = KafkaConsumer(bootstrap_servers=self._config.kafka_bootstrap_servers,
                                               client_id="tienphong-reporting-lag", request_timeout_ms=5000)
            partitions = []
            for name in EVENT_TOPICS:
                topic = self._config.topic(name)
                for p in sorted(self._consumer.partitions_for_topic(topic) or []):
                    partitions.append(TopicPartition(topic, p))
            ends = self._consumer.end_offsets(partitions, timeout_ms=5000) if partitions else {}
        return {(tp.topic, tp.partition): offset for tp, offset in ends.items()}


def create_app(config: Config | None = None, migrate: bool = True) -> Flask:
    config = config or from_env("reporting")
    parts = build_service(config, "Tiên Phong reporting", migrate)
    if migrate:
        run_migrations(parts.engine, VERSIONS)
    targets = Targets.load()
    parts.app.register_blueprint(api.blueprint(parts.engine, parts.tree, targets, EndOffsets(config)))
    return parts.app
