"""The hierarchy of one day as a grouping of history: the one place reads decide which recorded units count
in a unit. Pure: no I/O."""

from __future__ import annotations

from datetime import date

from shared.hierarchy import Hierarchy
from shared.orgunits import OrgTree


class Grouping(OrgTree):
    """The tree valid on `day`, where each unit stands for itself, what lies below it that day, and every
    former unit that became one of those (merged, split or dissolved away: Hierarchy.successor). Events keep
    the unit they were recorded with; only this grouping moves them. An OrgTree, so every read built on one
    (summaries, reports, exports, scope checks) groups the same way."""

    def __init__(self, hierarchy: Hierarchy, day: date) -> None:
        super().__init__(list(hierarchy.tree_at(day)))
        self.day = day
        self.hierarchy = hierarchy
        self._resolved = {code: hierarchy.successor(code, day) for code in hierarchy.all_codes()}
        members: dict[str, set[str]] = {unit.code: set() for unit in self}
        for code, into in self._resolved.items():
            if into is not None:
                for above in OrgTree.ancestors(self, into):
                    members[above].add(code)
        self._members = {code: frozenset(found) for code, found in members.items()}
        self._covers: dict[str, dict[str, int]] = {}

    def descendants(self, code: str) -> frozenset[str]:
        """Every recorded unit whose history counts in `code` on this day (itself included)."""
        return self._members.get(code, frozenset())

    def ancestors(self, code: str) -> list[str]:
        """A recorded unit, then the unit it became on this day and that unit's parents up to the root."""
        into = self._resolved.get(code, code if code in self else None)
        if into is None:
            return [code]
        chain = OrgTree.ancestors(self, into)
        return chain if into == code else [code, *chain]

    def cover(self, code: str) -> dict[str, int]:
        """The stored units whose figures, each times its weight, add up to `code`'s: the read model rolls every
        contribution up the first version of the tree (services/reporting/sums.py), so a unit whose members
        are a whole subtree of that version reads its one row; only what changed reads more. A unit that keeps
        its own contributions but not all of its first children is its row less theirs (weight -1)."""
        found = self._covers.get(code)
        if found is not None:
            return found
        members, first = self.descendants(code), self.hierarchy.first
        # only the first version's units above a member can hold part of it: the walk skips the others
        above = {unit for member in members if member in first for unit in first.ancestors(member)}
        weights: dict[str, int] = {}

        def add(unit: str, weight: int) -> None:
            weights[unit] = weights.get(unit, 0) + weight

        def visit(unit: str) -> None:
            below = first.descendants(unit)
            if below <= members:
                add(unit, 1)
            elif not below.isdisjoint(members):
                children = first.children(unit)
                if unit in members:  # its own contributions: its row less its children's
                    add(unit, 1)
                    for child in children:
                        add(child.code, -1)
                for child in children:
                    if child.code in above:
                        visit(child.code)

        for root in first:
            if root.parent is None and root.code in above:
                visit(root.code)
        for member in members:
            if member not in first:
                add(member, 1)  # units created later: stored at themselves only
        found = self._covers[code] = {unit: weight for unit, weight in weights.items() if weight}
        return found


def grouping(hierarchy: Hierarchy, day: date) -> Grouping:
    """The grouping of the version holding on `day`, built once per version of a hierarchy."""
    version = hierarchy.version(day)
    cached = hierarchy.groupings.get(version)
    if cached is None:
        cached = hierarchy.groupings[version] = Grouping(hierarchy, hierarchy.version_day(version))
    return cached
