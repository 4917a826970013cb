"""What the effective-dated hierarchy costs a process: building it from the first version and a province-wide
reform, the grouping of a date (every unit's members), every unit's cover of the stored rows, and a successor
look-up. A province shaped like Thanh Hóa before 2025 (27 districts, 559 communes) merged into 166 communes
directly under the province, one split per ten new communes, every district dissolved. Prints the figures;
asserts nothing. Pure Python, no database (the services rebuild this only when a change arrives).

    .venv/bin/python bench/hierarchy.py [--districts 27] [--communes 559] [--new 166] [--repeat 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from shared.grouping import Grouping  # noqa: E402
from shared.hierarchy import ChangeRequest, Hierarchy  # noqa: E402
from shared.orgunits import OrgTree  # noqa: E402

START, REFORM, LATER = date(2017, 1, 1), date(2025, 7, 1), date(2026, 1, 1)


def province(districts: int, communes: int) -> OrgTree:
    return OrgTree.from_nested([{"code": "P", "name": "Tỉnh", "level": "province", "children": [
        {"code": f"D{d}", "name": f"Huyện {d}", "level": "district", "children": [
            {"code": f"D{d}-C{c}", "name": f"Xã {c}", "level": "commune"}
            for c in range(communes) if c % districts == d]} for d in range(districts)]}])


def reform(first: OrgTree, new: int) -> ChangeRequest:
    old = [u.code for u in first if u.level == "commune"]
    changes: list[dict[str, object]] = [
        {"kind": "create", "code": f"N{n}", "name": f"Xã mới {n}", "level": "commune", "parent": "P"}
        for n in range(new)]
    groups: list[list[str]] = [old[n::new] for n in range(new)]
    for n, group in enumerate(groups):
        if n % 10 == 0 and len(group) > 1:  # one split per ten: its first commune split with the next new one
            changes.append({"kind": "split", "code": group[0], "into": [f"N{n}", f"N{(n + 1) % new}"],
                            "default_successor": f"N{n}"})
            group = group[1:]
        changes.append({"kind": "merge", "from": group, "into": f"N{n}"})
    changes.extend({"kind": "dissolve", "code": u.code} for u in first if u.level == "district")
    return ChangeRequest(REFORM, "bench", tuple(changes))


def timed(work, repeat: int) -> float:  # type: ignore[no-untyped-def]
    runs = []
    for _ in range(repeat):
        started = time.perf_counter()
        work()
        runs.append(time.perf_counter() - started)
    return statistics.median(runs) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--districts", type=int, default=27)
    parser.add_argument("--communes", type=int, default=559)
    parser.add_argument("--new", type=int, default=166)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    first = province(args.districts, args.communes)
    request = reform(first, args.new)
    built = Hierarchy(first, START, [request])
    assert not built.errors, built.errors[:3]
    units = [u.code for u in built.tree_at(LATER)]
    print(f"{len(list(first))} units before, {len(units)} after; {len(request.changes)} changes in one request")
    build = timed(lambda: Hierarchy(first, START, [request]), args.repeat)
    print(f"build the hierarchy (first version + the reform): {build:.1f} ms")
    print(f"grouping of a date after the reform: {timed(lambda: Grouping(built, LATER), args.repeat):.1f} ms")
    print(f"grouping of a date before it: {timed(lambda: Grouping(built, date(2018, 1, 1)), args.repeat):.1f} ms")
    def all_covers() -> None:
        grouped = Grouping(built, LATER)
        for code in units:
            grouped.cover(code)

    covers = timed(all_covers, args.repeat)
    print(f"every unit's cover after the reform: {covers:.1f} ms (grouping included)")
    grouped = Grouping(built, LATER)
    rows = sum(len(grouped.cover(c)) for c in ["P", *(u.code for u in grouped.children("P"))])
    print(f"stored rows a province summary reads after the reform: {rows} (before: {1 + args.districts})")
    old = [u.code for u in first if u.level == "commune"]
    per = timed(lambda: [built.successor(c, LATER) for c in old], args.repeat) / len(old) * 1000
    print(f"successor of an old commune: {per:.1f} µs")


if __name__ == "__main__":
    main()
