"""The latest few events behind a figure (the dashboard's trace) read only a window of the events table;
they must be exactly the last of the whole list, including when many events share one day (decisions taken
together) and when retractions leave the first window short."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from unittest.mock import patch

import pytest

from services.reporting import provenance
from services.reporting.projector import Projection
from services.reporting.store import VERSIONS, read_model
from shared.config import from_env
from shared.db import make_engine, migrate
from shared.events import Envelope, Source, encode
from shared.events.rawcheck import read_event
from shared.events.types import EVENT_CLASSES
from shared.messaging.consumer import Delivery
from shared.orgunits import OrgTree, load

BASE = datetime(2019, 1, 1, tzinfo=UTC)


class History:
    def __init__(self) -> None:
        self.events: list[Envelope] = []
        self.clock = 0

    def add(self, kind: str, participant_id: str, unit: str, day: date, data: dict[str, Any]) -> Envelope:
        self.clock += 1
        cls = EVENT_CLASSES[kind]
        envelope = Envelope(type=kind, version=cls.VERSION, participant_id=participant_id, org_unit=unit,
                            occurred_on=day, source=Source("bank", "key"), data=cls.Data().dump(data),
                            recorded_at=BASE + timedelta(minutes=self.clock), event_id=str(uuid.uuid4()))
        self.events.append(envelope)
        return envelope

    def retract(self, target: Envelope) -> None:
        self.add("event.retracted", target.participant_id, target.org_unit, target.occurred_on, {
            "retracted_event_id": uuid.UUID(target.event_id), "retracted_type": target.type, "reason": "sai",
            "retracted_on": target.occurred_on})


def program() -> list[Envelope]:
    """36 participants in two communes, registered and selected on one day each; the latest selections
    of one commune retracted; fundings and evaluations spread over days, many on a shared day, the latest
    recorded of those retracted."""
    history = History()
    selections: dict[str, list[Envelope]] = {"TX-XUANHOA": [], "TX-THOLAP": []}
    funded_twice: list[tuple[str, str]] = []
    for n in range(36):
        unit = "TX-XUANHOA" if n % 3 else "TX-THOLAP"
        pid = str(uuid.uuid4())
        registered_on = date(2017, 6, 1)
        history.add("participant.registered", pid, unit, registered_on, {
            "full_name": f"Đoàn viên {n}", "birth_date": date(1995, 1, 1), "gender": "female", "branch_name": "b",
            "branch_kind": "residential", "model_name": "m", "has_existing_model": False,
            "registered_on": registered_on})
        decided_on = date(2017, 6, 30)
        selections[unit].append(history.add("participant.selected", pid, unit, decided_on,
                                            {"sector": "livestock", "decided_on": decided_on}))
        # fundings: many on one day, some participants funded before it too
        days = {0: [date(2017, 8, 15)], 1: [date(2017, 9, 1)],
                2: [date(2017, 8, 1), date(2017, 9, 1), date(2017, 9, 1) + timedelta(days=n)]}[n % 3]
        for day in days:
            history.add("participant.funded", pid, unit, day,
                        {"disbursed_on": day, "source": "vbsp", "amount_vnd": 1_000_000 * (n + 1)})
        if n % 3 == 2:
            funded_twice.append((pid, unit))
        day = date(2018, 3, 1) + timedelta(days=n % 5)
        history.add("participant.evaluated", pid, unit, day,
                    {"evaluated_on": day, "jobs_created": n % 4, "status": "successful" if n % 4 else "struggling"})
    # Recorded last of their day, then retracted: a window by recording time holds them, and their
    # participants' other fundings (earlier that day, or before) must not make up for them.
    late = [history.add("participant.funded", pid, unit, date(2017, 9, 1),
                        {"disbursed_on": date(2017, 9, 1), "source": "commercial_bank", "amount_vnd": 5_000_000})
            for pid, unit in funded_twice[:6]]
    for retracted in selections["TX-XUANHOA"][-8:] + late:
        history.retract(retracted)
    return history.events


@pytest.fixture()
def projected(tmp_path: Path, database_template: str | None) -> Iterator[tuple[Any, Any, OrgTree]]:
    config = from_env("reporting", {"TIENPHONG_DATA_DIR": str(tmp_path), **(
        {"DATABASE_URL": database_template} if database_template else {})})
    engine = make_engine(config.database_url)
    migrate(engine, VERSIONS)
    tree = load(config.org_units_file)
    projection = Projection(read_model(7), tree)
    projection.model.create(engine)
    deliveries = [Delivery("t", 0, i, *read_event(encode(e))) for i, e in enumerate(program())]
    try:
        for start in range(0, len(deliveries), 25):
            with engine.begin() as conn:
                projection.apply_batch(conn, deliveries[start:start + 25])
        yield engine, projection.model, tree
    finally:
        projection.model.drop(engine)


def test_latest_events_behind_a_figure_are_the_last_of_the_whole_list(projected: tuple[Any, Any, OrgTree]) -> None:
    engine, model, tree = projected
    windows: list[Any] = []
    widened = 0  # calls that needed a window further back
    window_start = provenance._window_start

    def spy(*args: Any) -> Any:
        windows.append(window_start(*args))
        return windows[-1]

    with engine.connect() as conn, patch.object(provenance, "_window_start", spy):
        for code in ("TH", "TX", "TX-XUANHOA"):
            for metric in ("registered", "selected", "funded", "funding_vnd", "successful", "jobs_created"):
                for as_of in (date(2017, 6, 30), date(2017, 9, 1), date(2017, 9, 20), date(2018, 12, 31)):
                    whole = provenance.events_behind(conn, model, tree, code, metric, as_of)
                    for limit in (1, 3, 7, 40):
                        before = len(windows)
                        latest = provenance.events_behind(conn, model, tree, code, metric, as_of, limit)
                        widened += len(windows) - before > 1
                        assert latest.total == whole.total, (code, metric, as_of, limit)
                        assert latest.events == whole.events[-limit:], (code, metric, as_of, limit)
    # the cases above went through each way of finding the window: from a day's recording time (a day with
    # many more such events), from a whole day, and over the whole history
    assert any(w is not None and w[1] is not None for w in windows)
    assert any(w is not None and w[1] is None for w in windows)
    assert None in windows
    assert widened  # the retracted selections, or the latest evaluations fewer than all evaluations
