"""The summary of a unit as of a date and its period reports, shaped for the API."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection

from services.reporting.domain import COUNT_PREFIX, SECTOR_SELECTED, SECTOR_SUCCESSFUL, SOURCE_PREFIX
from services.reporting.figures import PerUnit, figures_of, grouped_metrics, known_metrics, reported_units
from services.reporting.periods import Period
from services.reporting.store import ReadModel
from services.reporting.targets import Targets
from shared.orgunits import OrgTree

TOTALS = ("registered", "selected", "rejected", "trained", "funded", "supported", "evaluated", "successful",
          "commended", "replications", "funding_vnd", "jobs_created")


def shape(metrics: dict[str, int]) -> dict[str, Any]:
    """Raw metric sums as the summary's totals, funding_by_source and by_sector."""
    totals = {name: int(metrics.get(name, 0)) for name in TOTALS}
    by_source = {k[len(SOURCE_PREFIX):]: v for k, v in sorted(metrics.items()) if k.startswith(SOURCE_PREFIX) and v}
    sectors: dict[str, dict[str, int]] = {}
    for key, value in sorted(metrics.items()):
        for prefix, field in ((SECTOR_SELECTED, "selected"), (SECTOR_SUCCESSFUL, "successful")):
            if key.startswith(prefix) and value:
                sectors.setdefault(key[len(prefix):], {"selected": 0, "successful": 0})[field] = value
    return {"totals": totals, "funding_by_source": by_source, "by_sector": sectors}


def summary_from(tree: OrgTree, targets: Targets, code: str, as_of: date, per_unit: PerUnit) -> dict[str, Any]:
    unit = tree.get(code)
    assert unit is not None
    own = shape(figures_of(per_unit, code))
    children = []
    for child in tree.children(code):
        figures = shape(figures_of(per_unit, child.code))
        children.append({
            "org_unit": {"code": child.code, "name": child.name, "level": child.level},
            "totals": figures["totals"], "funding_by_source": figures["funding_by_source"],
            "by_sector": figures["by_sector"],
            "target": targets.status(tree, child.code, as_of, figures["totals"]["successful"]),
        })
    return {
        "org_unit": {"code": unit.code, "name": unit.name, "level": unit.level},
        "as_of": as_of.isoformat(),
        **own,
        "target": targets.status(tree, code, as_of, own["totals"]["successful"]),
        "children": children,
    }


def summary(conn: Connection, model: ReadModel, tree: OrgTree, targets: Targets, code: str, as_of: date,
            known_at: datetime | None = None) -> dict[str, Any]:
    if known_at is None:
        per_unit = grouped_metrics(conn, model, tree, reported_units(tree, code), [as_of])[as_of]
    else:
        per_unit = known_metrics(conn, model, tree, code, [as_of], known_at)[as_of]
    body = summary_from(tree, targets, code, as_of, per_unit)
    if known_at is not None:
        body["known_at"] = known_at.isoformat()
    return body


def activity(before: dict[str, int], after: dict[str, int]) -> dict[str, Any]:
    """What happened between two cumulative states."""

    def d(metric: str) -> int:
        return int(after.get(metric, 0)) - int(before.get(metric, 0))

    by_source = {k[len(SOURCE_PREFIX):]: d(k) for k in sorted(set(before) | set(after))
                 if k.startswith(SOURCE_PREFIX) and d(k)}
    return {
        "registrations": d("registered"), "selections": d("selected"), "rejections": d("rejected"),
        "trainings": d(COUNT_PREFIX + "participant.trained"), "participants_trained": d("trained"),
        "fundings": d(COUNT_PREFIX + "participant.funded"), "participants_funded": d("funded"),
        "funding_vnd": d("funding_vnd"), "funding_by_source": by_source,
        "supports": d(COUNT_PREFIX + "participant.supported"),
        "evaluations": d(COUNT_PREFIX + "participant.evaluated"), "successful_change": d("successful"),
        "commendations": d(COUNT_PREFIX + "participant.commended"), "replications": d("replications"),
        "jobs_created_change": d("jobs_created"),
    }


def period_figures(code: str, period: Period, at: dict[date, PerUnit]) -> dict[str, Any]:
    before = figures_of(at[period.start - timedelta(days=1)], code)
    after = figures_of(at[period.end], code)
    return {"in_period": activity(before, after), "cumulative": shape(after)["totals"]}


def period_report(conn: Connection, model: ReadModel, tree: OrgTree, targets: Targets, code: str, period: Period,
                  known_at: datetime | None = None) -> dict[str, Any]:
    days = report_days(period)
    units = reported_units(tree, code)
    if known_at is None:
        at = grouped_metrics(conn, model, tree, units, days)
    else:
        at = known_metrics(conn, model, tree, code, days, known_at)
    body = report_from(tree, targets, code, period, at)
    current = {"in_period": body["in_period"], "cumulative": body["cumulative"]}
    if known_at is not None:
        restated_figures = period_figures(code, period, grouped_metrics(conn, model, tree, units, days))
        differences = _differences(current, restated_figures)
        body.update({"known_at": known_at.isoformat(), "restated": bool(differences),
                     "differences": differences})
    return body


def report_days(period: Period) -> list[date]:
    """The days whose figures a period report reads: the ends of the period, of the one before it and of the
    same period last year."""
    previous, last_year = period.previous(), period.last_year()
    return sorted({previous.start - timedelta(days=1), period.start - timedelta(days=1), period.end,
                   last_year.start - timedelta(days=1), last_year.end})


def report_from(tree: OrgTree, targets: Targets, code: str, period: Period, at: dict[date, PerUnit]
                ) -> dict[str, Any]:
    """A period report from the figures at its days (`report_days`), however they were summed."""
    unit = tree.get(code)
    assert unit is not None
    previous, last_year = period.previous(), period.last_year()
    current = period_figures(code, period, at)
    return {
        "org_unit": {"code": unit.code, "name": unit.name, "level": unit.level},
        "period": period.as_dict(),
        **current,
        "target": targets.status(tree, code, period.end, current["cumulative"]["successful"]),
        "previous": {"period": previous.as_dict(), **period_figures(code, previous, at)},
        "same_period_last_year": {"period": last_year.as_dict(), **period_figures(code, last_year, at)},
        "children": [_child(tree, targets, c.code, c.name, c.level, period, at) for c in tree.children(code)],
    }


def _child(tree: OrgTree, targets: Targets, code: str, name: str, level: str, period: Period,
           at: dict[date, PerUnit]) -> dict[str, Any]:
    figures = period_figures(code, period, at)
    return {"org_unit": {"code": code, "name": name, "level": level}, **figures,
            "target": targets.status(tree, code, period.end, figures["cumulative"]["successful"])}


def _differences(then: dict[str, Any], now: dict[str, Any], path: str = "") -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for key in sorted(set(then) | set(now)):
        a, b = then.get(key, 0), now.get(key, 0)
        name = f"{path}.{key}" if path else key
        if isinstance(a, dict) or isinstance(b, dict):
            out.extend(_differences(a if isinstance(a, dict) else {}, b if isinstance(b, dict) else {}, name))
        elif a != b:
            out.append({"figure": name, "reported": a, "now": b})
    return out
