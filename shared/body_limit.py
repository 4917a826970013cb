"""The 1 MiB body limit for bodies sent without a Content-Length (Transfer-Encoding: chunked).

Werkzeug checks a declared Content-Length against MAX_CONTENT_LENGTH, but a chunked body it silently cuts
at the limit, so 10 MB of JSON read as 1 MiB of broken JSON (400) instead of too large (413). Such a body is
read here first, up to one byte past the limit: over it is a 413; within it, the application reads it as
if it had been sent with its length."""

from __future__ import annotations

import io

from flask import Flask, current_app, request
from werkzeug.exceptions import RequestEntityTooLarge


def _buffer_streamed_body() -> None:
    environ = request.environ
    if environ.get("CONTENT_LENGTH") or "chunked" not in environ.get("HTTP_TRANSFER_ENCODING", "").lower():
        return
    limit = current_app.config["MAX_CONTENT_LENGTH"]
    data = environ["wsgi.input"].read(limit + 1)
    if len(data) > limit:
        raise RequestEntityTooLarge()  # the error handler answers 413 payload_too_large
    environ["wsgi.input"] = io.BytesIO(data)
    environ["CONTENT_LENGTH"] = str(len(data))


def install_body_limit(app: Flask) -> None:
    # first of the before_request hooks: install_auth and the metrics come later (build_service)
    app.before_request(_buffer_streamed_body)
