"""Following the plan over real Kafka: targets set and changed with history, alerts against a hand-built history,
figure definitions."""

from __future__ import annotations

from typing import Any

from tests.support.system import System, registration_body


class History:
    """Posts a hand-built history through the write APIs."""

    def __init__(self, system: System) -> None:
        self.system = system
        self.union, self.bank = system.key("union", "TX"), system.key("bank", "TH")

    def person(self, name: str, unit: str, phone: str, selected_on: str | None = "2017-06-30") -> str:
        s = self.system
        reply = s.registration.post("/api/v1/participants", headers=self.union, json=registration_body(
            full_name=name, org_unit=unit, phone=phone, registered_on="2017-06-10"))
        assert reply.status_code == 201, reply.json
        pid = str(reply.json["participant_id"])
        if selected_on:
            self.post("registration", pid, "decisions", decision="selected", sector="livestock", decided_on=selected_on)
        return pid

    def post(self, service: str, pid: str, what: str, **body: Any) -> None:
        client = self.system.registration if service == "registration" else self.system.support
        key = self.bank if what == "fundings" else self.union
        reply = client.post(f"/api/v1/participants/{pid}/{what}", headers=key, json=body)
        assert reply.status_code == 201, (what, reply.json)

    def train(self, pid: str, day: str) -> None:
        self.post("support", pid, "trainings", trained_on=day, course="Khởi nghiệp", kind="course")

    def fund(self, pid: str, day: str, amount: int) -> None:
        self.post("support", pid, "fundings", disbursed_on=day, source="vbsp", amount_vnd=amount)

    def evaluate(self, pid: str, day: str, status: str) -> None:
        self.post("registration", pid, "evaluations", evaluated_on=day, status=status, jobs_created=2)


def build(system: System) -> dict[str, str]:
    h = History(system)
    people = {"done": h.person("Lê Văn An", "TX-XUANHOA", "0912000001"),
              "idle": h.person("Trịnh Thị Bình", "TX-THOLAP", "0912000002"),
              "stale": h.person("Hoàng Văn Cường", "TX-XUANHOA", "0912000003"),
              "recent": h.person("Mai Thu Trang", "TX-THOLAP", "0912000004", selected_on="2018-05-02")}
    system.sync()  # support knows them
    h.train(people["done"], "2017-07-15")
    h.fund(people["done"], "2017-08-01", 30_000_000)
    h.evaluate(people["done"], "2018-05-01", "successful")
    h.train(people["stale"], "2017-07-10")
    h.fund(people["stale"], "2017-09-01", 50_000_000)
    h.evaluate(people["stale"], "2017-10-01", "on_track")
    h.fund(people["recent"], "2018-06-01", 20_000_000)
    system.sync()
    return people


def test_targets_with_history_alerts_and_definitions(system: System) -> None:
    people = build(system)
    viewer, admin = system.key("viewer", "TX"), system.key("admin", "TH")
    get = system.reporting.get

    # definitions say which figures are cumulative and which within the period
    definitions = get("/api/v1/definitions", headers=viewer).json
    assert {d["key"]: d["scope"] for d in definitions["cumulative"]}["selected"] == "cumulative"
    assert {d["key"]: d["scope"] for d in definitions["in_period"]}["selections"] == "in_period"
    assert all(d["definition"]["vi"] and d["definition"]["en"] for d in definitions["in_period"])

    # targets: the default of 10 per district; a commune has none until an admin sets one
    summary = get("/api/v1/summary/TX?as_of=2018-06-30", headers=viewer).json
    assert summary["target"]["successful_models"] == 10 and summary["target"]["achieved"] == 1
    assert summary["target"]["status"] == "not_reached" and summary["target"]["missing"] == 9
    assert summary["target"]["expected_by_as_of"] == 10 * 545 // 729  # 2017-01-01 .. 2018-12-31
    assert summary["target"]["status_text"]["vi"] == "chưa đạt"
    xuanhoa = next(c for c in summary["children"] if c["org_unit"]["code"] == "TX-XUANHOA")
    assert xuanhoa["target"]["status"] == "no_target"

    target = {"successful_models": 2, "effective_on": "2017-06-01", "start_on": "2017-06-01", "due_on": "2018-06-30"}
    refused = system.reporting.post("/api/v1/targets/TX-XUANHOA", headers=viewer, json=target)
    assert refused.status_code == 403 and refused.json["error"]["code"] == "forbidden"
    for bad in ({**target, "successful_models": -1}, {**target, "due_on": "2017-01-01"}, {**target, "x": 1},
                {**target, "successful_models": "2"}):
        reply = system.reporting.post("/api/v1/targets/TX-XUANHOA", headers=admin, json=bad)
        assert reply.status_code == 422 and reply.json["error"]["fields"], (bad, reply.json)
    assert system.reporting.post("/api/v1/targets/NOPE", headers=admin, json=target).status_code == 404
    assert system.reporting.post("/api/v1/targets/TX-XUANHOA", headers=admin, data="{").status_code in (400, 415)
    first = system.reporting.post("/api/v1/targets/TX-XUANHOA", headers=admin, json=target)
    assert first.status_code == 201, first.json
    first_half = get("/api/v1/reports/TX?period=2018-H1", headers=viewer).json
    set_then = first.json["set_at"]
    # changed from July on: the first half's report keeps the old target, the second half's has the new one
    changed = system.reporting.post("/api/v1/targets/TX-XUANHOA", headers=admin, json={
        "successful_models": 5, "effective_on": "2018-07-01", "start_on": "2018-07-01", "due_on": "2018-12-31"})
    assert changed.status_code == 201
    again = get("/api/v1/reports/TX?period=2018-H1", headers=viewer).json
    assert again == first_half
    child = next(c for c in again["children"] if c["org_unit"]["code"] == "TX-XUANHOA")
    assert child["target"]["successful_models"] == 2 and child["target"]["status"] == "not_reached"
    assert child["target"]["missing"] == 1 and child["target"]["source"] == "set"
    later = get("/api/v1/reports/TX?period=2018-H2", headers=viewer).json
    child = next(c for c in later["children"] if c["org_unit"]["code"] == "TX-XUANHOA")
    assert child["target"]["successful_models"] == 5 and child["target"]["missing"] == 4
    # as known before any target was set: none
    before = get("/api/v1/reports/TX?period=2018-H1&known_at=2018-01-01T00:00:00Z", headers=viewer).json
    child = next(c for c in before["children"] if c["org_unit"]["code"] == "TX-XUANHOA")
    assert child["target"]["status"] == "no_target"
    known = get(f"/api/v1/reports/TX?period=2018-H2&known_at={set_then.replace('+00:00', 'Z')}", headers=viewer).json
    assert next(c for c in known["children"] if c["org_unit"]["code"] == "TX-XUANHOA")["target"][
        "successful_models"] == 2
    listed = get("/api/v1/targets/TX?as_of=2018-09-30", headers=viewer).json
    xuanhoa = next(u for u in listed["units"] if u["org_unit"]["code"] == "TX-XUANHOA")
    assert xuanhoa["successful_models"] == 5 and [r["successful_models"] for r in xuanhoa["history"]] == [2, 5]

    # alerts against the hand-built history
    reply = get("/api/v1/alerts/TX?as_of=2018-06-30", headers=viewer)
    assert reply.status_code == 200, reply.json
    body = reply.json
    by_kind: dict[str, list[dict[str, Any]]] = {}
    for alert in body["alerts"]:
        by_kind.setdefault(alert["kind"], []).append(alert)
    assert sorted(a["org_unit"]["code"] for a in by_kind["behind_target"]) == ["TX", "TX-XUANHOA"]
    assert "chậm" in by_kind["behind_target"][0]["reason"]["vi"]
    idle = by_kind["selected_idle"]
    assert [a["participant"]["id"] for a in idle] == [people["idle"]]
    assert idle[0]["missing"] == ["training", "funding"] and "Trịnh Thị Bình" in idle[0]["reason"]["vi"]
    assert idle[0]["links"]["timeline"] == f"/api/v1/participants/{people['idle']}/timeline"
    stale = by_kind["funded_unevaluated"]
    assert [a["participant"]["id"] for a in stale] == [people["stale"]]
    assert stale[0]["last_evaluated_on"] == "2017-10-01"
    assert body["counts"] == {"behind_target": 2, "selected_idle": 1, "funded_unevaluated": 1}
    # later, the recent one is idle too (not trained), and the one evaluated in May is still fine
    later_alerts = get("/api/v1/alerts/TX?as_of=2018-09-30", headers=viewer).json
    idle_later = {a["participant"]["id"] for a in later_alerts["alerts"] if a["kind"] == "selected_idle"}
    assert idle_later == {people["idle"], people["recent"]}
    assert get("/api/v1/alerts/TS", headers=viewer).status_code == 403
    assert get("/api/v1/alerts/TX?as_of=2018-13-01", headers=viewer).status_code == 422
