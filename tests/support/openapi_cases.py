"""Requests generated from an OpenAPI document, and the check that an answer is one the document promises.

For each operation: its path parameters from values that exist (a participant, an event, org units) or any
text; its query parameters from their schemas (dates from the whole calendar), or any text; its JSON body
from the body's schema (values of each field's type and bounds), often broken one field at a time, or any
JSON at all; mostly the key meant for the operation, else any other. The answer must not be a 5xx, its
status must be documented for the operation, and a JSON answer documented with a schema must validate
against it."""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import quote, urlencode

import jsonschema
from hypothesis import strategies as st


@dataclass(frozen=True)
class Operation:
    path: str
    method: str
    spec: dict[str, Any]

    @property
    def name(self) -> str:
        return f"{self.method.upper()} {self.path}"


@dataclass
class Case:
    path: str
    method: str
    headers: dict[str, str]
    body: bytes | None


def operations(document: dict[str, Any]) -> list[Operation]:
    return [Operation(path, method, spec) for path, methods in sorted(document["paths"].items())
            for method, spec in sorted(methods.items())]


def resolved(schema: Any, document: dict[str, Any]) -> Any:
    """The schema with every $ref inlined and OpenAPI 3.0's `nullable` as JSON Schema's null type."""
    if isinstance(schema, list):
        return [resolved(item, document) for item in schema]
    if not isinstance(schema, dict):
        return schema
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return resolved(document["components"]["schemas"][name], document)
    out = {key: resolved(value, document) for key, value in schema.items() if key != "nullable"}
    if schema.get("nullable") and "type" in out:
        out["type"] = [out["type"], "null"]
        if "enum" in out:
            out["enum"] = [*out["enum"], None]
    return out


# --- requests ---------------------------------------------------------------------------------------

ANY_TEXT = st.text(max_size=40)
JSON_VALUES = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | ANY_TEXT,
                           lambda inner: st.lists(inner, max_size=3) | st.dictionaries(ANY_TEXT, inner, max_size=3),
                           max_leaves=8)
# the whole calendar, its edges and those of the range the program holds often
EDGE_YEARS = st.sampled_from([1, 1899, 1900, 2017, 2018, 2999, 3000, 9999]) | st.integers(min_value=0, max_value=9999)
ISO_DATES = (st.sampled_from(["0001-01-01", "9999-12-31", "1899-12-31", "1900-01-01", "2999-12-31", "3000-01-01"])
             | st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31)).map(date.isoformat))


def _mostly(typed: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """Three times in four a value of the parameter's kind (so requests reach past the first check), else any
    text."""
    return st.integers(min_value=0, max_value=3).flatmap(lambda pick: typed if pick else ANY_TEXT)


def parameter_values(param: dict[str, Any], known: dict[str, list[str]]) -> st.SearchStrategy[str]:
    schema = param.get("schema", {})
    name = param["name"]
    if name in known:
        return _mostly(st.sampled_from(known[name]))
    if schema.get("enum"):
        return _mostly(st.sampled_from([str(v) for v in schema["enum"]]))
    if schema.get("format") == "date":
        return _mostly(ISO_DATES)
    if schema.get("format") == "date-time":
        return _mostly(ISO_DATES.map(lambda day: day + "T12:00:00Z")
                       | st.datetimes().map(lambda moment: moment.isoformat() + "+07:00"))
    if schema.get("type") == "integer":
        return _mostly(st.integers(min_value=-10, max_value=10**7).map(str))
    if name == "period":
        return _mostly(EDGE_YEARS.flatmap(lambda year: st.sampled_from(
            [f"{year:04d}", f"{year:04d}-H1", f"{year:04d}-H2", f"{year:04d}-01", f"{year:04d}-12"])))
    return ANY_TEXT


def _broken(body: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    """The body with one field replaced by any JSON value, or dropped."""
    if not body:
        return st.just(body)
    return st.sampled_from(sorted(body)).flatmap(lambda name: st.one_of(
        JSON_VALUES.map(lambda value: body | {name: value}),
        st.just({k: v for k, v in body.items() if k != name})))


def from_schema(schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Values the schema describes, for the subset apispec writes from marshmallow: objects, arrays, strings
    (enums, dates, UUIDs, lengths), integers and numbers with bounds, booleans, nullable."""
    types = schema.get("type", "object")
    if isinstance(types, list):
        return st.one_of(*(from_schema(schema | {"type": t}) for t in types))
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    if types == "null":
        return st.none()
    if types == "boolean":
        return st.booleans()
    if types in ("integer", "number"):
        low, high = schema.get("minimum", -(10**13)), schema.get("maximum", 10**13)
        ints = st.integers(min_value=int(low), max_value=int(high))
        return ints if types == "integer" else ints | st.floats(min_value=low, max_value=high)
    if types == "string":
        if schema.get("format") == "date":
            return st.dates(min_value=date(2016, 1, 1), max_value=date(2030, 12, 31)).map(date.isoformat) | ISO_DATES
        if schema.get("format") == "uuid":
            return st.uuids().map(str)
        return st.text(min_size=schema.get("minLength", 0), max_size=min(schema.get("maxLength", 60), 60))
    if types == "array":
        return st.lists(from_schema(schema.get("items", {})), max_size=3)
    properties = schema.get("properties", {})
    required = set(schema.get("required", []))
    return st.fixed_dictionaries({name: from_schema(sub) for name, sub in properties.items() if name in required},
                                 optional={name: from_schema(sub) for name, sub in properties.items()
                                           if name not in required})


def body_values(schema: dict[str, Any], examples: list[dict[str, Any]]) -> st.SearchStrategy[Any]:
    """A body the rules accept (one of `examples`, so that success answers are checked too), one of the
    schema's shape, one of them broken in one field, or any JSON."""
    shaped = from_schema(schema)
    choices = [shaped, shaped.flatmap(_broken) if schema.get("type") == "object" else shaped, JSON_VALUES]
    if examples:
        choices.append(st.sampled_from(examples))
        choices.append(st.sampled_from(examples).flatmap(_broken))
    return st.one_of(*choices)


def cases(op: Operation, document: dict[str, Any], known: dict[str, list[str]], keys: list[dict[str, str]],
          examples: list[dict[str, Any]] | None = None) -> st.SearchStrategy[Case]:
    params = op.spec.get("parameters", [])
    path_params = {p["name"]: parameter_values(p, known) for p in params if p["in"] == "path"}
    query_params = {p["name"]: parameter_values(p, known) for p in params if p["in"] == "query"}
    required = {p["name"] for p in params if p["in"] == "query" and p.get("required")}
    content = op.spec.get("requestBody", {}).get("content", {}).get("application/json")
    body = body_values(resolved(content["schema"], document), examples or []) if content else st.none()

    @st.composite
    def build(draw: st.DrawFn) -> Case:
        path = op.path
        for name, values in path_params.items():
            path = path.replace("{" + name + "}", _quoted(draw(values)) or "x")
        query = {name: draw(values) for name, values in query_params.items()
                 if name in required or draw(st.booleans())}
        key = draw(_mostly_first(keys))
        headers = dict(key) | {"Accept-Language": draw(st.sampled_from(["vi", "en"]))}
        payload = draw(body)
        raw = None if payload is None and not content else json.dumps(payload).encode()
        if raw is not None:
            headers["Content-Type"] = "application/json"
        if query:
            path += "?" + urlencode(query)
        return Case(path, op.method, headers, raw)

    return build()


def _mostly_first(keys: list[dict[str, str]]) -> st.SearchStrategy[dict[str, str]]:
    """The first key (the one the operation is meant for) three times in four, else any of them."""
    return st.integers(min_value=0, max_value=3).flatmap(
        lambda pick: st.just(keys[0]) if pick else st.sampled_from(keys))


def _quoted(value: str) -> str:
    return quote(value, safe="")


# --- answers ----------------------------------------------------------------------------------------

def conformance_problem(op: Operation, document: dict[str, Any], status: int, content_type: str,
                        headers: dict[str, str], body: bytes) -> str | None:
    """None when the answer is one the document promises, else what is wrong with it."""
    if status >= 500:
        return f"server error {status}: {body[:300]!r}"
    documented = op.spec["responses"].get(str(status)) or op.spec["responses"].get("default")
    if documented is None:
        return f"status {status} not documented ({sorted(op.spec['responses'])}): {body[:300]!r}"
    for name in documented.get("headers", {}):
        if name not in headers:
            return f"status {status} without its documented header {name}"
    schema = documented.get("content", {}).get("application/json", {}).get("schema")
    if schema is None:
        return None
    if not content_type.startswith("application/json"):
        return f"status {status} documented as JSON, answered {content_type}"
    try:
        jsonschema.validate(json.loads(body), copy.deepcopy(resolved(schema, document)),
                            format_checker=jsonschema.FormatChecker())  # dates and UUIDs too
    except (ValueError, jsonschema.ValidationError) as exc:
        return f"status {status} body does not match its schema: {str(exc)[:600]}"
    return None
