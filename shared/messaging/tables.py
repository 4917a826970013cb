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
