"""The floor peer of bench/write_peers.py for SQLite: Flask, a JSON body, one event row and one outbox row per
request in one transaction, with the write services' durability (WAL, synchronous=FULL): no authentication,
validation, rules or idempotency. NAIVE_DB names the file."""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import uuid
from datetime import UTC, datetime

from flask import Flask, Response, jsonify, request

app = Flask(__name__)
_local = threading.local()
SCHEMA = ("CREATE TABLE IF NOT EXISTS events (event_id TEXT PRIMARY KEY, participant_id TEXT NOT NULL, "
          "type TEXT NOT NULL, recorded_at TEXT NOT NULL, data TEXT NOT NULL)",
          "CREATE TABLE IF NOT EXISTS outbox (id INTEGER PRIMARY KEY AUTOINCREMENT, topic TEXT NOT NULL, "
          "key TEXT NOT NULL, value BLOB NOT NULL)")


def connection() -> sqlite3.Connection:
    conn: sqlite3.Connection | None = getattr(_local, "conn", None)
    if conn is None:
        conn = sqlite3.connect(os.environ["NAIVE_DB"], timeout=30, isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("BEGIN IMMEDIATE")
        for statement in SCHEMA:
            conn.execute(statement)
        conn.execute("COMMIT")
        _local.conn = conn
    return conn


@app.post("/api/v1/participants/<participant_id>/fundings")
def fund(participant_id: str) -> tuple[Response, int]:
    data = request.get_json()
    event_id = str(uuid.uuid4())
    event = {"event_id": event_id, "type": "participant.funded", "participant_id": participant_id, "data": data}
    conn = connection()
    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.execute("INSERT INTO events VALUES (?, ?, ?, ?, ?)", (event_id, participant_id, "participant.funded",
                                                                  datetime.now(UTC).isoformat(), json.dumps(data)))
        conn.execute("INSERT INTO outbox (topic, key, value) VALUES (?, ?, ?)",
                     ("support.events", participant_id, json.dumps(event).encode()))
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return jsonify({"event_id": event_id, "type": "participant.funded", "participant_id": participant_id}), 201
