"""Read-side queries: summaries as of a date, built from the daily sums."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Connection, func, select

from services.reporting.domain import add_metrics, figures_by_unit, shape
from services.reporting.store import daily
from services.reporting.targets import Targets
from shared.orgunits import OrgTree


def unit_metrics(conn: Connection, units: frozenset[str], as_of: date) -> dict[str, dict[str, int]]:
    rows = conn.execute(
        select(daily.c.org_unit, daily.c.metric, func.sum(daily.c.amount))
        .where(daily.c.day <= as_of, daily.c.org_unit.in_(sorted(units)))
        .group_by(daily.c.org_unit, daily.c.metric)).all()
    return figures_by_unit([(r[0], r[1], r[2]) for r in rows])


def rolled_up(tree: OrgTree, per_unit: dict[str, dict[str, int]], code: str) -> dict[str, int]:
    total: dict[str, int] = {}
    for unit in tree.descendants(code):
        if unit in per_unit:
            add_metrics(total, per_unit[unit])
    return total


def summary(conn: Connection, tree: OrgTree, targets: Targets, code: str, as_of: date) -> dict[str, Any]:
    unit = tree.get(code)
    assert unit is not None
    per_unit = unit_metrics(conn, tree.descendants(code), as_of)
    return summary_from(tree, targets, code, as_of, per_unit)


def summary_from(tree: OrgTree, targets: Targets, code: str, as_of: date,
                 per_unit: dict[str, dict[str, int]]) -> dict[str, Any]:
    unit = tree.get(code)
    assert unit is not None
    own = shape(rolled_up(tree, per_unit, code))
    children = []
    for child in tree.children(code):
        child_figures = shape(rolled_up(tree, per_unit, child.code))
        children.append({
            "org_unit": {"code": child.code, "name": child.name, "level": child.level},
            "totals": child_figures["totals"],
            "funding_by_source": child_figures["funding_by_source"],
            "target": {"successful_models": targets.target(tree, child.code, as_of),
                       "achieved": child_figures["totals"]["successful"]},
        })
    return {
        "org_unit": {"code": unit.code, "name": unit.name, "level": unit.level},
        "as_of": as_of.isoformat(),
        **own,
        "target": {"successful_models": targets.target(tree, code, as_of), "achieved": own["totals"]["successful"]},
        "children": children,
    }
