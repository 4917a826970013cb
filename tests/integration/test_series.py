"""GET /api/v1/series: a unit's totals at every month end in one request, equal to the summaries at those
dates; its default range, validation, scope. GET /api/v1/dashboard: a page view's figures in one answer, equal
to the summary's and the reports', filtered by sector, source or status. A dashboard session's own request
budget."""

from __future__ import annotations

import calendar
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tests.integration.test_reporting import fund, selected_participant
from tests.support.system import System, settings


def month_end(month: str) -> str:
    year, number = int(month[:4]), int(month[5:])
    return f"{month}-{calendar.monthrange(year, number)[1]:02d}"


def test_series_equals_summaries_at_month_ends(system: System) -> None:
    union, bank, viewer = system.key("union", "TX"), system.key("bank", "TH"), system.key("viewer", "TX")
    first = selected_participant(system, union)  # registered 2017-06-10, selected 2017-06-30
    second = selected_participant(system, union, full_name="Trịnh Thị Bình", org_unit="TX-THOLAP",
                                  registered_on="2017-06-20")
    system.sync()
    fund(system, bank, first, "2017-08-15", 20_000_000)  # the middle of a month: its first half's last day
    wrong = fund(system, bank, second, "2017-08-16", 5_000_000)
    fund(system, bank, second, "2017-10-31", 30_000_000)
    reply = system.registration.post(f"/api/v1/participants/{first}/evaluations", headers=union,
                                     json={"evaluated_on": "2017-12-01", "status": "successful", "jobs_created": 3})
    assert reply.status_code == 201, reply.json
    system.sync()
    time.sleep(0.01)
    known_at = datetime.now(UTC).isoformat()  # the August figures as first reported
    time.sleep(0.01)
    assert system.support.post(f"/api/v1/events/{wrong}/retraction", headers=bank,
                               json={"reason": "nhập sai"}).status_code == 201
    system.sync()

    # default: the unit's active range, from its first month with an event to its latest
    reply = system.reporting.get("/api/v1/series/TX", headers=viewer)
    assert reply.status_code == 200, reply.json
    body = reply.json
    assert body["org_unit"] == {"code": "TX", "name": "Thọ Xuân", "level": "district"}
    months = [p["month"] for p in body["points"]]
    assert months == ["2017-06", "2017-07", "2017-08", "2017-09", "2017-10", "2017-11", "2017-12"]
    assert (body["from"], body["to"]) == ("2017-06", "2017-12")
    assert body["active"] == {"first": "2017-06-10", "last": "2017-12-01"}
    # a longer range, before any event and after the last, and a commune's: each point is the summary then
    for code, query in (("TX", "from=2017-04&to=2018-02"), ("TX-THOLAP", "from=2017-05&to=2017-11"), ("TH", "")):
        points = system.reporting.get(f"/api/v1/series/{code}?{query}", headers=system.key("viewer", "TH")).json
        assert points["points"], code
        for point in points["points"]:
            summary = system.reporting.get(f"/api/v1/summary/{code}?as_of={month_end(point['month'])}",
                                           headers=viewer if code != "TH" else system.key("viewer", "TH")).json
            assert point["totals"] == summary["totals"], (code, point["month"])
    by_month = {p["month"]: p["totals"] for p in body["points"]}
    assert by_month["2017-08"]["funding_vnd"] == 20_000_000  # the retracted funding counts nowhere
    assert by_month["2017-10"]["funding_vnd"] == 50_000_000
    assert by_month["2017-11"]["successful"] == 0 and by_month["2017-12"]["successful"] == 1
    # a commune without events: the current month alone, all zeros
    quiet = system.reporting.get("/api/v1/series/TX-XUANLAI", headers=viewer).json
    assert len(quiet["points"]) == 1 and quiet["active"] is None
    assert set(quiet["points"][0]["totals"].values()) == {0}
    # only one end given: the other from the active range, never crossing it
    assert [p["month"] for p in system.reporting.get("/api/v1/series/TX?from=2017-11", headers=viewer)
            .json["points"]] == ["2017-11", "2017-12"]
    assert [p["month"] for p in system.reporting.get("/api/v1/series/TX?to=2017-05", headers=viewer)
            .json["points"]] == ["2017-05"]

    # the same errors as the other reads
    for query, field in (("from=2017-13", "from"), ("from=17-01", "from"), ("to=2017-1", "to"),
                         ("from=2018-01&to=2017-12", "to"), ("from=1800-01", "from"), ("from=1900-01&to=2999-12", "to"),
                         ("to=%D9%A1%D9%A1%D9%A1%D9%A1-01", "to")):
        reply = system.reporting.get(f"/api/v1/series/TX?{query}", headers=viewer)
        assert reply.status_code == 422 and field in reply.json["error"]["fields"], (query, reply.json)
    assert system.reporting.get("/api/v1/series/TH", headers=viewer).status_code == 403
    assert system.reporting.get("/api/v1/series/NOWHERE", headers=viewer).status_code == 404
    assert system.reporting.get("/api/v1/series/TX").status_code == 401
    check_page_view(system, viewer, known_at)

    spec = system.reporting.get("/api/v1/openapi.json").json
    documented = spec["paths"]["/api/v1/series/{org_code}"]["get"]
    assert {p["name"] for p in documented["parameters"]} >= {"from", "to"}
    schema = documented["responses"]["200"]["content"]["application/json"]["schema"]
    assert schema["required"] == ["active", "from", "org_unit", "points", "to"]


def check_page_view(system: System, viewer: dict[str, str], known_at: str) -> None:
    def get(path: str) -> Any:
        reply = system.reporting.get(path, headers=viewer)
        assert reply.status_code == 200, reply.json
        return reply.json

    def plain(summary: dict[str, Any]) -> dict[str, Any]:
        """The contract's target fields only (the page view adds the status and the path)."""
        def goal(target: dict[str, Any]) -> dict[str, Any]:
            return {k: target[k] for k in ("successful_models", "achieved")}
        return {k: v for k, v in summary.items() if k != "hierarchy"} | {"target": goal(summary["target"]),
                          "children": [c | {"target": goal(c["target"])} for c in summary["children"]]}

    view = get("/api/v1/dashboard/TX?as_of=2018-06-30&period=2017-08")
    assert plain(view["summary"]) == plain(get("/api/v1/summary/TX?as_of=2018-06-30"))

    def without_loans(report: dict[str, Any]) -> dict[str, Any]:
        # the loans panel reads its own; the page view says which hierarchy once, for both
        return {key: value for key, value in report.items() if key not in ("loans", "hierarchy")}

    assert view["report"] == without_loans(get("/api/v1/reports/TX?period=2017-08"))
    assert view["report"]["same_period_last_year"]["period"]["code"] == "2016-08"
    assert view["hierarchy"] == "as_of"
    assert view["participants"] is None  # a district's page lists its communes, not its people
    # a district below its target of 10, half way along 2017-2018: how many are missing, how many the path expects
    target = view["summary"]["target"]
    assert (target["successful_models"], target["achieved"], target["status"], target["missing"]) == \
        (10, 1, "not_reached", 9)
    assert target["expected_by_as_of"] == 10 * 545 // 729 and target["due_on"] == "2018-12-31"
    children = {c["org_unit"]["code"]: c["target"] for c in view["summary"]["children"]}
    assert children["TX-XUANHOA"]["status"] == "no_target" and children["TX-XUANHOA"]["achieved"] == 1
    # the landing view: the latest month with an event by as_of; as known then, with what changed since
    landing = get(f"/api/v1/dashboard/TX?known_at={known_at}")
    assert landing["report"]["period"]["code"] == "2017-12"
    then = get(f"/api/v1/dashboard/TX?period=2017-08&known_at={known_at}")["report"]
    assert then["in_period"]["funding_vnd"] == 25_000_000 and then["restated"] is True
    assert {"figure": "in_period.funding_vnd", "reported": 25_000_000, "now": 20_000_000} in then["differences"]
    # a commune's page lists its people; filters keep the figures of the participants they keep
    commune = get("/api/v1/dashboard/TX-THOLAP?as_of=2017-12-31&period=2017-10")
    assert [(p["name"], p["status"], p["sources"], p["funding_vnd"]) for p in commune["participants"]] == \
        [("Trịnh Thị Bình", "selected", ["vbsp"], 30_000_000)]
    assert commune["summary"]["target"]["status"] == "no_target"
    for query, registered, funding in (("sector=livestock", 2, 50_000_000), ("status=successful", 1, 20_000_000),
                                       ("source=vbsp&status=selected", 1, 30_000_000), ("sector=crops", 0, 0)):
        filtered = get(f"/api/v1/dashboard/TX?as_of=2017-12-31&period=2017-12&{query}")
        assert filtered["summary"]["totals"]["registered"] == registered, query
        assert filtered["summary"]["totals"]["funding_vnd"] == funding, query
        assert filtered["report"]["cumulative"] == filtered["summary"]["totals"], query  # December 31: the same day
    everyone = get("/api/v1/dashboard/TX?as_of=2017-12-31&period=2017&sector=livestock")
    unfiltered = without_loans(get("/api/v1/reports/TX?period=2017"))
    for key in ("in_period", "cumulative", "previous", "children"):
        assert everyone["report"][key] == unfiltered[key], key  # every participant is in livestock
    for query, field in (("sector=fishing", "sector"), ("status=done", "status"), ("period=2017-13", "period"),
                         ("as_of=2017-02-30", "as_of")):
        reply = system.reporting.get(f"/api/v1/dashboard/TX?{query}", headers=viewer)
        assert reply.status_code == 422 and field in reply.json["error"]["fields"], (query, reply.json)
    assert system.reporting.get("/api/v1/dashboard/TH", headers=viewer).status_code == 403


def test_a_dashboard_session_has_a_budget_apart_from_keys(tmp_path: Path, bootstrap: str,
                                                          database_template: str | None) -> None:
    from tests.browser.test_pages import PASSWORD, sign_in

    # machines: 6 a minute (a burst of 1); people: the default
    running = System(settings(tmp_path, bootstrap, database_template, TIENPHONG_RATE_LIMIT_PER_MINUTE="6"))
    try:
        running.access.create_user("huyen-doan-tho-xuan", PASSWORD, "TX", "viewer")
        viewer = running.key("viewer", "TX")
        assert running.reporting.get("/api/v1/series/TX", headers=viewer).status_code == 200
        limited = running.reporting.get("/api/v1/series/TX", headers=viewer)
        assert limited.status_code == 429 and int(limited.headers["Retry-After"]) >= 1
        person = running.apps["reporting"].test_client()
        sign_in(person, "huyen-doan-tho-xuan")
        # ten page views of six requests each, at once
        statuses = {person.get("/api/v1/series/TX").status_code for _ in range(60)}
        assert statuses == {200}
    finally:
        running.close()
