"""Edges of the input (issue 31): dates and periods beyond what the program holds are a 422 naming the field
and the range, on reads and writes; text is normalised before rules and duplicate checks (a name of only
invisible characters is blank, one hidden inside a name hides no duplicate), in bodies and imports; every
org unit a write names is inside the key's scope."""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Iterator
from typing import Any

import pytest

from services.registration.import_layout import COLUMNS
from shared.date_bounds import EARLIEST, LATEST
from shared.imports.layout import ROW_NUMBER_HEADER
from tests.support.write_checks import error_of, leaves_no_trace, refused, someone
from tests.support.write_endpoints import ENDPOINTS, World, world_of

FAR_DATES = ("0001-01-01", "9999-12-31", "1899-12-31", "3000-01-01")
FAR_PERIODS = ("0001-01", "9999-H2", "9999", "0000", "0000-H1", "1899-12", "3000-01")
INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff\u00ad\u202e"


@pytest.fixture(scope="module")
def world(bootstrap: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    with world_of(bootstrap, tmp_path_factory.mktemp("edges-inputs")) as running:
        running.system.sync()
        yield running


def openapi(world: World, service: str) -> dict[str, Any]:
    client = getattr(world.system, service)
    return dict(client.get("/api/v1/openapi.json").get_json())


def body_properties(document: dict[str, Any], operation: dict[str, Any]) -> dict[str, Any]:
    ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    return dict(document["components"]["schemas"][ref.rsplit("/", 1)[-1]]["properties"])


def write_operations(world: World) -> Iterator[tuple[Any, dict[str, Any]]]:
    """Every JSON write the two OpenAPI documents list, with its endpoint in ENDPOINTS (all must have one)."""
    by_path = {(e.service, e.path.replace("{p}", "{participant_id}").replace("{e}", "{event_id}")
                             .replace("{l}", "{funding_event_id}")): e
               for e in ENDPOINTS}
    for service in ("registration", "support"):
        document = openapi(world, service)
        for path, operations in document["paths"].items():
            post = operations.get("post")
            if post is None or "application/json" not in post.get("requestBody", {}).get("content", {}):
                continue
            assert (service, path) in by_path, f"{service} {path}: a write endpoint this test does not know"
            yield by_path[(service, path)], body_properties(document, post)


# --- 1. dates and periods -------------------------------------------------------------------------

def test_read_dates_and_periods_beyond_the_range_are_422_naming_field_and_range(world: World) -> None:
    viewer = world.system.key("viewer", "TH")
    document = openapi(world, "reporting")
    checked = 0
    for path, operations in document["paths"].items():
        params = operations.get("get", {}).get("parameters", [])
        url = path.replace("{org_code}", "TX").replace("{participant_id}", world.participant_id)
        needed = "metric=registered&" if "/events" in path else ""
        for param in params:
            if param["in"] != "query":
                continue
            if param["schema"].get("format") in ("date", "date-time"):
                values: tuple[str, ...] = FAR_DATES
            elif param["name"] == "period":
                values = FAR_PERIODS
            else:
                continue
            base = needed + ("" if param["name"] == "period" else "period=2018&")
            for value in values:
                reply = world.system.reporting.get(f"{url}?{base}{param['name']}={value}", headers=viewer)
                error = error_of(reply, 422, "validation_failed", param["name"])
                assert str(EARLIEST.year) in error["fields"][param["name"]], error
                assert str(LATEST.year) in error["fields"][param["name"]], error
                checked += 1
    assert checked >= 40, checked  # summary, its files and events (as_of, known_at), reports (period, known_at)


def test_the_edges_of_the_range_answer(world: World) -> None:
    viewer = world.system.key("viewer", "TH")
    for query in ("summary/TX?as_of=1900-01-01", "summary/TX?as_of=2999-12-31", "reports/TX?period=1900-01",
                  "reports/TX?period=2999-12", "reports/TX?period=2999-H2", "reports/TX?period=2999",
                  "summary/TX?known_at=2999-12-31T23:59:59Z", "summary/TX.csv?as_of=2999-12-31"):
        reply = world.system.reporting.get(f"/api/v1/{query}", headers=viewer)
        assert reply.status_code == 200, (query, reply.get_json(silent=True))


def test_write_dates_beyond_the_range_are_422_naming_field_and_range(world: World) -> None:
    checked = 0
    for endpoint, properties in write_operations(world):
        for name, schema in properties.items():
            if schema.get("format") != "date":
                continue
            for value in ("0001-01-01", "9999-12-31"):
                error = refused(world.system, world.client(endpoint), "POST", world.path(endpoint),
                                world.keys[endpoint.key], 422, "validation_failed", name,
                                json=endpoint.body() | {name: value})
                assert "1900-01-01" in error["fields"][name] and "2999-12-31" in error["fields"][name], error
                checked += 1
    assert checked >= 2 * 9, checked  # every write but a retraction has a business date; registration a birth date


# --- 2. text normalised before validation and duplicate checks ------------------------------------

def test_required_text_of_only_invisible_characters_is_422_naming_it(world: World) -> None:
    checked = 0
    for endpoint, properties in write_operations(world):
        for name in endpoint.required:
            schema = properties[name]
            if schema.get("type") != "string" or "format" in schema or "enum" in schema:
                continue
            refused(world.system, world.client(endpoint), "POST", world.path(endpoint), world.keys[endpoint.key],
                    422, "validation_failed", name, vi="được để trống", en="may not be blank",
                    json=endpoint.body() | {name: INVISIBLE + " \u00a0\u3000\t\x00"})
            checked += 1
    assert checked >= 8, checked


def test_an_invisible_character_hides_no_duplicate(world: World) -> None:
    union = world.keys["union"]
    first = world.system.registration.post("/api/v1/participants", headers=union,
                                           json=someone(full_name="Lê Văn Bảo Edge"))
    assert first.status_code == 201, first.get_json()
    participant_id = first.get_json()["participant_id"]
    for variant in ("Lê\u200b Văn Bảo Edge", "L\u200dê Văn\u00a0\u00a0Bảo\u2060 Edge",
                    unicodedata.normalize("NFD", "lê văn bảo edge") + "\ufeff", " Lê\tVăn Bảo\x00 Edge "):
        reply = world.system.registration.post("/api/v1/participants", headers=union,
                                               json=someone(full_name=variant))
        error = error_of(reply, 409, "duplicate_participant", "full_name")
        assert error["participant_id"] == participant_id, (variant, error)


def test_text_is_stored_normalised(world: World) -> None:
    union = world.keys["union"]
    reply = world.system.registration.post("/api/v1/participants", headers=union, json=someone(
        full_name="  Nguyễn\u200b Thị\u00a0Nhung\x1b ", model_description="Dòng một \u200b\r\n\r\n\r\n\r\n  dòng hai"))
    assert reply.status_code == 201, reply.get_json()
    shown = world.system.registration.get(f"/api/v1/participants/{reply.get_json()['participant_id']}",
                                          headers=union).get_json()
    assert shown["full_name"] == "Nguyễn Thị Nhung"
    assert shown["registration"]["model_description"] == "Dòng một\n\ndòng hai"


def _csv(rows: list[dict[str, str]]) -> bytes:
    headers = [ROW_NUMBER_HEADER, *(c.header for c in COLUMNS)]
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(headers)
    for number, row in enumerate(rows, start=1):
        writer.writerow([str(number) if h == ROW_NUMBER_HEADER else row.get(h, "") for h in headers])
    return buffer.getvalue().encode()


def test_imports_normalise_the_same_way(world: World) -> None:
    union = world.keys["union"]
    existing = world.system.registration.post("/api/v1/participants", headers=union,
                                              json=someone(full_name="Phạm Thị Hoa Edge"))
    assert existing.status_code == 201
    row = {"Ngày sinh": "03/02/1995", "Giới tính": "Nữ", "Mã xã/thị trấn": "TX-XUANHOA",
           "Tên chi đoàn": "Chi đoàn thôn Đông", "Loại chi đoàn": "Khu dân cư", "Tên mô hình": "Nuôi gà",
           "Đã có mô hình": "Có", "Ngày đăng ký": "10/06/2017"}
    content = _csv([row | {"Họ và tên": "Phạm\u200b Thị Hoa Edge"}, row | {"Họ và tên": INVISIBLE}])
    with leaves_no_trace(world.system):
        reply = world.system.registration.post("/api/v1/imports", headers=union, content_type="multipart/form-data",
                                               data={"file": (io.BytesIO(content), "danh-sach.csv")})
    error = error_of(reply, 422, "import_rejected")
    assert [(p["row"], p["field"], p["code"]) for p in error["rows"]] == [(3, "full_name", "required")], error
    reply = world.system.registration.post("/api/v1/imports", headers=union, content_type="multipart/form-data",
                                           data={"file": (io.BytesIO(_csv([row | {"Họ và tên": "Phạm\u200b Thị "
                                                                                  "Hoa Edge"}])), "ds.csv")})
    assert reply.status_code == 200, reply.get_json()  # nothing new: the person is already registered
    assert reply.get_json()["participants"][0]["participant_id"] == existing.get_json()["participant_id"]


# --- 3. every org unit a write names is in the key's scope ----------------------------------------

def test_every_org_unit_field_of_every_write_is_held_to_the_scope(world: World) -> None:
    walked = []
    for endpoint, properties in write_operations(world):
        for name in properties:
            if name != "org_unit" and not name.endswith("_org_unit"):
                continue
            for outside in ("TS-DANLUC", "YD-DINHTAN", "THH-THIEUGIAO"):
                refused(world.system, world.client(endpoint), "POST", world.path(endpoint),
                        world.keys[endpoint.key], 403, "out_of_scope", json=endpoint.body() | {name: outside})
            walked.append((endpoint.path, name))
    assert ("/api/v1/participants", "org_unit") in walked and ("/api/v1/participants/{p}/replications",
                                                               "org_unit") in walked, walked
    # the unit a write names implicitly, its participant's: a key of another district reaches none of them
    # (the same agencies as the world's keys: a retraction is the posting agency's to make)
    others = {"union": world.system.key("union", "TS", agency="huyen-doan"),
              "bank": world.system.key("bank", "TS", agency="vbsp-thanh-hoa"),
              "business": world.system.key("business", "TS", agency="hiep-hoi-dn")}
    for endpoint in ENDPOINTS:
        if "{" in endpoint.path:
            refused(world.system, world.client(endpoint), "POST", world.path(endpoint), others[endpoint.key], 403,
                    "out_of_scope", json=endpoint.body())
    # the import's unit chosen for the whole file
    reply = world.system.registration.post("/api/v1/imports", headers=world.keys["union"],
                                           content_type="multipart/form-data",
                                           data={"org_unit": "TS-DANLUC", "file": (io.BytesIO(_csv([])), "x.csv")})
    error_of(reply, 403, "out_of_scope")
