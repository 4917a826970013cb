"""Tables the messaging layer keeps inside each service's own database.

The column lists are frozen per revision (`*_v1`): migrations create them from here, so a later change
is a new function and a new migration, never an edit of these.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, DateTime, Integer, LargeBinary, MetaData, String, Table, func


def outbox_columns_v1() -> list[Column]:  # type: ignore[type-arg]
    return [
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("topic", String(200), nullable=False),
        Column("key", String(64), nullable=False),
        Column("value", LargeBinary, nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    ]


def consumer_offsets_columns_v1() -> list[Column]:  # type: ignore[type-arg]
    return [
        Column("consumer", String(200), primary_key=True),
        Column("topic", String(200), primary_key=True),
        Column("partition", Integer, primary_key=True, autoincrement=False),
        Column("next_offset", BigInteger, nullable=False),
    ]


def outbox_table(metadata: MetaData) -> Table:
    return Table("outbox", metadata, *outbox_columns_v1())


def consumer_offsets_table(metadata: MetaData) -> Table:
    return Table("consumer_offsets", metadata, *consumer_offsets_columns_v1())


def dead_letters_columns_v1() -> list[Column]:  # type: ignore[type-arg]
    """Records a consumer could not apply, whole, with where they came from: kept in the consumer's own
    database, in the transaction that moves its offsets past them, so none is lost or listed twice."""
    return [
        Column("topic", String(200), primary_key=True),
        Column("partition", Integer, primary_key=True, autoincrement=False),
        Column("offset", BigInteger, primary_key=True, autoincrement=False),
        Column("key", LargeBinary, nullable=True),
        Column("reason", String(1000), nullable=False),
        Column("category", String(40), nullable=False),
        Column("sha256", String(64), nullable=False),
        Column("size", Integer, nullable=False),
        Column("value", LargeBinary, nullable=True),
        Column("recorded_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        Column("replayed_at", DateTime(timezone=True), nullable=True),
    ]


def dead_letters_table(metadata: MetaData) -> Table:
    return Table("dead_letters", metadata, *dead_letters_columns_v1())


def consumer_heartbeats_columns_v1() -> list[Column]:  # type: ignore[type-arg]
    """When each consumer last applied a batch or found nothing waiting: what its service's /readyz reads to
    tell a consumer that stopped advancing, the same in every worker and replica."""
    return [
        Column("consumer", String(200), primary_key=True),
        Column("seen_at", DateTime(timezone=True), nullable=False),
    ]


def consumer_heartbeats_table(metadata: MetaData) -> Table:
    return Table("consumer_heartbeats", metadata, *consumer_heartbeats_columns_v1())
