"""The org hierarchy (province > district > commune > ...), loaded from a data file of any depth."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml


@dataclass(frozen=True)
class OrgUnit:
    code: str
    name: str
    level: str
    parent: str | None

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "name": self.name, "level": self.level, "parent": self.parent}


class OrgTree:
    """Lookups over the hierarchy. Built once per process; the tree is small (hundreds of units)."""

    def __init__(self, units: list[OrgUnit]) -> None:
        self._units = {u.code: u for u in units}
        self._order = [u.code for u in units]
        self._children: dict[str, list[str]] = {u.code: [] for u in units}
        for unit in units:
            if unit.parent is not None:
                self._children[unit.parent].append(unit.code)
        self._descendants: dict[str, frozenset[str]] = {}
        for code in reversed(self._order):
            below = {code}
            for child in self._children[code]:
                below |= self._descendants[child]
            self._descendants[code] = frozenset(below)

    @classmethod
    def from_nested(cls, nodes: list[dict[str, Any]]) -> OrgTree:
        units: list[OrgUnit] = []

        def walk(node: dict[str, Any], parent: str | None) -> None:
            code = str(node["code"])
            if any(u.code == code for u in units):
                raise ValueError(f"duplicate org unit code {code}")
            units.append(OrgUnit(code, str(node["name"]), str(node["level"]), parent))
            for child in node.get("children") or []:
                walk(child, code)

        for root in nodes:
            walk(root, None)
        return cls(units)

    def __contains__(self, code: object) -> bool:
        return code in self._units

    def __iter__(self):  # type: ignore[no-untyped-def]
        return (self._units[c] for c in self._order)

    def get(self, code: str) -> OrgUnit | None:
        return self._units.get(code)

    def children(self, code: str) -> list[OrgUnit]:
        return [self._units[c] for c in self._children.get(code, [])]

    def descendants(self, code: str) -> frozenset[str]:
        """The unit itself and every unit below it."""
        return self._descendants.get(code, frozenset())

    def cover(self, code: str) -> dict[str, int]:
        """The units whose stored (rolled-up) figures, each times its weight, add up to `code`'s: itself, in a
        tree that never changed (shared.grouping.Grouping answers for a changed hierarchy)."""
        return {code: 1}

    def ancestors(self, code: str) -> list[str]:
        """The unit itself, then its parent, up to the root."""
        chain: list[str] = []
        current: str | None = code
        while current is not None:
            chain.append(current)
            unit = self._units.get(current)
            current = unit.parent if unit else None
        return chain

    def within(self, code: str, scope: str) -> bool:
        """True when `code` is `scope` or lies below it."""
        return code in self.descendants(scope)

    def depth(self, code: str) -> int:
        return len(self.ancestors(code)) - 1


@lru_cache(maxsize=8)
def load(path: Path) -> OrgTree:
    with open(path, encoding="utf-8") as handle:
        return OrgTree.from_nested(yaml.safe_load(handle))
