"""Which partitions a consumer reading in step pauses: those read further on in time than the one furthest
behind, by more than the step; a partition read to its end neither waits nor holds the others back."""

from __future__ import annotations

from kafka import TopicPartition

from shared.messaging.pacing import partitions_ahead

A, B, C = (TopicPartition("t", n) for n in range(3))


def test_partitions_past_the_step_of_the_furthest_behind_wait() -> None:
    reached = {A: (1_000, 10), B: (1_400, 10), C: (1_600, 10)}  # (timestamp, next offset)
    marks: dict[TopicPartition, int | None] = {A: 100, B: 100, C: 100}
    assert partitions_ahead(reached, marks, 500) == {C}
    assert partitions_ahead(reached, marks, 600) == set()  # at the limit: not past it
    assert partitions_ahead(reached, marks, 300) == {B, C}


def test_a_partition_read_to_its_end_holds_nobody_back_and_never_waits() -> None:
    reached = {A: (1_000, 100), B: (1_400, 10), C: (5_000, 50)}
    assert partitions_ahead(reached, {A: 100, B: 100, C: 100}, 100) == {C}  # A is done: B is furthest behind
    assert partitions_ahead(reached, {A: 100, B: 100, C: 50}, 100) == set()  # C done too, however far on


def test_unknown_marks_count_as_records_left_and_unassigned_partitions_as_gone() -> None:
    reached = {A: (1_000, 100), B: (9_000, 10), C: (1_000, 0)}
    assert partitions_ahead(reached, {A: None, B: None, C: 0}, 100) == {B}  # C: an empty partition
    assert partitions_ahead(reached, {B: None}, 100) == set()  # A and C revoked: B alone
    assert partitions_ahead({}, {A: None}, 100) == set()  # nothing read yet
