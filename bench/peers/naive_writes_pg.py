"""The naive peer of bench/write_peers.py on PostgreSQL: Flask, a JSON body, one event row and one outbox row per
request in one transaction, synchronous_commit=on (the write services' durability), one connection per thread:
no authentication, validation, rules or idempotency. NAIVE_PG_URL names the database (a libpq URL)."""

from __future__ import annotations

import json
import os
import threading
import uuid
from datetime import UTC, datetime

import psycopg
from flask import Flask, Response, jsonify, request

app = Flask(__name__)
_local = threading.local()
SCHEMA = ("CREATE TABLE IF NOT EXISTS naive_events (event_id TEXT PRIMARY KEY, participant_id TEXT NOT NULL, "
          "type TEXT NOT NULL, recorded_at TEXT NOT NULL, data TEXT NOT NULL)",
          "CREATE TABLE IF NOT EXISTS naive_outbox (id BIGSERIAL PRIMARY KEY, topic TEXT NOT NULL, "
          "key TEXT NOT NULL, value BYTEA NOT NULL)")


def connection() -> psycopg.Connection:
    conn: psycopg.Connection | None = getattr(_local, "conn", None)
    if conn is None:
        conn = psycopg.connect(os.environ["NAIVE_PG_URL"], options="-c synchronous_commit=on")
        with conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(7302)")  # workers create the tables one at a time
            for statement in SCHEMA:
                conn.execute(statement)
        _local.conn = conn
    return conn


@app.post("/api/v1/participants/<participant_id>/fundings")
def fund(participant_id: str) -> tuple[Response, int]:
    data = request.get_json()
    event_id = str(uuid.uuid4())
    event = {"event_id": event_id, "type": "participant.funded", "participant_id": participant_id, "data": data}
    conn = connection()
    with conn.transaction():
        conn.execute("INSERT INTO naive_events VALUES (%s, %s, %s, %s, %s)",
                     (event_id, participant_id, "participant.funded", datetime.now(UTC).isoformat(),
                      json.dumps(data)))
        conn.execute("INSERT INTO naive_outbox (topic, key, value) VALUES (%s, %s, %s)",
                     ("support.events", participant_id, json.dumps(event).encode()))
    return jsonify({"event_id": event_id, "type": "participant.funded", "participant_id": participant_id}), 201
