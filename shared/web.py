"""What every service's HTTP side shares: the error shape, JSON bodies, health, metrics, OpenAPI."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterator
from itertools import islice
from typing import Any

import orjson
from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Blueprint, Flask, Response, current_app, g, jsonify, request
from marshmallow import Schema, ValidationError
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector
from werkzeug.exceptions import HTTPException

from shared import i18n
from shared.body_limit import install_body_limit
from shared.security_headers import install_security_headers

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 1024 * 1024


class ApiError(Exception):
    """An answer in the contract's error shape: {"error": {"code", "message", "fields"}}."""

    def __init__(self, status: int, code: str, fields: dict[str, str] | None = None,
                 headers: dict[str, str] | None = None, extra: dict[str, Any] | None = None,
                 **params: object) -> None:
        super().__init__(code)
        self.status = status
        self.code = code
        self.fields = fields or {}
        self.headers = headers or {}
        self.extra = extra or {}
        self.params = params


def lang() -> str:
    """`?lang=en|vi` (what a dashboard link carries) wins over Accept-Language."""
    chosen = request.args.get("lang")
    if chosen in ("en", "vi"):
        return chosen
    return i18n.language(request.headers.get("Accept-Language"))


def error_response(status: int, code: str, fields: dict[str, str] | None = None,
                   headers: dict[str, str] | None = None, extra: dict[str, Any] | None = None,
                   **params: object) -> Response:
    language = lang()
    body: dict[str, Any] = {
        "code": code,
        "message": i18n.message(code, language, **params),
        "fields": {name: i18n.field_message(text, language) for name, text in (fields or {}).items()},
    }
    body.update(extra or {})
    response = jsonify({"error": body})
    response.status_code = status
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def flatten_errors(messages: Any, prefix: str = "") -> dict[str, str]:
    """marshmallow's nested error dict as {"field" or "field.sub": first message}."""
    flat: dict[str, str] = {}
    if isinstance(messages, dict):
        for key, value in messages.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            if key == "_schema":
                name = prefix or "_schema"
            flat.update(flatten_errors(value, name))
    elif isinstance(messages, list) and messages and all(isinstance(m, str) for m in messages):
        flat[prefix or "_schema"] = messages[0]
    elif isinstance(messages, list):
        for item in messages:
            flat.update(flatten_errors(item, prefix))
    else:
        flat[prefix or "_schema"] = str(messages)
    return flat


def json_body(schema: Schema) -> dict[str, Any]:
    """Parse and validate the JSON body: 415 wrong type, 400 malformed, 422 invalid fields."""
    if request.mimetype != "application/json":
        raise ApiError(415, "unsupported_media_type")
    raw = request.get_data(cache=True)
    try:
        payload = request.get_json(force=True, silent=False) if raw.strip() else None
    except Exception as exc:  # noqa: BLE001 - werkzeug raises BadRequest on any decode error
        raise ApiError(400, "bad_json") from exc
    if not isinstance(payload, dict):
        raise ApiError(400, "bad_json")
    try:
        return dict(schema.load(payload))
    except ValidationError as exc:
        raise ApiError(422, "validation_failed", fields=flatten_errors(exc.messages)) from exc


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(ApiError)
    def _api_error(exc: ApiError) -> Response:
        return error_response(exc.status, exc.code, exc.fields, exc.headers, exc.extra, **exc.params)

    codes = {400: "bad_request", 404: "not_found", 405: "method_not_allowed", 413: "payload_too_large",
             414: "uri_too_long", 415: "unsupported_media_type", 431: "headers_too_large"}

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> Response:
        status = exc.code or 500
        # the exception's own headers (a 405's Allow) survive; its HTML content type does not
        kept = {name: value for name, value in exc.get_headers() if name.lower() != "content-type"}
        return error_response(status, codes.get(status, "bad_request"), headers=kept)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.path)
        return error_response(500, "internal_error")


# --- OpenAPI -------------------------------------------------------------------------------------

def doc(summary: str, body: type[Schema] | None = None, responses: dict[int, str] | None = None,
        response_schema: type[Schema] | dict[str, Any] | None = None, tags: list[str] | None = None,
        params: list[dict[str, Any]] | None = None) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Attach what the OpenAPI document says about a view."""

    def attach(view: Callable[..., Any]) -> Callable[..., Any]:
        view.__openapi__ = {  # type: ignore[attr-defined]
            "summary": summary, "body": body, "responses": responses or {200: "OK"},
            "response_schema": response_schema, "tags": tags or [], "params": params or [],
        }
        return view

    return attach


ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {"error": {"type": "object", "required": ["code", "message", "fields"], "properties": {
        "code": {"type": "string"}, "message": {"type": "string"},
        "fields": {"type": "object", "additionalProperties": {"type": "string"}},
    }}},
}


ERROR_CONTENT = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}


def document_access_errors(responses: dict[str, Any]) -> None:
    """What every keyed endpoint may answer before its own code runs (shared.access_web): 401 without a valid
    key, 429 over the key's request budget, with Retry-After."""
    responses.setdefault("401", {"description": "no valid key (unauthorized)", "content": ERROR_CONTENT})
    responses.setdefault("429", {"description": "rate limited (rate_limited)", "content": ERROR_CONTENT})
    responses["429"]["headers"] = {"Retry-After": {
        "description": "whole seconds to wait before the key's next request is accepted",
        "schema": {"type": "integer", "minimum": 1}}}


def build_openapi(app: Flask, title: str) -> dict[str, Any]:
    spec = APISpec(title=title, version="1.0.0", openapi_version="3.0.3", plugins=[MarshmallowPlugin()])
    spec.components.schema("Error", ERROR_SCHEMA)
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        view = app.view_functions.get(rule.endpoint)
        meta = getattr(view, "__openapi__", None)
        if meta is None:
            continue
        path = rule.rule.replace("<", "{").replace(">", "}")
        for converter in ("uuid:", "path:", "int:", "string:"):
            path = path.replace("{" + converter, "{")
        operations: dict[str, Any] = {}
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            op: dict[str, Any] = {"summary": meta["summary"], "tags": meta["tags"], "responses": {}}
            parameters = [{"name": arg, "in": "path", "required": True, "schema": {"type": "string"}}
                          for arg in sorted(rule.arguments)] + meta["params"]
            if parameters:
                op["parameters"] = parameters
            if path.startswith("/api/v1") and not path.endswith("openapi.json"):
                op["security"] = [{"bearer": []}]
            if meta["body"] is not None:
                op["requestBody"] = {"required": True,
                                     "content": {"application/json": {"schema": meta["body"]}}}
            for status, description in meta["responses"].items():
                response: dict[str, Any] = {"description": description}
                if status >= 400:
                    response["content"] = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
                elif meta["response_schema"] is not None and status < 300:
                    response["content"] = {"application/json": {"schema": meta["response_schema"]}}
                op["responses"][str(status)] = response
            if "security" in op:
                document_access_errors(op["responses"])
            operations[method.lower()] = op
        spec.path(path=path, operations=operations)
    return spec.to_dict()


# --- operations endpoints and metrics -------------------------------------------------------------

class Metrics:
    """Per-app registry, so several apps in one test process do not collide. Under gunicorn
    (PROMETHEUS_MULTIPROC_DIR, set by tienphong/gunicorn_hooks.py) each worker writes its counts to files
    in that directory and /metrics sums every worker's, so the figures are the service's, whichever
    worker answers; collectors registered on `registry` (computed when scraped) are added as they are."""

    def __init__(self, service: str) -> None:
        self.registry = CollectorRegistry()
        shared_dir = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
        own: CollectorRegistry | None = self.registry
        if shared_dir:
            MultiProcessCollector(self.registry, path=shared_dir)
            own = None  # counted in the shared files; registering them too would show one worker's counts
        self.requests = Counter("http_requests", "HTTP requests", ["method", "endpoint", "status"], registry=own)
        self.latency = Histogram("http_request_seconds", "HTTP request latency", ["endpoint"], registry=own,
                                 buckets=(0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5))
        self.service = service


def ops_blueprint(service: str, readiness: list[tuple[str, Callable[[], None]]], metrics: Metrics,
                  title: str) -> Blueprint:
    """/healthz, /readyz, /metrics and /api/v1/openapi.json."""
    bp = Blueprint("ops", __name__)

    @bp.get("/healthz")
    @doc("Process alive", tags=["operations"])
    def healthz() -> Response:
        return jsonify({"status": "ok", "service": service})

    @bp.get("/readyz")
    @doc("Database and Kafka reachable", responses={200: "ready", 503: "not ready"}, tags=["operations"])
    def readyz() -> Response | tuple[Response, int]:
        failures: dict[str, str] = {}
        for name, check in readiness:
            try:
                check()
            except Exception as exc:  # noqa: BLE001 - any failure means not ready, with its reason
                failures[name] = f"{type(exc).__name__}: {exc}"[:300]
        if failures:
            return error_response(503, "unavailable", fields=failures)
        # what this service needs, each found working (a 503 names each one missing in error.fields)
        return jsonify({"status": "ready", "service": service, "checks": {name: "ok" for name, _ in readiness}})

    @bp.get("/metrics")
    def metrics_view() -> Response:
        return Response(generate_latest(metrics.registry), mimetype=CONTENT_TYPE_LATEST)

    @bp.get("/api/v1/openapi.json")
    def openapi() -> Response:
        return jsonify(build_openapi(current_app, title))

    return bp


def install_request_metrics(app: Flask, metrics: Metrics) -> None:
    @app.before_request
    def _start_timer() -> None:
        g.request_started = time.perf_counter()

    @app.after_request
    def _record(response: Response) -> Response:
        endpoint = request.url_rule.rule if request.url_rule else "unmatched"
        metrics.requests.labels(request.method, endpoint, str(response.status_code)).inc()
        started = g.get("request_started")
        if started is not None:
            metrics.latency.labels(endpoint).observe(time.perf_counter() - started)
        return response


def base_app(name: str, max_body: int = MAX_BODY_BYTES) -> Flask:
    app = Flask(name)
    app.config["MAX_CONTENT_LENGTH"] = max_body
    app.url_map.merge_slashes = False  # "a//b" is no route (404 in the error shape), not an HTML 308 redirect
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    app.json.sort_keys = False  # type: ignore[attr-defined]
    register_error_handlers(app)
    install_security_headers(app)
    install_body_limit(app)
    return app


STREAMED_CHUNK = 500  # list items per chunk written


def streamed_json(head: dict[str, Any], key: str, items: Iterator[dict[str, Any]]) -> Iterator[bytes]:
    """`head` with `key` holding `items`, as JSON written a few hundred items at a time: a long list (a
    province's 160,000 fundings) is never one string in memory."""
    yield orjson.dumps(head)[:-1] + b',"' + key.encode() + b'":['
    first = True
    while chunk := list(islice(items, STREAMED_CHUNK)):
        yield (b"" if first else b",") + b",".join(orjson.dumps(item) for item in chunk)
        first = False
    yield b"]}"
