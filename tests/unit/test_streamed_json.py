"""A long list is written in chunks: whatever the number of items, the chunks join into the same JSON as
one document (no missing or doubled commas at chunk edges)."""

from __future__ import annotations

import json

import pytest

from shared.web import STREAMED_CHUNK, streamed_json


@pytest.mark.parametrize("count", [0, 1, 2, STREAMED_CHUNK - 1, STREAMED_CHUNK, STREAMED_CHUNK + 1,
                                   3 * STREAMED_CHUNK + 7])
def test_streamed_chunks_join_into_one_document(count: int) -> None:
    items = [{"n": n, "name": "Lê Thị Hồng", "data": {"amount_vnd": 10**12}} for n in range(count)]
    head = {"org_unit": "TX", "count": count}
    chunks = list(streamed_json(head, "events", iter(items)))
    assert json.loads(b"".join(chunks)) == {**head, "events": items}
    assert len(chunks) == 2 + -(-count // STREAMED_CHUNK)  # head, one per chunk of items, tail
