"""Targets of successful models per org unit and phase, from a data file."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import yaml

from shared.orgunits import OrgTree

DEFAULT_TARGETS = Path(__file__).resolve().parents[2] / "shared" / "data" / "targets.yaml"


@dataclass(frozen=True)
class Phase:
    phase: str
    start: date
    end: date
    default_by_level: dict[str, int]
    units: dict[str, int]


class Targets:
    def __init__(self, phases: list[Phase]) -> None:
        self.phases = sorted(phases, key=lambda p: p.start)

    @classmethod
    def load(cls, path: Path = DEFAULT_TARGETS) -> Targets:
        with open(path, encoding="utf-8") as handle:
            raw = yaml.safe_load(handle) or {}
        return cls([Phase(str(p["phase"]), p["start"], p["end"], dict(p.get("default_by_level") or {}),
                          {str(k): int(v) for k, v in (p.get("units") or {}).items()})
                    for p in raw.get("phases", [])])

    def phase_on(self, day: date) -> Phase | None:
        """The phase running on `day`; after the last one ends, that last one (its result stands)."""
        started = [p for p in self.phases if p.start <= day]
        return started[-1] if started else (self.phases[0] if self.phases else None)

    def target(self, tree: OrgTree, code: str, day: date) -> int:
        phase = self.phase_on(day)
        if phase is None:
            return 0
        return self._target(tree, phase, code)

    def _target(self, tree: OrgTree, phase: Phase, code: str) -> int:
        if code in phase.units:
            return phase.units[code]
        unit = tree.get(code)
        if unit is not None and unit.level in phase.default_by_level:
            return phase.default_by_level[unit.level]
        return sum(self._target(tree, phase, child.code) for child in tree.children(code))
