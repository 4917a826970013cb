"""Group commit (shared/group_commit.py): writes queued together share one transaction on SQLite, and each
keeps its own outcome, exactly as if it had been committed alone; on PostgreSQL every write commits alone."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Column, Connection, Integer, MetaData, Table, event, insert, select
from werkzeug.test import TestResponse

from shared import group_commit
from shared.db import make_engine, write_turn
from shared.group_commit import GroupCommit, Retry
from tests.support.databases import backend, drop, fresh_template
from tests.support.system import System
from tests.support.write_checks import engine, error_of, selected, shared_system, stored_events

P = "/api/v1/participants"


@pytest.fixture(scope="module")
def system(bootstrap: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[System]:
    with shared_system(bootstrap, tmp_path_factory.mktemp("group")) as running:
        yield running


def until(condition: Callable[[], bool], what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting until {what}"
        time.sleep(0.01)


def test_writes_queued_together_share_one_commit_and_keep_their_own_outcomes(system: System) -> None:
    district = system.key("union", "TX", agency="huyen-doan-tho-xuan")
    bank = system.key("bank", "TH", agency="nhcsxh-thanh-hoa")
    first, second = selected(system, district), selected(system, district)
    funding = {"disbursed_on": "2017-08-01", "source": "vbsp", "amount_vnd": 30_000_000}
    twin = bank | {"Idempotency-Key": "giai-ngan-dot-1"}
    requests: list[tuple[str, dict[str, str], dict[str, Any]]] = [
        (first, bank, funding), (first, bank, funding | {"amount_vnd": 40_000_000}), (second, bank, funding),
        (second, twin, funding | {"amount_vnd": 20_000_000}), (second, twin, funding | {"amount_vnd": 20_000_000}),
        (first, bank, funding | {"amount_vnd": 900_000_000})]  # above the source's ceiling, not confirmed
    support = engine(system, "support")
    group = group_commit.for_engine(support)
    assert (group is not None) == (backend() == "sqlite")
    commits: list[int] = []

    def committed(_conn: Connection) -> None:
        commits.append(1)

    event.listen(support, "commit", committed)
    replies: list[TestResponse | None] = [None] * len(requests)

    def post(index: int) -> None:
        participant_id, headers, body = requests[index]
        replies[index] = system.apps["support"].test_client().post(
            f"{P}/{participant_id}/fundings", headers=headers, json=body)

    threads = [threading.Thread(target=post, args=(i,)) for i in range(len(requests))]
    try:
        if group is not None:
            with write_turn(support):  # what another process's write does: holds the file's write turn
                for thread in threads:
                    thread.start()
                until(lambda: group.waiting() == len(requests), "every write is queued")
        else:
            for thread in threads:
                thread.start()
        for thread in threads:
            thread.join(timeout=60)
    finally:
        event.remove(support, "commit", committed)
    assert all(r is not None for r in replies)
    done = [r for r in replies if r is not None]
    assert [r.status_code for r in done] == [201] * 5 + [422], [r.get_json() for r in done]
    error_of(done[5], 422, "confirmation_required", "amount_vnd")
    assert done[3].get_json() == done[4].get_json()  # the twin answered with the first one's reply
    assert sum("Idempotent-Replayed" in r.headers for r in done[3:5]) == 1
    recorded = {e.event_id for pid in (first, second) for e in stored_events(system, "support", pid)
                if e.type == "participant.funded"}
    assert recorded == {r.get_json()["event_id"] for r in done[:5]}
    assert [e.sequence for e in stored_events(system, "support", first)] == [1, 2]
    # SQLite: all six in one transaction; PostgreSQL: each kept write in a transaction of its own
    assert len(commits) == (1 if group is not None else 4)
    assert system.publish() == 4


@pytest.fixture()
def table(tmp_path: Path) -> Iterator[tuple[Any, Table]]:
    template = fresh_template()
    url = template.format(service="registration") if template else f"sqlite:///{tmp_path}/group.db"
    db = make_engine(url, durable=True)
    rows = Table("rows", MetaData(), Column("id", Integer, primary_key=True))
    rows.create(db)
    try:
        yield db, rows
    finally:
        db.dispose()
        drop(template)


def test_an_error_fails_its_own_write_alone(table: tuple[Any, Table]) -> None:
    """A batch of four behind a write that holds the lead: one kept, one raising after it wrote (its row rolled
    back, its error raised in its own thread), one refused (nothing kept), one that conflicts once and then fits."""
    db, rows = table
    group = GroupCommit(db)
    release = threading.Event()
    outcomes: dict[str, Any] = {}
    conflicts: list[int] = []

    def inserting(row_id: int, kept: bool = True, then: Callable[[], None] | None = None) -> Callable[..., Any]:
        def work(conn: Connection) -> tuple[str, bool]:
            conn.execute(insert(rows).values(id=row_id))
            if then is not None:
                then()
            return f"row {row_id}", kept
        return work

    def fail() -> None:
        raise RuntimeError("the handler's own bug")

    def conflict_once() -> None:
        if not conflicts:
            conflicts.append(1)
            raise Retry from RuntimeError("a concurrent write")

    def submit(name: str, work: Callable[..., Any]) -> None:
        try:
            outcomes[name] = group.submit(work, attempts=3)
        except Exception as exc:  # noqa: BLE001 - what the write's own thread sees
            outcomes[name] = exc

    leader = threading.Thread(target=submit, args=("leader", inserting(1, then=lambda: release.wait(30))))
    leader.start()
    until(lambda: group.waiting() == 0, "the leader runs")
    others = [threading.Thread(target=submit, args=args) for args in (
        ("kept", inserting(2)), ("raises", inserting(3, then=fail)), ("refused", inserting(4, kept=False)),
        ("retried", inserting(5, then=conflict_once)))]
    for thread in others:
        thread.start()
    until(lambda: group.waiting() == 4, "the four are queued behind it")
    release.set()
    for thread in [leader, *others]:
        thread.join(timeout=30)
    assert outcomes["leader"] == "row 1" and outcomes["kept"] == "row 2" and outcomes["retried"] == "row 5"
    assert outcomes["refused"] == "row 4"  # answered, nothing kept
    assert isinstance(outcomes["raises"], RuntimeError)
    with db.connect() as conn:
        assert sorted(conn.execute(select(rows.c.id)).scalars()) == [1, 2, 5]
