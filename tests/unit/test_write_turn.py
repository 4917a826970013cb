"""Writers of one SQLite file take turns through write_turn: a second writer enters only once the first
has left, also when the first left by an error; other databases pass straight through."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from shared.db import make_engine, write_turn


def test_a_second_writer_waits_for_the_first(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'r.db'}")
    steps: list[str] = []
    held, release = threading.Event(), threading.Event()

    def first() -> None:
        with write_turn(engine):
            held.set()
            release.wait(10)
            steps.append("first leaves")

    def second() -> None:
        held.wait(10)
        steps.append("second asks")
        with write_turn(engine):
            steps.append("second enters")

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    held.wait(10)
    for _ in range(50):  # until the second is asking (then it is waiting, or wrongly inside)
        if steps:
            break
        threading.Event().wait(0.01)
    threading.Event().wait(0.2)  # room for a wrong entry to happen before the first leaves
    release.set()
    for thread in threads:
        thread.join(10)
    assert steps == ["second asks", "first leaves", "second enters"]


def test_the_turn_is_given_up_on_an_error(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'r.db'}")
    with pytest.raises(RuntimeError), write_turn(engine):
        raise RuntimeError("batch failed")
    entered = threading.Event()

    def other() -> None:
        with write_turn(engine):
            entered.set()

    thread = threading.Thread(target=other)
    thread.start()
    thread.join(10)
    assert entered.is_set()


def test_memory_databases_need_no_turns() -> None:
    engine = make_engine("sqlite://")
    with write_turn(engine), write_turn(engine):  # nested: would wait forever on a real lock
        pass
