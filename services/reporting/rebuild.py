"""Rebuild: a fresh read-model generation from offset 0 while the current one keeps serving; readers
and the live consumer switch to it in one transaction once it has caught up.

Several processes may fill the new generation together (one consumer group, partitions split between
them); the one that started the rebuild swaps once every partition's stored offset has reached the end.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from sqlalchemy import Engine, delete

from services.reporting.projector import DEFAULT_CACHE, Projection
from services.reporting.store import ReadModel, activate, active_generation, consumer_offsets, read_model
from shared.messaging.consumer import ConsumerLoop
from shared.orgunits import OrgTree

LoopFactory = Callable[[str, str, Projection], ConsumerLoop]  # (consumer name, group id, projection)
# Starts helper processes for (generation, group id); returns a function that waits for them to end.
Helpers = Callable[[int, str], Callable[[], None]]


def follow(loop: ConsumerLoop, progress: Callable[[int, int], None] | None = None) -> None:
    """Apply batches until every partition of the topics is applied up to its end."""
    while True:
        loop.poll_once(timeout_ms=500)
        applied, end = loop.group_progress()
        if progress is not None:
            progress(applied, end - applied)
        if applied >= end and loop.caught_up():
            return


def fill(make_loop: LoopFactory, model: ReadModel, group: str, tree: OrgTree, cache_size: int = DEFAULT_CACHE,
         progress: Callable[[int, int], None] | None = None) -> None:
    """One process's part of a rebuild: consume into `model` until the whole generation has caught up."""
    loop = make_loop(model.consumer_name, group, Projection(model, tree, cache_size))
    try:
        follow(loop, progress)
    finally:
        loop.close()


def rebuild(engine: Engine, make_loop: LoopFactory, group_prefix: str, tree: OrgTree,
            progress: Callable[[int, int], None] | None = None, drop_old_after: float = 5.0,
            cache_size: int = DEFAULT_CACHE, helpers: Helpers | None = None) -> int:
    """Returns the new generation once it is active."""
    with engine.connect() as conn:
        old = active_generation(conn)
    model = read_model(old + 1)
    model.drop(engine)  # leftovers of an interrupted rebuild
    model.create(engine)
    with engine.begin() as conn:
        conn.execute(delete(consumer_offsets).where(consumer_offsets.c.consumer == model.consumer_name))
    group = f"{group_prefix}-rebuild-g{model.generation}-{int(time.time())}"
    wait_for_helpers = helpers(model.generation, group) if helpers is not None else (lambda: None)
    try:
        fill(make_loop, model, group, tree, cache_size, progress)
    finally:
        wait_for_helpers()
    model.analyze(engine)
    with engine.begin() as conn:
        activate(conn, model.generation)
    if drop_old_after >= 0:
        time.sleep(drop_old_after)  # let requests that started on the old tables finish
        read_model(old).drop(engine)
    return model.generation
