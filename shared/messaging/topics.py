"""Topic names and their creation: explicit partition counts, and retained forever (history of record)."""

from __future__ import annotations

import logging

from kafka import KafkaAdminClient
from kafka.admin import NewTopic
from kafka.errors import TopicAlreadyExistsError

log = logging.getLogger(__name__)

REGISTRATION_EVENTS = "registration.events"
SUPPORT_EVENTS = "support.events"
DEAD_LETTER = "deadletter"
EVENT_TOPICS = (REGISTRATION_EVENTS, SUPPORT_EVENTS)


def ensure_topics(bootstrap_servers: str, names: list[str], partitions: int, replication: int = 1,
                  min_insync: int = 1) -> None:
    """Creates the topics not there yet; an existing topic keeps its settings (kafka-configs.sh changes them)."""
    admin = KafkaAdminClient(bootstrap_servers=bootstrap_servers, client_id="tienphong-admin")
    try:
        existing = set(admin.list_topics())
        missing = [
            NewTopic(name, num_partitions=partitions, replication_factor=replication,
                     topic_configs={"retention.ms": "-1", "retention.bytes": "-1",
                                    # with acks=all, a write is acknowledged once this many replicas have it
                                    "min.insync.replicas": str(min_insync)})
            for name in names if name not in existing
        ]
        for topic in missing:
            try:
                admin.create_topics([topic])
                log.info("created topic %s with %d partitions, %d replicas (%d in sync for a write)", topic.name,
                         partitions, replication, min_insync)
            except TopicAlreadyExistsError:
                pass  # another process created it first
    finally:
        admin.close()
