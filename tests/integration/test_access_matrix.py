"""Every cell of API.md's permission matrix, on the running services over HTTP: each kind x each event
type x inside / outside the key's scope, the scope-level conditions, funding sources, retractions, and
reads (any kind, within scope). One system serves the whole module: the cells only add events."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from werkzeug.test import TestResponse

from shared.config import DEFAULT_ORG_UNITS
from shared.orgunits import load
from tests.support.databases import backend, drop, fresh_template
from tests.support.system import System, registration_body, settings

KINDS = ("union", "bank", "business", "viewer", "admin")
EVENTS = ("registered", "selected", "rejected", "trained", "funded", "supported", "evaluated", "commended",
          "replicated", "retracted")
SOURCES = ("vbsp", "youth_union_120", "provincial_youth_credit", "commercial_bank", "enterprise", "other")

# API.md, "Who may post what", written out again here so that the test does not trust the code it checks.
MAY_POST: dict[str, set[str]] = {
    "registered": {"union"},
    "selected": {"union"},
    "rejected": {"union"},
    "trained": {"union"},
    "funded": {"bank", "union"},  # union: source youth_union_120 only (FUNDING_CELLS)
    "supported": {"business", "union"},
    "evaluated": {"union"},
    "commended": {"union"},
    "replicated": {"union"},
    "retracted": {"union", "bank", "business", "admin"},  # the posting agency, or admin (RETRACTION_CELLS)
}

DISTRICT = "TX"  # the keys of the main grid are scoped at a district
COMMUNE = {"inside": "TX-XUANHOA", "outside": "TS-DANLUC"}  # where the participants live
BRANCH = "TX-XUANHOA-DONG"  # below commune level (added to the hierarchy for this module)


def expected(kind: str, event: str, where: str) -> int | str:
    if kind not in MAY_POST[event]:
        return "forbidden"
    return 201 if where == "inside" else "out_of_scope"


GRID = [(kind, event, where) for kind in KINDS for event in EVENTS for where in ("inside", "outside")]

# The scope-level conditions for union keys: (key scope, event, where, expected).
LEVEL_CELLS = [
    ("TX-XUANHOA", "registered", "inside", 201),  # commune level
    ("TX-XUANHOA", "registered", "outside", "out_of_scope"),
    ("TH", "registered", "inside", 201),  # above commune
    (BRANCH, "registered", "inside", "forbidden"),  # below commune
    *[(scope, event, "inside", result)
      for event in ("selected", "rejected", "evaluated", "commended")
      for scope, result in (("TX-XUANHOA", "forbidden"), (BRANCH, "forbidden"), ("TH", 201))],
    ("TH", "selected", "outside", 201),  # a province reaches every district
    *[("TX-XUANHOA", event, "inside", 201) for event in ("trained", "funded", "supported", "replicated")],
]

FUNDING_CELLS = [(kind, source, 201 if kind == "bank" or (kind == "union" and source == "youth_union_120")
                  else "forbidden") for kind in KINDS for source in SOURCES]

# Retractions beyond the grid: (kind, whose event, service of the event, where, expected).
RETRACTION_CELLS = [
    ("union", "own", "support", "inside", 201),
    ("union", "own", "support", "outside", "out_of_scope"),
    ("admin", "other", "support", "inside", 201),
    ("admin", "other", "support", "outside", "out_of_scope"),
    *[(kind, "other", service, "inside", "forbidden")
      for kind in ("union", "bank", "business", "viewer") for service in ("registration", "support")],
]

READS = ("summary", "summary.csv", "report", "timeline", "participant", "participant list")


class World:
    """The running services, the participants the cells act on, and keys made on demand."""

    def __init__(self, system: System) -> None:
        self.system = system
        self._keys: dict[tuple[str, str, str], dict[str, str]] = {}
        self._names = itertools.count(1)
        self.selected = {where: self.register_and_select(COMMUNE[where], select=True) for where in COMMUNE}
        system.sync()

    def key(self, kind: str, scope: str, agency: str | None = None) -> dict[str, str]:
        agency = agency or f"{kind}@{scope}"
        if (kind, scope, agency) not in self._keys:
            self._keys[kind, scope, agency] = self.system.key(kind, scope, agency)
        return self._keys[kind, scope, agency]

    def register(self, org_unit: str, headers: dict[str, str] | None = None) -> TestResponse:
        # distinct people: the same name, birth date and commune twice would be a 409 duplicate
        return self.system.registration.post(
            "/api/v1/participants", headers=headers or self.key("union", "TH"),
            json=registration_body(full_name=f"Đoàn Viên Số {next(self._names)}", org_unit=org_unit))

    def register_and_select(self, org_unit: str, select: bool = False) -> str:
        reply = self.register(org_unit)
        assert reply.status_code == 201, reply.json
        participant_id: str = reply.json["participant_id"]
        if select:  # by the district union, as in the program
            district = org_unit.split("-")[0]
            decision = self.decide(participant_id, "selected", self.key("union", district))
            assert decision.status_code == 201, decision.json
        return participant_id

    def decide(self, participant_id: str, decision: str, headers: dict[str, str]) -> TestResponse:
        body: dict[str, Any] = {"decision": decision, "decided_on": "2017-07-01"}
        if decision == "selected":
            body["sector"] = "livestock"
        return self.system.registration.post(f"/api/v1/participants/{participant_id}/decisions",
                                             headers=headers, json=body)

    def post(self, event: str, headers: dict[str, str], where: str, source: str = "vbsp") -> TestResponse:
        """Post one event of `event`'s type about a participant inside or outside the district TX."""
        registration, support = self.system.registration, self.system.support
        if event == "registered":
            return self.register(COMMUNE[where], headers)
        if event in ("selected", "rejected"):
            return self.decide(self.register_and_select(COMMUNE[where]), event, headers)
        participant = f"/api/v1/participants/{self.selected[where]}"
        bodies: dict[str, tuple[Any, str, dict[str, Any]]] = {
            "trained": (support, "trainings", {"trained_on": "2017-07-20", "course": "Khởi nghiệp", "kind": "course"}),
            "funded": (support, "fundings", {"disbursed_on": "2017-09-01", "source": source,
                                             "amount_vnd": 50_000_000}),
            "supported": (support, "supports", {"supported_on": "2017-10-05", "kind": "mentoring"}),
            "evaluated": (registration, "evaluations", {"evaluated_on": "2018-06-30", "status": "on_track"}),
            "commended": (registration, "commendations", {"commended_on": "2018-12-20", "title": "Tiên phong"}),
            "replicated": (registration, "replications", {"replicated_on": "2018-03-01", "youth_name": "Lê Thị Hoa",
                                                          "org_unit": COMMUNE[where]}),
        }
        client, path, body = bodies[event]
        return client.post(f"{participant}/{path}", headers=headers, json=body)

    def retract(self, kind: str, whose: str, service: str, where: str) -> TestResponse:
        """A key of `kind` (scope TX) retracts an event on a participant `where`, posted by its own
        agency or by another one, recorded by `service`."""
        if service == "registration":
            poster, event = "union", "replicated"
        else:  # banks retract their fundings, the business association its supports
            poster, event = {"bank": ("bank", "funded"), "business": ("business", "supported")}.get(
                kind, ("union", "trained"))
        agency = f"agency-{kind}" if whose == "own" else "someone-else"
        posted = self.post(event, self.key(poster, "TH", agency), where)
        assert posted.status_code == 201, posted.json
        client = self.system.registration if service == "registration" else self.system.support
        retractor = self.key(kind, DISTRICT, f"agency-{kind}")
        return client.post(f"/api/v1/events/{posted.json['event_id']}/retraction", headers=retractor,
                           json={"reason": "ghi nhầm"})


def hierarchy_with_branch(directory: Path) -> Path:
    with open(DEFAULT_ORG_UNITS, encoding="utf-8") as handle:
        nodes = yaml.safe_load(handle)
    district = next(d for d in nodes[0]["children"] if d["code"] == "TX")
    commune = next(c for c in district["children"] if c["code"] == "TX-XUANHOA")
    commune["children"] = [{"code": BRANCH, "name": "Chi đoàn thôn Đông", "level": "branch"}]
    path = directory / "org_units.yaml"
    path.write_text(yaml.safe_dump(nodes, allow_unicode=True), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def world(bootstrap: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    data_dir = tmp_path_factory.mktemp("matrix")
    try:
        template = fresh_template()
    except Exception as exc:  # noqa: BLE001
        pytest.fail(f"no {backend()} database for the tests: {exc}", pytrace=False)
    system = System(settings(data_dir, bootstrap, template,
                             TIENPHONG_ORG_UNITS_FILE=str(hierarchy_with_branch(data_dir))))
    try:
        yield World(system)
    finally:
        system.close()
        drop(template)


def check(reply: TestResponse, want: int | str) -> None:
    if want == 201:
        assert reply.status_code == 201, reply.json
        assert reply.json["event_id"]
    else:
        assert reply.status_code == 403, reply.json
        assert reply.json["error"]["code"] == want
        assert set(reply.json["error"]) == {"code", "message", "fields"}


@pytest.mark.parametrize(("kind", "event", "where"), GRID, ids=["-".join(cell) for cell in GRID])
def test_grid(world: World, kind: str, event: str, where: str) -> None:
    if event == "retracted":  # an event the key's own agency posted (admin: another agency's)
        service = "support" if kind in ("bank", "business") else "registration"
        reply = world.retract(kind, "other" if kind == "admin" else "own", service, where)
    else:
        # a union funds from youth_union_120 only; the other sources are FUNDING_CELLS' business
        reply = world.post(event, world.key(kind, DISTRICT), where,
                           source="youth_union_120" if kind == "union" else "vbsp")
    check(reply, expected(kind, event, where))


@pytest.mark.parametrize(("scope", "event", "where", "want"), LEVEL_CELLS,
                         ids=[f"union@{s}-{e}-{w}" for s, e, w, _ in LEVEL_CELLS])
def test_union_scope_levels(world: World, scope: str, event: str, where: str, want: int | str) -> None:
    check(world.post(event, world.key("union", scope), where, source="youth_union_120"), want)


@pytest.mark.parametrize(("kind", "source", "want"), FUNDING_CELLS, ids=[f"{k}-{s}" for k, s, _ in FUNDING_CELLS])
def test_funding_sources(world: World, kind: str, source: str, want: int | str) -> None:
    check(world.post("funded", world.key(kind, DISTRICT), "inside", source=source), want)


@pytest.mark.parametrize(("kind", "whose", "service", "where", "want"), RETRACTION_CELLS,
                         ids=["-".join(cell[:4]) for cell in RETRACTION_CELLS])
def test_retractions(world: World, kind: str, whose: str, service: str, where: str, want: int | str) -> None:
    check(world.retract(kind, whose, service, where), want)


def read(world: World, what: str, headers: dict[str, str], where: str) -> TestResponse:
    unit = {"inside": COMMUNE["inside"], "outside": "TS"}[where]
    participant = world.selected[where]
    reporting, registration = world.system.reporting, world.system.registration
    paths = {
        "summary": (reporting, f"/api/v1/summary/{unit}?as_of=2018-12-31"),
        "summary.csv": (reporting, f"/api/v1/summary/{unit}.csv?as_of=2018-12-31"),
        "report": (reporting, f"/api/v1/reports/{unit}?period=2018"),
        "timeline": (reporting, f"/api/v1/participants/{participant}/timeline"),
        "participant": (registration, f"/api/v1/participants/{participant}"),
        "participant list": (registration, f"/api/v1/participants?org_unit={unit}"),
    }
    client, path = paths[what]
    return client.get(path, headers=headers)


READ_CELLS = [(kind, what, where) for kind in KINDS for what in READS for where in ("inside", "outside")]


@pytest.mark.parametrize(("kind", "what", "where"), READ_CELLS, ids=["-".join(cell) for cell in READ_CELLS])
def test_reads_within_scope(world: World, kind: str, what: str, where: str) -> None:
    reply = read(world, what, world.key(kind, DISTRICT), where)
    if where == "inside":
        assert reply.status_code == 200, reply.get_data(as_text=True)[:300]
        if what == "participant list":
            assert world.selected["inside"] in {item["participant_id"] for item in reply.json["items"]}
        if what == "timeline":
            assert reply.json["participant_id"] == world.selected["inside"]
    else:
        assert reply.status_code == 403, reply.get_data(as_text=True)[:300]
        assert reply.json["error"]["code"] == "out_of_scope"


@pytest.mark.parametrize("kind", KINDS)
def test_org_units_are_the_scope_and_below(world: World, kind: str) -> None:
    reply = world.system.reporting.get("/api/v1/org-units", headers=world.key(kind, DISTRICT))
    assert reply.status_code == 200, reply.json
    tree = load(Path(world.system.env["TIENPHONG_ORG_UNITS_FILE"]))
    below_tx = {unit.code for unit in tree if DISTRICT in tree.ancestors(unit.code)}
    assert {unit["code"] for unit in reply.json} == below_tx
    assert {"TX", COMMUNE["inside"], BRANCH} <= below_tx and COMMUNE["outside"] not in below_tx
