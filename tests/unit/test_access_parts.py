"""The pure parts of access: token parsing, log redaction, request budgets, the session secret, and the
scope levels on a hierarchy without districts (Vietnam since July 2025)."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared import ratelimit
from shared.auth import parse_token
from shared.config import Config
from shared.logging import redact
from shared.orgunits import OrgTree
from shared.permissions import may_post
from shared.sessions import secret_key

SECRET = "dLvqEMgfsawTvF66MXby3g7rVoB1_A_fzqRWjIN1RU4"


def test_well_formed_tokens_parse() -> None:
    assert parse_token(f"tp_965c69c7cad2_{SECRET}") == ("965c69c7cad2", SECRET)


@pytest.mark.parametrize("token", ["", "tp_", "tp__x", f"tp_965c69c7cad2{SECRET}", f"tp_965C69C7CAD2_{SECRET}",
                                   "tp_965c69c7cad2_short", f"xx_965c69c7cad2_{SECRET}", f"tp_965c69c7cad2_{SECRET} ",
                                   f"tp_{'a' * 40}_{SECRET}", f"tp_965c69c7cad2_{SECRET}\x00", "tp_é_" + "x" * 20])
def test_malformed_tokens_do_not_parse(token: str) -> None:
    assert parse_token(token) is None


@given(st.text(max_size=300))
def test_parsing_any_text_never_raises(text: str) -> None:
    parsed = parse_token(text)
    assert parsed is None or text == f"tp_{parsed[0]}_{parsed[1]}"


@pytest.mark.parametrize(("line", "clean"), [
    (f"key tp_965c69c7cad2_{SECRET} made", "key tp_965c69c7cad2_*** made"),
    ("Authorization: Bearer abc.def", "Authorization: Bearer ***"),
    ("username=lan&password=hunter2&next=/", "username=lan&password=***&next=/"),
    ("{'password': 'two words'}", "{'password': '***'}"),
    ('{"password_hash": "$argon2id$v=19"}', '{"password_hash": "***"}'),
    ("Cookie: tienphong_session=eyJzaWQiOi.abc; lang=vi", "Cookie: tienphong_session=***; lang=vi"),
    ("phone 0912345678.", "phone 091****678."),
    ("phone 0912 345 678", "phone 091****678"),
    ("+84912345678", "+8491****678"),
    ("event 3f6e2a10-0123-4567-8901-0123456789ab", "event 3f6e2a10-0123-4567-8901-0123456789ab"),
    ("amount_vnd 50000000, on 2017-06-10", "amount_vnd 50000000, on 2017-06-10"),
])
def test_redaction(line: str, clean: str) -> None:
    assert redact(line) == clean


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(ratelimit.time, "monotonic", fake)
    return fake


def test_token_bucket_allows_a_burst_then_one_per_interval(clock: Clock) -> None:
    limiter = ratelimit.RateLimiter(per_minute=60, burst=3)
    assert [limiter.acquire("k") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert limiter.acquire("k") == pytest.approx(1.0)
    assert limiter.acquire("other") == 0.0
    clock.now += 1.0
    assert limiter.acquire("k") == 0.0
    assert ratelimit.retry_after_header(0.2) == "1" and ratelimit.retry_after_header(9.1) == "10"


def test_window_limiter_does_not_refill_within_the_window(clock: Clock) -> None:
    limiter = ratelimit.WindowLimiter(limit=2, window=60.0)
    assert limiter.acquire("lan") == 0.0
    clock.now += 30
    assert limiter.acquire("lan") == 0.0
    assert limiter.acquire("lan") == pytest.approx(30.0)  # until the first attempt leaves the window
    clock.now += 29
    assert limiter.acquire("lan") == pytest.approx(1.0)
    clock.now += 1
    assert limiter.acquire("lan") == 0.0


def test_session_secret_is_made_once_and_kept_private(tmp_path: Path) -> None:
    config = Config(service="reporting", data_dir=tmp_path / "data")
    first = secret_key(config)
    assert len(first) == 64 and secret_key(config) == first
    assert stat.S_IMODE((tmp_path / "data" / "secret_key").stat().st_mode) == 0o600
    assert list((tmp_path / "data").iterdir()) == [tmp_path / "data" / "secret_key"]  # no drafts left
    assert secret_key(Config(service="reporting", data_dir=tmp_path, secret_key="x" * 40)) == "x" * 40


def test_scope_levels_on_a_hierarchy_without_districts() -> None:
    tree = OrgTree.from_nested([{"code": "TH", "name": "Thanh Hóa", "level": "province", "children": [
        {"code": "XH", "name": "Xuân Hòa", "level": "commune", "children": [
            {"code": "XH-D", "name": "Thôn Đông", "level": "branch"}]}]}])
    assert may_post(tree, "union", "TH", "participant.selected")  # the province decides
    assert not may_post(tree, "union", "XH", "participant.selected")
    assert may_post(tree, "union", "XH", "participant.registered")
    assert not may_post(tree, "union", "XH-D", "participant.registered")
    assert not may_post(tree, "viewer", "TH", "event.retracted", posted_by_agency="a", agency="a")
    assert may_post(tree, "bank", "XH", "event.retracted", posted_by_agency="a", agency="a")
    assert not may_post(tree, "bank", "XH", "event.retracted", posted_by_agency="a", agency="b")
    assert may_post(tree, "admin", "XH", "event.retracted", posted_by_agency="a", agency="b")
