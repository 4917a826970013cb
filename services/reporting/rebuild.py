"""Rebuild: a fresh read-model generation from offset 0 while the current one keeps serving; readers
and the live consumer switch to it in one transaction once it has caught up."""

from __future__ import annotations

import time
from collections.abc import Callable

from sqlalchemy import Engine, delete

from services.reporting.projector import Projection
from services.reporting.store import activate, active_generation, consumer_offsets, read_model
from shared.messaging.consumer import ConsumerLoop

LoopFactory = Callable[[str, str, Projection], ConsumerLoop]  # (consumer name, group id, projection)


def rebuild(engine: Engine, make_loop: LoopFactory, group_prefix: str,
            progress: Callable[[int, int], None] | None = None, drop_old_after: float = 5.0) -> int:
    """Returns the new generation once it is active."""
    with engine.connect() as conn:
        old = active_generation(conn)
    model = read_model(old + 1)
    model.drop(engine)  # leftovers of an interrupted rebuild
    model.create(engine)
    with engine.begin() as conn:
        conn.execute(delete(consumer_offsets).where(consumer_offsets.c.consumer == model.consumer_name))
    projection = Projection(model)
    loop = make_loop(model.consumer_name, f"{group_prefix}-rebuild-g{model.generation}-{int(time.time())}",
                     projection)
    try:
        while True:
            loop.poll_once(timeout_ms=500)
            lag = loop.lag()
            if progress is not None and lag is not None:
                progress(loop.position_total(), lag)
            if lag == 0:
                break
        with engine.begin() as conn:
            activate(conn, model.generation)
    finally:
        loop.close()
    if drop_old_after >= 0:
        time.sleep(drop_old_after)  # let requests that started on the old tables finish
        read_model(old).drop(engine)
    return model.generation
