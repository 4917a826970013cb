"""Kafka's end offsets of a set of topics, for lag reports (one lazily opened client)."""

from __future__ import annotations

import threading

from kafka import KafkaConsumer, TopicPartition


class EndOffsets:
    def __init__(self, bootstrap_servers: str, topics: list[str]) -> None:
        self._bootstrap = bootstrap_servers
        self._topics = topics
        self._consumer: KafkaConsumer | None = None
        self._lock = threading.Lock()

    def __call__(self) -> dict[tuple[str, int], int]:
        with self._lock:
            if self._consumer is None:
                self._consumer = KafkaConsumer(bootstrap_servers=self._bootstrap, client_id="tienphong-lag",
                                               request_timeout_ms=5000)
            partitions = [TopicPartition(topic, p) for topic in self._topics
                          for p in sorted(self._consumer.partitions_for_topic(topic) or [])]
            ends = self._consumer.end_offsets(partitions, timeout_ms=5000) if partitions else {}
        return {(tp.topic, tp.partition): offset for tp, offset in ends.items()}
