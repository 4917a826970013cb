"""The unit of work of a write service: events, outbox rows and the idempotent reply in one transaction."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from marshmallow import Schema
from sqlalchemy import Connection, Engine, Table

from shared import i18n
from shared.auth import Principal
from shared.db import write_turn
from shared.events import Envelope, Event, Source, new_identity
from shared.eventstore import ConcurrentWrite, EventStore, StoredReply
from shared.group_commit import GroupCommit, Retry
from shared.grouping import grouping
from shared.hierarchy import Hierarchy
from shared.messaging.outbox import enqueue, enqueue_many
from shared.orgunits import OrgTree
from shared.permissions import may_post
from shared.plausibility import CONFIRMATION, Thresholds, require_confirmed
from shared.rules import RuleViolation


@dataclass
class Reply:
    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)


class UnitOfWork:
    """One database transaction; `record` appends events and queues them for Kafka together."""

    def __init__(self, engine: Engine, store: EventStore, outbox: Table, topic: str) -> None:
        self._engine = engine
        self.store = store
        self._outbox = outbox
        self._topic = topic
        self.conn: Connection
        self._turn = ExitStack()
        # what a batch of writes (an import) looked up at once beforehand, by name then id: a handler finds its
        # participant there instead of by a query per write (shared.imports.held)
        self.read_ahead: dict[str, dict[str, Any]] = {}

    def __enter__(self) -> UnitOfWork:
        # On SQLite, requests (of every worker) queue for the write lock on a kernel lock that is handed over
        # the moment a commit ends, not in SQLite's busy handler, which sleeps up to 100 ms between tries
        # (write_turn): p99 of a POST under load was most of a second in that sleep.
        self._turn.enter_context(write_turn(self._engine))
        self.conn = self._engine.connect()
        self.conn.begin()
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            if self.conn.in_transaction():
                self.conn.rollback()
            self.conn.close()
        finally:
            self._turn.close()

    def record(self, envelopes: list[Envelope]) -> None:
        self.store.append(self.conn, envelopes)
        for envelope in envelopes:
            enqueue(self.conn, self._outbox, self._topic, envelope)

    def record_many(self, envelopes: list[Envelope]) -> None:
        """As `record`, for thousands at once: one statement for the events, one for the outbox rows."""
        self.store.append_many(self.conn, envelopes)
        enqueue_many(self.conn, self._outbox, self._topic, envelopes)

    def commit(self) -> None:
        self.conn.commit()

    def joined(self, conn: Connection) -> UnitOfWork:
        """This unit of work on a transaction someone else opened and commits (a group commit's)."""
        self.conn = conn
        return self


@dataclass(frozen=True)
class Idempotency:
    key_id: str
    key: str
    request_hash: str


WRITE_ATTEMPTS = 3


def run_write(make_uow: Callable[[], UnitOfWork], handler: Callable[[UnitOfWork], Reply],
              idempotency: Idempotency | None, on_reused: Callable[[StoredReply], Reply],
              group: GroupCommit | None = None) -> Reply:
    """Run a handler in one transaction. With an Idempotency-Key, the key is claimed first, so a twin
    request racing this one waits, then answers with this one's stored reply.

    When another request appended to the same stream first, the whole command runs again on the
    new stream: it then either fits (two trainings recorded at once are both fine) or meets the rule
    that really refuses it (a second decision: 409 already_decided, naming the first).

    `group` (SQLite, shared/group_commit.py): the write shares a transaction with the writes queued beside it,
    in a savepoint of its own, and is answered once that transaction is committed."""
    if group is not None:
        def work(conn: Connection) -> tuple[Reply, bool]:
            try:
                return _attempt(make_uow().joined(conn), handler, idempotency, on_reused)
            except ConcurrentWrite as conflict:
                raise Retry from conflict
        return group.submit(work, WRITE_ATTEMPTS)
    for _attempt_number in range(WRITE_ATTEMPTS):
        with make_uow() as uow:
            try:
                reply, kept = _attempt(uow, handler, idempotency, on_reused)
            except ConcurrentWrite:
                continue  # the rollback drops this attempt, claim included; the next pass reads the twin's
            if kept:
                uow.commit()
            return reply  # a refusal or a replayed reply: the rollback leaves no trace, not even the claim
    raise ConcurrentWrite("the stream or the idempotency key kept changing under this write")


def _attempt(uow: UnitOfWork, handler: Callable[[UnitOfWork], Reply], idempotency: Idempotency | None,
             on_reused: Callable[[StoredReply], Reply]) -> tuple[Reply, bool]:
    """One pass of a write: its reply, and whether what it wrote is kept. ConcurrentWrite: run it again."""
    if idempotency is not None:
        stored = uow.store.stored_reply(uow.conn, idempotency.key_id, idempotency.key)
        if stored is not None:
            return on_reused(stored), False
        uow.store.claim(uow.conn, idempotency.key_id, idempotency.key, idempotency.request_hash)
    reply = handler(uow)
    if reply.status >= 300:
        return reply, False
    if idempotency is not None:
        uow.store.complete(uow.conn, idempotency.key_id, idempotency.key, reply.status, reply.body)
    return reply, True


@dataclass(frozen=True)
class Context:
    """What a handler needs besides the command: the hierarchy, the caller, the calendar. `tree` is the
    hierarchy of today (a Grouping where the hierarchy has changes); `on(day)` gives the context of a
    command dated `day`: its units and the key's scope as they were that day (docs/access.md)."""

    tree: OrgTree
    principal: Principal
    today: date
    program_start: date
    service: str
    limits: Thresholds = Thresholds()
    hierarchy: Hierarchy | None = None

    def on(self, day: date) -> Context:
        if self.hierarchy is None:
            return self
        return replace(self, tree=grouping(self.hierarchy, day))


def forbidden() -> RuleViolation:
    return RuleViolation(403, "forbidden", None, i18n.message("forbidden", "vi"), i18n.message("forbidden", "en"))


def out_of_scope() -> RuleViolation:
    return RuleViolation(403, "out_of_scope", None, i18n.message("out_of_scope", "vi"),
                         i18n.message("out_of_scope", "en"))


def authorize(ctx: Context, event_type: str, org_unit: str, **conditions: str | None) -> None:
    """The permission matrix first (403 forbidden), then the participant's unit in scope (403)."""
    p = ctx.principal
    if not may_post(ctx.tree, p.kind, p.scope, event_type, agency=p.agency, **conditions):
        raise forbidden()
    if org_unit and not ctx.tree.within(org_unit, p.scope):
        raise _former_scope(ctx) or out_of_scope()


def _former_scope(ctx: Context) -> RuleViolation | None:
    """The refusal for a key whose unit was merged or dissolved before the event's date, saying so: the person
    holding it needs an administrator to move it (docs/access.md), not a different participant."""
    day = getattr(ctx.tree, "day", None)
    span = ctx.hierarchy.span(ctx.principal.scope) if ctx.hierarchy is not None else None
    if day is None or span is None or span[1] is None or day <= span[1]:
        return None
    scope, last = ctx.principal.scope, span[1].isoformat()
    return RuleViolation(
        403, "out_of_scope", None,
        f"Đơn vị của khóa/tài khoản này ({scope}) chỉ tồn tại đến hết ngày {last} (đã sắp xếp lại đơn vị). Sự kiện "
        "trước ngày đó vẫn ghi được; sự kiện sau đó cần quản trị viên chuyển phạm vi sang đơn vị mới.",
        f"This key's or account's unit ({scope}) existed until {last} (the units were reorganised). Events "
        "dated before still record; later ones need an administrator to move it to its new unit.")


_DATA_SCHEMAS: dict[str, Schema] = {}


def data_schema(event_cls: type[Event]) -> Schema:
    """One instance per event class: a schema keeps no state between dumps, and building one costs more
    than a dump."""
    schema = _DATA_SCHEMAS.get(event_cls.TYPE)
    if schema is None:
        schema = _DATA_SCHEMAS[event_cls.TYPE] = event_cls.Data()
    return schema


def new_event(ctx: Context, event_cls: type[Event], participant_id: str, org_unit: str,
              data: dict[str, Any], sequence: int) -> Envelope:
    """An envelope for validated data; the payload is stored as its schema dumps it (ISO dates).

    The last check of every write: figures outside the plausibility limits need the sender's confirmation
    (422 confirmation_required otherwise), and the event records which were confirmed."""
    confirmed = require_confirmed(event_cls.TYPE, data, ctx.limits)
    data = {k: v for k, v in data.items() if k != CONFIRMATION}
    if confirmed:
        data[CONFIRMATION] = confirmed
    payload = data_schema(event_cls).dump(data)
    return Envelope(type=event_cls.TYPE, version=event_cls.VERSION, participant_id=participant_id,
                    org_unit=org_unit, occurred_on=data[event_cls.DATE_FIELD],
                    source=Source(ctx.principal.agency, ctx.principal.key_id), data=payload,
                    sequence=sequence, service=ctx.service, **new_identity())


def recorded(envelope: Envelope, **extra: Any) -> Reply:
    return Reply(201, {"event_id": envelope.event_id, "type": envelope.type,
                       "participant_id": envelope.participant_id, **extra})
