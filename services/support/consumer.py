"""The support service's consumer: registration's events into support's own view of participants."""

from __future__ import annotations

from services.support.store import VERSIONS, consumer_heartbeats, consumer_offsets, dead_letters
from services.support.view import apply_batch
from shared.config import Config
from shared.db import make_engine, migrate
from shared.messaging.consumer import BatchHandler, ConsumerLoop, ConsumerSettings
from shared.messaging.topics import DEAD_LETTER, REGISTRATION_EVENTS


def build_consumer(config: Config) -> ConsumerLoop:
    engine = make_engine(config.database_url)
    migrate(engine, VERSIONS)
    # its offsets are stored under its group's name (services/support/app.py reads them for /readyz)
    group = config.consumer_group or f"{config.topic_prefix}-support"
    settings = ConsumerSettings(config.kafka_bootstrap_servers, group, (config.topic(REGISTRATION_EVENTS),),
                                dead_letter_topic=config.topic(DEAD_LETTER),
                                instance_id=config.consumer_instance or None, light_records=config.fast_paths)
    return ConsumerLoop(engine, consumer_offsets, settings, BatchHandler(apply_batch), dead_letters=dead_letters,
                        heartbeats=consumer_heartbeats)
