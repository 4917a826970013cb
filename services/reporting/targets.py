"""Targets of successful models per org unit: the defaults per phase from a data file, and the targets an
admin sets through the API (effective-dated, kept with their history; target_store.py).

A report as of a date uses the target valid on that date: a target set later, or effective from a later
date, never rewrites a past report. With `known_at`, only the targets set by then count (the report as it
was known). A unit without a target of its own gets its phase's default for its level (10 per district),
else the sum of its children's targets (a province: its districts').
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml

from shared.orgunits import OrgTree

DEFAULT_TARGETS = Path(__file__).resolve().parents[2] / "shared" / "data" / "targets.yaml"
STATUS_WORDS = {"reached": ("đạt", "reached"), "not_reached": ("chưa đạt", "not reached"),
                "no_target": ("chưa giao chỉ tiêu", "no target")}


@dataclass(frozen=True)
class Phase:
    phase: str
    start: date
    end: date
    default_by_level: dict[str, int]
    units: dict[str, int]


@dataclass(frozen=True)
class TargetRow:
    """One target an admin set: from `effective_on` on, `value` successful models by `due_on`, on a straight
    line from `start_on`."""

    id: int
    org_unit: str
    value: int
    start_on: date
    due_on: date
    effective_on: date
    set_at: datetime
    set_by: str
    note: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "org_unit": self.org_unit, "successful_models": self.value,
                "start_on": self.start_on.isoformat(), "due_on": self.due_on.isoformat(),
                "effective_on": self.effective_on.isoformat(), "set_at": self.set_at.isoformat(),
                "set_by": self.set_by, "note": self.note}


@dataclass(frozen=True)
class Goal:
    value: int
    expected: int  # by the day asked about, on the straight line (rounded down)
    start_on: date | None
    due_on: date | None
    source: str  # set (by an admin) | default (the phase's) | children (their sum) | none

    def status(self, achieved: int) -> dict[str, Any]:
        state = "no_target" if self.value <= 0 else "reached" if achieved >= self.value else "not_reached"
        return {"successful_models": self.value, "achieved": achieved, "status": state,
                "status_text": {"vi": STATUS_WORDS[state][0], "en": STATUS_WORDS[state][1]},
                "missing": max(0, self.value - achieved), "expected_by_as_of": self.expected,
                "on_path": achieved >= self.expected, "behind_path_by": max(0, self.expected - achieved),
                "start_on": self.start_on.isoformat() if self.start_on else None,
                "due_on": self.due_on.isoformat() if self.due_on else None, "source": self.source}


def on_path(value: int, start: date, due: date, day: date) -> int:
    """Successful models expected by `day` on a straight line from 0 at `start` to `value` at `due`."""
    if day >= due:
        return value
    if day < start:
        return 0
    return value * (day - start).days // max(1, (due - start).days)


class Targets:
    def __init__(self, phases: list[Phase], rows: tuple[TargetRow, ...] = ()) -> None:
        self.phases = sorted(phases, key=lambda p: p.start)
        self.rows = rows
        self._by_unit: dict[str, list[TargetRow]] = {}
        for row in sorted(rows, key=lambda r: (r.effective_on, r.set_at, r.id)):
            self._by_unit.setdefault(row.org_unit, []).append(row)

    @classmethod
    def load(cls, path: Path = DEFAULT_TARGETS) -> Targets:
        with open(path, encoding="utf-8") as handle:
            raw = yaml.safe_load(handle) or {}
        return cls([Phase(str(p["phase"]), p["start"], p["end"], dict(p.get("default_by_level") or {}),
                          {str(k): int(v) for k, v in (p.get("units") or {}).items()})
                    for p in raw.get("phases", [])])

    def with_rows(self, rows: list[TargetRow], known_at: datetime | None = None) -> Targets:
        """These defaults with the targets set (by `known_at`, when given)."""
        kept = tuple(r for r in rows if known_at is None or r.set_at <= known_at)
        return Targets(self.phases, kept)

    def phase_on(self, day: date) -> Phase | None:
        """The phase running on `day`; after the last one ends, that last one (its result stands)."""
        started = [p for p in self.phases if p.start <= day]
        return started[-1] if started else (self.phases[0] if self.phases else None)

    def row_on(self, code: str, day: date) -> TargetRow | None:
        """The target set for `code` valid on `day` (the latest effective by then)."""
        valid = [r for r in self._by_unit.get(code, ()) if r.effective_on <= day]
        return valid[-1] if valid else None

    def target(self, tree: OrgTree, code: str, day: date) -> int:
        return self.goal(tree, code, day).value

    def goal(self, tree: OrgTree, code: str, day: date) -> Goal:
        row = self.row_on(code, day)
        if row is not None:
            return Goal(row.value, on_path(row.value, row.start_on, row.due_on, day), row.start_on, row.due_on,
                        "set")
        phase = self.phase_on(day)
        unit = tree.get(code)
        default = None
        if phase is not None:
            default = phase.units.get(code)
            if default is None and unit is not None:
                default = phase.default_by_level.get(unit.level)
        if phase is not None and default is not None:
            return Goal(default, on_path(default, phase.start, phase.end, day), phase.start, phase.end, "default")
        below = [self.goal(tree, child.code, day) for child in tree.children(code)]
        below = [g for g in below if g.value > 0]
        if not below:
            return Goal(0, 0, None, None, "none")
        return Goal(sum(g.value for g in below), sum(g.expected for g in below),
                    min(g.start_on for g in below if g.start_on), max(g.due_on for g in below if g.due_on),
                    "children")

    def status(self, tree: OrgTree, code: str, day: date, achieved: int) -> dict[str, Any]:
        """The target of `code` on `day` with the status of `achieved` against it (see definitions.py)."""
        return self.goal(tree, code, day).status(achieved)
