"""The effective-dated hierarchy: the first version (the org-units data file, valid from the program's start)
and the changes decided since (shared.hierarchy_rules), read as the tree of any day. Pure: no I/O. Events keep
the unit they were recorded with; where a unit went is read from here."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

from shared.hierarchy_rules import KINDS, MAX_CHANGES, ChangeError, ChangeRequest, Replay, UnitHistory
from shared.orgunits import OrgTree, OrgUnit

__all__ = ["KINDS", "MAX_CHANGES", "ChangeError", "ChangeRequest", "Hierarchy", "UnitAt"]


@dataclass(frozen=True)
class UnitAt:
    """A unit as the hierarchy of one day holds it."""

    code: str
    name: str
    level: str
    parent: str | None
    valid_from: date
    valid_to: date | None  # its last day; None while it holds

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "name": self.name, "level": self.level, "parent": self.parent,
                "valid_from": self.valid_from.isoformat(),
                "valid_to": None if self.valid_to is None else self.valid_to.isoformat()}


class Hierarchy(Replay):
    """Every version of the tree. Built by replaying the changes in effective-date order (the recording
    order within a day); `errors` holds the changes that could not apply (a valid history has none)."""

    def __init__(self, first: OrgTree, start: date, requests: Iterable[ChangeRequest] = ()) -> None:
        super().__init__(start)
        self.first = first
        for i, unit in enumerate(first):
            self._add(UnitHistory(unit.code, unit.level, start, [(start, unit.name)], [(start, unit.parent)],
                                  order=i))
        self.requests = sorted(requests, key=lambda r: r.effective_on)  # stable: recording order within a day
        self._expect(self.requests)
        for number, request in enumerate(self.requests):
            self._apply(number, request)
        self.boundaries = sorted({r.effective_on for r in self.requests})
        self._trees: dict[int, OrgTree] = {}
        self.groupings: dict[int, Any] = {}  # shared.grouping's, per version

    def version(self, day: date) -> int:
        """Which version of the tree holds on `day` (0: the first); the tree is the same between changes."""
        return bisect_right(self.boundaries, day)

    def version_day(self, version: int) -> date:
        return self.start if version == 0 else self.boundaries[version - 1]

    def ever(self, code: str) -> bool:
        return code in self._units

    def exists_at(self, code: str, day: date) -> bool:
        unit = self._units.get(code)
        return unit is not None and unit.holds(day)

    def unit_at(self, code: str, day: date) -> UnitAt | None:
        unit = self._units.get(code)
        if unit is None or not unit.holds(day):
            return None
        return UnitAt(code, unit.name_at(day), unit.level, unit.parent_at(day), unit.valid_from, unit.valid_to)

    def span(self, code: str) -> tuple[date, date | None] | None:
        unit = self._units.get(code)
        return None if unit is None else (unit.valid_from, unit.valid_to)

    def units_at(self, day: date) -> list[UnitAt]:
        """The units valid on `day`, parents before their children."""
        tree = self.tree_at(day)
        return [u for u in (self.unit_at(unit.code, day) for unit in tree) if u is not None]

    def parent_at(self, code: str, day: date) -> str | None:
        unit = self.unit_at(code, day)
        return None if unit is None else unit.parent

    def children_at(self, code: str, day: date) -> list[str]:
        return [c.code for c in self.tree_at(day).children(code)]

    def descendants_at(self, code: str, day: date) -> frozenset[str]:
        return self.tree_at(day).descendants(code)

    def successor(self, code: str, day: date) -> str | None:
        """The unit valid on `day` that `code` became (itself while it holds): merge -> into, split -> its
        default successor, dissolve -> its last parent, each in turn. None before the unit existed."""
        seen: set[str] = set()
        unit = self._units.get(code)
        while unit is not None and unit.code not in seen:
            if day < unit.valid_from:
                return None
            if unit.valid_to is None or day <= unit.valid_to:
                return unit.code
            seen.add(unit.code)
            unit = self._units.get(unit.successor) if unit.successor else None
        return None

    def current_unit_of(self, code: str, today: date) -> str | None:
        """Where a participant recorded at `code` belongs today."""
        return self.successor(code, today)

    def tree_at(self, day: date) -> OrgTree:
        """The tree valid on `day` as an OrgTree (cached per version)."""
        version = self.version(day)
        tree = self._trees.get(version)
        if tree is None:
            at = self.version_day(version)
            held = sorted((u for u in self._units.values() if u.holds(at)), key=lambda u: u.order)
            tree = self._trees[version] = _ordered_tree(
                [OrgUnit(u.code, u.name_at(at), u.level, u.parent_at(at)) for u in held])
        return tree

    def all_codes(self) -> Iterator[str]:
        return iter(self._units)

def _ordered_tree(units: list[OrgUnit]) -> OrgTree:
    """An OrgTree needs parents before children: depth-first from the roots, in the units' order."""
    by_parent: dict[str | None, list[OrgUnit]] = {}
    codes = {u.code for u in units}
    for unit in units:
        if unit.parent not in codes:
            unit = OrgUnit(unit.code, unit.name, unit.level, None)
        by_parent.setdefault(unit.parent, []).append(unit)
    ordered: list[OrgUnit] = []
    stack = list(reversed(by_parent.get(None, [])))
    while stack:
        unit = stack.pop()
        ordered.append(unit)
        stack.extend(reversed(by_parent.get(unit.code, [])))
    return OrgTree(ordered)
