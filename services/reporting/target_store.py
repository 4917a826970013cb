"""The targets admins set, in reporting's database (a small table, read whole per request)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Column, Connection, Date, DateTime, Integer, MetaData, String, Table, insert, select

from services.reporting.targets import TargetRow

metadata = MetaData()


def targets_columns_v1() -> list[Column[Any]]:
    """The table's columns as migration p0003 created them."""
    return [Column("id", Integer, primary_key=True, autoincrement=True),
            Column("org_unit", String(64), nullable=False),
            Column("value", Integer, nullable=False),
            Column("start_on", Date, nullable=False),
            Column("due_on", Date, nullable=False),
            Column("effective_on", Date, nullable=False),
            Column("set_at", DateTime(timezone=True), nullable=False),
            Column("set_by", String(200), nullable=False),
            Column("note", String(500), nullable=True)]


targets_table = Table("rp_targets", metadata, *targets_columns_v1())


def _row(r: object) -> TargetRow:
    set_at: datetime = r.set_at  # type: ignore[attr-defined]
    return TargetRow(r.id, r.org_unit, r.value, r.start_on, r.due_on, r.effective_on,  # type: ignore[attr-defined]
                     set_at if set_at.tzinfo else set_at.replace(tzinfo=UTC), r.set_by, r.note)  # type: ignore[attr-defined]


def all_rows(conn: Connection) -> list[TargetRow]:
    return [_row(r) for r in conn.execute(select(targets_table).order_by(targets_table.c.id)).all()]


def add(conn: Connection, org_unit: str, value: int, start_on: date, due_on: date, effective_on: date,
        set_by: str, note: str | None) -> tuple[TargetRow, bool]:
    """Records a new target (earlier ones stay: they are what past reports used), unless it is the unit's latest
    target sent again (a retried request): then that one, and False."""
    t = targets_table.c
    latest = conn.execute(select(targets_table).where(t.org_unit == org_unit).order_by(t.id.desc()).limit(1)).first()
    if latest is not None and (latest.value, latest.start_on, latest.due_on, latest.effective_on, latest.note) == (
            value, start_on, due_on, effective_on, note):
        return _row(latest), False
    values = {"org_unit": org_unit, "value": value, "start_on": start_on, "due_on": due_on,
              "effective_on": effective_on, "set_at": datetime.now(UTC), "set_by": set_by, "note": note}
    new_id = conn.execute(insert(targets_table).values(**values).returning(targets_table.c.id)).scalar_one()
    return TargetRow(int(new_id), **values), True  # type: ignore[arg-type]
