"""Bad input on every write endpoint of both services: 400, 415, 413, 422 with the field named. No input
gives a 500, and a refused request leaves nothing in the store, the outbox, the idempotency table or on
Kafka (the fuzz is in test_write_fuzz.py)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.write_checks import refused, someone
from tests.support.write_endpoints import ENDPOINTS, IDS, Endpoint, World, as_json, post_raw, world_of

MIB = 1024 * 1024


@pytest.fixture(scope="module")
def world(bootstrap: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    with world_of(bootstrap, tmp_path_factory.mktemp("bad-input")) as running:
        yield running


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=IDS)
def test_malformed_json_is_400(world: World, endpoint: Endpoint) -> None:
    for raw in (b"{", b"{'full_name': 'x'}", b"", b"   ", b'{"a": 1}{', b'{"a": tru}', b"\xff\xfe\x00{",
                b"[" * 50_000, b"[1, 2]", b'"text"', b"null", b"42", b"NaN", b"[{}]",
                b'{"amount_vnd": 1' + b"0" * 5000 + b"}"):
        refused(world.system, world.client(endpoint), "POST", world.path(endpoint), world.keys[endpoint.key],
                400, "bad_json", vi="không phải JSON hợp lệ", en="not valid JSON", data=raw,
                content_type="application/json")


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=IDS)
def test_a_body_that_is_not_json_is_415(world: World, endpoint: Endpoint) -> None:
    valid = json.dumps(endpoint.body())
    for content_type in ("text/plain", "application/x-www-form-urlencoded", "application/xml", "application/jsonp",
                         "multipart/form-data; boundary=x", None):
        request: dict[str, Any] = {"data": valid}
        if content_type is not None:
            request["content_type"] = content_type
        refused(world.system, world.client(endpoint), "POST", world.path(endpoint), world.keys[endpoint.key],
                415, "unsupported_media_type", vi="Content-Type", en="Content-Type", **request)


def test_json_with_a_charset_parameter_is_json(world: World) -> None:
    reply = post_raw(world, ENDPOINTS[0], json.dumps(someone()), "application/json; charset=utf-8")
    assert reply.status_code == 201, reply.json


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=IDS)
def test_a_body_over_1_mib_is_413_and_up_to_1_mib_is_read(world: World, endpoint: Endpoint) -> None:
    field = endpoint.required[-1] if endpoint.required[-1] not in ("amount_vnd", "has_existing_model") else "reason"

    def body_of(size: int) -> bytes:
        shell = json.dumps(endpoint.body() | {field: ""}).encode()
        raw = json.dumps(endpoint.body() | {field: "x" * (size - len(shell))}).encode()
        assert len(raw) == size
        return raw

    refused(world.system, world.client(endpoint), "POST", world.path(endpoint), world.keys[endpoint.key], 413,
            "payload_too_large", vi="1 MiB", en="1 MiB", data=body_of(MIB + 1), content_type="application/json")
    # Exactly 1 MiB is read and validated: the long field is what is wrong.
    refused(world.system, world.client(endpoint), "POST", world.path(endpoint), world.keys[endpoint.key], 422,
            "validation_failed", field, data=body_of(MIB), content_type="application/json")


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=IDS)
def test_each_missing_or_null_required_field_is_422_naming_it(world: World, endpoint: Endpoint) -> None:
    for name in endpoint.required:
        body = endpoint.body()
        body.pop(name)
        refused(world.system, world.client(endpoint), "POST", world.path(endpoint), world.keys[endpoint.key], 422,
                "validation_failed", name, vi="Thiếu trường bắt buộc", en="Missing data for required field",
                json=body)
        refused(world.system, world.client(endpoint), "POST", world.path(endpoint), world.keys[endpoint.key], 422,
                "validation_failed", name, vi="không được để trống", en="may not be null",
                json=endpoint.body() | {name: None})
    refused(world.system, world.client(endpoint), "POST", world.path(endpoint), world.keys[endpoint.key], 422,
            "validation_failed", "surprise", vi="không được hỗ trợ", en="Unknown field",
            json=endpoint.body() | {"surprise": 1})


BAD_VALUES: list[tuple[str, Any, str, str]] = [
    # field, value, Vietnamese fragment, English fragment
    *[(f, v, "Ngày không hợp lệ", "Not a valid date") for f in ("birth_date", "registered_on") for v in (
        "2017-02-30", "2018-02-29", "2017-13-01", "2017-00-10", "20170610", "2017-W23-6", "10/06/2017", "2017-6-1",
        "2017-06-10T00:00:00", " 2017-06-10", "2017-06-10\n", "", "٢٠١٧-٠٦-١٠", 20170610, 2017.5, True, [], {})],
    *[("has_existing_model", v, "true hoặc false", "boolean") for v in ("yes", "true", "1", 1, 0, "", [], {})],
    *[("full_name", v, "chuỗi ký tự", "Not a valid string") for v in (123, 1.5, True, [], ["Lê"], {"a": "b"})],
    ("full_name", "x" * 201, "Độ dài phải từ 1 đến 200", "Length must be between 1 and 200"),
    ("full_name", "Lê" * 100_000, "Độ dài phải từ 1 đến 200", "Length must be between 1 and 200"),
    # text is normalised first (shared/text.py): what is left of it blank is refused as blank
    ("full_name", "", "được để trống", "may not be blank"),
    ("full_name", "\udfff", "được để trống", "may not be blank"),
    ("full_name", "\x00\x1b\u200b", "được để trống", "may not be blank"),
    ("full_name", "   ", "được để trống", "may not be blank"),
    ("gender", "M", "Phải là một trong", "Must be one of"),
    ("gender", "MALE", "Phải là một trong", "Must be one of"),
    ("branch_kind", 1, "chuỗi ký tự", "Not a valid string"),
    ("org_unit", "TX-XUANHOA\x00X", "xã/thị trấn", "commune-level"),
    ("org_unit", "Ⅹ" * 65, "Độ dài phải từ 1 đến 64", "Length must be between 1 and 64"),
]


@pytest.mark.parametrize(("field", "value", "vi", "en"), BAD_VALUES,
                         ids=[f"{f}={v!r}"[:60] for f, v, _, _ in BAD_VALUES])
def test_registration_values_of_the_wrong_kind_are_422(world: World, field: str, value: Any, vi: str,
                                                      en: str) -> None:
    refused(world.system, world.system.registration, "POST", "/api/v1/participants", world.keys["union"], 422,
            "validation_failed", field, vi=vi, en=en, **as_json(someone() | {field: value}))


AMOUNTS = [0, -1, -(10**12), 1.5, 1e3, 50_000_000.0, "50000000", "5e7", True, None, [], {}, 10**12 + 1, 10**30]


@pytest.mark.parametrize("amount", AMOUNTS, ids=[repr(a)[:30] for a in AMOUNTS])
def test_amounts_must_be_whole_vnd_in_range(world: World, amount: Any) -> None:
    funding = ENDPOINTS[7]
    refused(world.system, world.system.support, "POST", world.path(funding), world.keys["bank"], 422,
            "validation_failed", "amount_vnd", **as_json(funding.body() | {"amount_vnd": amount}))
    evaluation = ENDPOINTS[2]
    if amount not in (None, 0):  # revenue is optional, and may be nothing at all
        refused(world.system, world.system.registration, "POST", world.path(evaluation), world.keys["union"], 422,
                "validation_failed", "revenue_vnd", **as_json(evaluation.body() | {"revenue_vnd": amount}))


def test_other_typed_fields_of_the_participant_endpoints(world: World) -> None:
    cases: list[tuple[int, str, Any]] = [
        (1, "decision", "accepted"), (1, "sector", "fishing"), (1, "decided_on", "2017-02-30"),
        (2, "status", "great"), (2, "jobs_created", -1), (2, "jobs_created", 2.5), (2, "profit_vnd", 10**13),
        (3, "title", ""), (3, "issued_by", "x" * 301), (4, "youth_name", None),
        (5, "reason", ""), (5, "reason", "x" * 2001), (5, "reason", "\x00"),
        (6, "kind", "webinar"), (6, "hours", -1), (6, "hours", "16"), (6, "course", {"vi": "x"}),
        (7, "source", "VBSP"), (7, "term_months", 601), (7, "disbursed_on", "2017-9-1"),
        (8, "kind", "loan"), (8, "supported_on", "01/10/2017"), (8, "description", "x" * 4001),
        (9, "reason", ["Nhập nhầm"]),
    ]
    for index, field, value in cases:
        endpoint = ENDPOINTS[index]
        refused(world.system, world.client(endpoint), "POST", world.path(endpoint), world.keys[endpoint.key], 422,
                "validation_failed", field, **as_json(endpoint.body() | {field: value}))


def test_a_field_name_that_is_broken_unicode_is_422_not_a_broken_reply(world: World) -> None:
    for endpoint in (ENDPOINTS[0], ENDPOINTS[6]):
        body = json.dumps(endpoint.body() | {"\ud800": 1, "a\x00": 2})
        refused(world.system, world.client(endpoint), "POST", world.path(endpoint), world.keys[endpoint.key], 422,
                "validation_failed", "_schema", vi="Tên trường", en="Invalid field name", data=body,
                content_type="application/json")


def test_ids_in_the_path_that_no_service_issues_are_404(world: World) -> None:
    union, bank = world.keys["union"], world.keys["bank"]
    for odd in ("nope", "%00", "1b4e28ba-2fa1-11d2-883f-0016d3cca427x", "{1b4e28ba-2fa1-11d2-883f-0016d3cca427}",
                "1B4E28BA-2FA1-11D2-883F-0016D3CCA427", "ł" * 300):
        for endpoint in ENDPOINTS[1:5]:
            refused(world.system, world.system.registration, "POST", endpoint.path.format(p=odd), union, 404,
                    "unknown_participant", json=endpoint.body())
        refused(world.system, world.system.support, "POST", f"/api/v1/participants/{odd}/fundings", bank, 404,
                "unknown_participant", json=ENDPOINTS[7].body())
        for service, client in (("registration", world.system.registration), ("support", world.system.support)):
            refused(world.system, client, "POST", f"/api/v1/events/{odd}/retraction",
                    union if service == "registration" else bank, 404, "unknown_event", json={"reason": "x"})


def test_bad_idempotency_keys_are_422(world: World) -> None:
    endpoint = ENDPOINTS[6]
    for key in ("", " ", "with space", "x" * 201, "khóa", "tab\tkey"):
        refused(world.system, world.system.support, "POST", world.path(endpoint),
                world.keys["union"] | {"Idempotency-Key": key}, 422, "validation_failed", "Idempotency-Key",
                vi="ký tự", en="characters", json=endpoint.body())
