"""The Flask ceiling peer of bench/write_peers.py: Flask parses the JSON body and answers 201 with a small JSON
body, touching nothing else. What any Flask write endpoint here can reach at most, before it does any work."""

from __future__ import annotations

import uuid

from flask import Flask, Response, jsonify, request

app = Flask(__name__)


@app.post("/api/v1/participants/<participant_id>/fundings")
def fund(participant_id: str) -> tuple[Response, int]:
    request.get_json()
    return jsonify({"event_id": str(uuid.uuid4()), "type": "participant.funded",
                    "participant_id": participant_id}), 201
