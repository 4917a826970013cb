"""GET /api/v1/series: a unit's totals at every month end in one request, equal to the summaries at those
dates; its default range, validation, scope; a dashboard session's own request budget."""

from __future__ import annotations

import calendar
from pathlib import Path

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
    spec = system.reporting.get("/api/v1/openapi.json").json
    documented = spec["paths"]["/api/v1/series/{org_code}"]["get"]
    assert {p["name"] for p in documented["parameters"]} >= {"from", "to"}
    schema = documented["responses"]["200"]["content"]["application/json"]["schema"]
    assert schema["required"] == ["active", "from", "org_unit", "points", "to"]


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
