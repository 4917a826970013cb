"""Events: the envelope, one class per event type with its version, and (de)serialization."""

from shared.events.envelope import Envelope, Source, UnreadableEvent, decode, encode, new_identity
from shared.events.types import EVENT_CLASSES, Event, read_data

__all__ = ["EVENT_CLASSES", "Envelope", "Event", "Source", "UnreadableEvent", "decode", "encode", "new_identity",
           "read_data"]
