"""The hierarchy's domain without I/O: versions, successors, the grouping of history and its cover of the
stored rows, the rules a change request must meet."""

from __future__ import annotations

from datetime import date

from shared.grouping import grouping
from shared.hierarchy import ChangeRequest, Hierarchy
from shared.orgunits import OrgTree

FIRST = OrgTree.from_nested([{"code": "P", "name": "Tỉnh", "level": "province", "children": [
    {"code": "D1", "name": "Huyện 1", "level": "district", "children": [
        {"code": "A", "name": "A", "level": "commune"}, {"code": "B", "name": "B", "level": "commune"}]},
    {"code": "D2", "name": "Huyện 2", "level": "district", "children": [
        {"code": "C", "name": "C", "level": "commune"}, {"code": "D", "name": "D", "level": "commune"}]}]}])
START, REFORM, LATER = date(2017, 1, 1), date(2025, 7, 1), date(2026, 1, 1)
CHANGES = ChangeRequest(REFORM, "NQ", (
    {"kind": "dissolve", "code": "D1"},
    {"kind": "create", "code": "N1", "name": "Xã mới 1", "level": "commune", "parent": "P"},
    {"kind": "create", "code": "N2", "name": "Xã mới 2", "level": "commune", "parent": "P"},
    {"kind": "merge", "from": ["A", "B"], "into": "N1"},
    {"kind": "split", "code": "C", "into": ["N1", "N2"], "default_successor": "N2"},
    {"kind": "move", "code": "D", "parent": "P"},
    {"kind": "rename", "code": "D2", "name": "Huyện Hai"},
))


def test_versions_successors_and_grouping() -> None:
    h = Hierarchy(FIRST, START, [CHANGES])
    assert h.errors == []
    assert h.children_at("P", date(2018, 1, 1)) == ["D1", "D2"]
    assert h.children_at("P", LATER) == ["D2", "D", "N1", "N2"]
    assert h.parent_at("D", date(2025, 6, 30)) == "D2" and h.parent_at("D", REFORM) == "P"
    assert h.unit_at("D2", LATER).name == "Huyện Hai" and h.unit_at("D2", START).name == "Huyện 2"  # type: ignore
    assert h.unit_at("A", LATER) is None and h.unit_at("A", date(2025, 6, 30)).valid_to == date(2025, 6, 30)  # type: ignore
    assert [h.successor(c, LATER) for c in ("A", "B", "C", "D", "D1", "N1")] == ["N1", "N1", "N2", "D", "P", "N1"]
    assert h.successor("N1", date(2018, 1, 1)) is None and h.current_unit_of("C", LATER) == "N2"
    assert h.descendants_at("D2", date(2018, 1, 1)) == {"D2", "C", "D"}
    now, then = grouping(h, LATER), grouping(h, date(2018, 1, 1))
    assert now.descendants("N1") == {"N1", "A", "B"} and now.descendants("N2") == {"N2", "C"}
    assert now.descendants("D2") == {"D2"} and "D1" not in now and "N1" not in then
    assert now.ancestors("A") == ["A", "N1", "P"] and now.ancestors("N1") == ["N1", "P"]
    # stored rows are rolled up the first version: a unit reads its own row where nothing changed below it
    assert then.cover("D1") == {"D1": 1} and then.cover("P") == {"P": 1}
    assert now.cover("P") == {"P": 1, "N1": 1, "N2": 1} and now.cover("N1") == {"A": 1, "B": 1, "N1": 1}
    assert now.cover("D2") == {"D2": 1, "C": -1, "D": -1}  # its own contributions: its row less its children's
    assert grouping(h, LATER) is now  # built once per version


def test_rules_of_a_change_request() -> None:
    def errors(*changes: dict[str, object], day: date = REFORM) -> list[tuple[int | None, str]]:
        return [(e.index, e.en) for e in Hierarchy(FIRST, START, [CHANGES, ChangeRequest(day, "x", changes)]).errors]

    later = date(2025, 8, 1)
    assert "Unknown org unit Z" in errors({"kind": "rename", "code": "Z", "name": "n"}, day=later)[0][1]
    assert "no longer exists" in errors({"kind": "merge", "from": ["D"], "into": "D1"}, day=later)[0][1]
    assert "still has 4 units" in errors({"kind": "dissolve", "code": "P"}, day=later)[0][1]
    assert "exists only from 2025-07-01" in errors({"kind": "rename", "code": "N1", "name": "n"},
                                                   day=date(2020, 1, 1))[0][1]
    assert "taken" in errors({"kind": "create", "code": "A", "name": "n", "level": "commune"}, day=later)[0][1]
    assert "below the unit itself" in errors({"kind": "move", "code": "P", "parent": "N1"}, day=later)[0][1]
    assert errors({"kind": "split", "code": "D", "into": ["N1", "N2"], "default_successor": "X"},
                  {"kind": "explode"}, day=later) == [
        (0, "Split: default_successor must be one of into."),
        (1, "Unknown kind of change; one of: create, merge, split, move, rename, dissolve.")]
    # an earlier change that breaks a later one: the later one is named (the caller refuses the earlier)
    assert "Org unit A no longer exists since 2020-01-01 (merged, split or dissolved)." in [
        message for _, message in errors({"kind": "dissolve", "code": "A"}, day=date(2020, 1, 1))]
    assert errors({"kind": "rename", "code": "P", "name": "x"}, day=date(2016, 1, 1))[0][0] is None


def test_the_demo_reform_applies_to_the_demo_hierarchy() -> None:
    """The illustrative 2025 reform the demo posts: every old commune ends in a new one under the province."""
    from shared.config import DEFAULT_ORG_UNITS
    from shared.orgunits import load
    from tienphong.org_units import DEMO_REFORM, read_requests

    first = load(DEFAULT_ORG_UNITS)
    h = Hierarchy(first, START, [ChangeRequest.from_data(r) for r in read_requests(DEMO_REFORM)])
    assert h.errors == []
    after = grouping(h, LATER)
    assert [u.parent for u in after if u.code != "TH"] == ["TH"] * 9 and after.children("TH")
    assert after.descendants("TH") == set(first.descendants("TH")) | {u.code for u in after}
    assert h.successor("TS-HOPTHANH", LATER) == "TH-XHOPTIEN" and h.successor("TX", LATER) == "TH"
