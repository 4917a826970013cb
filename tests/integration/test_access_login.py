"""Dashboard accounts on the reporting service: login page, CSRF on every form, the session cookie's
flags, reads with the cookie within the account's scope, logout, and login attempts rate-limited."""

from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tests.support.system import System
from tienphong import cli

PASSWORD = "mật-khẩu-đủ-dài-2017"
COOKIE = "tienphong_session"
CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf(page: TestResponse) -> str:
    match = CSRF_FIELD.search(page.get_data(as_text=True))
    assert match, page.get_data(as_text=True)
    return match.group(1)


def login(client: FlaskClient, username: str, password: str = PASSWORD, **extra: str) -> TestResponse:
    token = csrf(client.get("/login"))
    return client.post("/login", data={"username": username, "password": password, "csrf_token": token, **extra})


def session_cookie(reply: TestResponse) -> str:
    cookies = [c for c in reply.headers.getlist("Set-Cookie") if c.startswith(f"{COOKIE}=")]
    assert len(cookies) == 1, reply.headers
    return cookies[0]


def summary(client: FlaskClient, org_code: str) -> TestResponse:
    return client.get(f"/api/v1/summary/{org_code}?as_of=2018-12-31")


def test_login_page_is_vietnamese_by_default_and_english_on_request(system: System) -> None:
    page = system.reporting.get("/login")
    assert page.status_code == 200 and page.mimetype == "text/html"
    text = page.get_data(as_text=True)
    assert 'lang="vi"' in text and "Tên đăng nhập" in text and "Mật khẩu" in text
    assert csrf(page)
    assert "Content-Security-Policy" in page.headers and page.headers["Cache-Control"] == "no-store"
    for english in (system.reporting.get("/login?lang=en"),
                    system.reporting.get("/login", headers={"Accept-Language": "en-US,en;q=0.9"})):
        assert 'lang="en"' in english.get_data(as_text=True) and "Username" in english.get_data(as_text=True)
    chosen = system.reporting.get("/login?lang=vi", headers={"Accept-Language": "en"})
    assert "Tên đăng nhập" in chosen.get_data(as_text=True)


def test_login_with_csrf_reads_within_scope_and_logout_ends_the_session(system: System) -> None:
    system.access.create_user("lan", PASSWORD, "TX", "viewer")
    client = system.reporting
    form = csrf(client.get("/login"))

    for wrong in ({}, {"csrf_token": ""}, {"csrf_token": form + "x"}, {"csrf_token": "a" * len(form)}):
        refused = client.post("/login", data={"username": "lan", "password": PASSWORD, **wrong})
        assert refused.status_code == 400
        assert "Biểu mẫu đã hết hạn" in refused.get_data(as_text=True)
        assert summary(client, "TX").status_code == 401  # not logged in

    reply = client.post("/login", data={"username": "lan", "password": PASSWORD, "csrf_token": form})
    assert reply.status_code == 303 and reply.headers["Location"] == "/dashboard/TX"
    cookie = session_cookie(reply)
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie  # plain HTTP here

    inside = summary(client, "TX-XUANHOA")
    assert inside.status_code == 200 and inside.json["org_unit"]["code"] == "TX-XUANHOA"
    outside = summary(client, "TS")
    assert outside.status_code == 403 and outside.json["error"]["code"] == "out_of_scope"
    assert {u["code"] for u in client.get("/api/v1/org-units").json} == {
        "TX", *(u.code for u in system.apps["reporting"].extensions["tienphong"]["tree"].children("TX"))}
    signed_in = client.get("/login")
    assert "lan" in signed_in.get_data(as_text=True) and csrf(signed_in) != form  # a fresh token after login
    # a cookie alone may read, not change anything: unsafe methods also need the CSRF header
    assert client.post("/api/v1/org-units").status_code == 401
    assert client.post("/api/v1/org-units", headers={"X-CSRF-Token": csrf(signed_in)}).status_code == 405

    copied = client.get_cookie(COOKIE)
    assert copied is not None
    assert client.post("/logout", data={}).status_code == 400
    assert summary(client, "TX").status_code == 200  # still logged in
    out = client.post("/logout", data={"csrf_token": csrf(signed_in)})
    assert out.status_code == 303 and out.headers["Location"].startswith("/login")
    assert summary(client, "TX").status_code == 401

    replay = system.apps["reporting"].test_client()
    replay.set_cookie(COOKIE, copied.value)
    assert summary(replay, "TX").status_code == 401  # the copied cookie died with the logout


def test_cookie_is_secure_over_https(system: System) -> None:
    system.access.create_user("https-user", PASSWORD, "TX", "admin")
    client = system.reporting
    page = client.get("/login", base_url="https://localhost")
    assert "Secure" in session_cookie(page)
    reply = client.post("/login", base_url="https://localhost",
                        data={"username": "https-user", "password": PASSWORD, "csrf_token": csrf(page)})
    assert reply.status_code == 303
    cookie = session_cookie(reply)
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_failure_message_is_the_same_for_a_wrong_password_and_an_unknown_user(system: System) -> None:
    system.access.create_user("minh", PASSWORD, "TX", "viewer")
    wrong_password = login(system.apps["reporting"].test_client(), "minh", "sai-mat-khau-roi")
    unknown_user = login(system.apps["reporting"].test_client(), "khong-co-ai", PASSWORD)
    pages = []
    for reply in (wrong_password, unknown_user):
        assert reply.status_code == 401
        pages.append(CSRF_FIELD.sub("", reply.get_data(as_text=True)))
        assert "Tên đăng nhập hoặc mật khẩu không đúng." in pages[-1]
    assert pages[0] == pages[1]


def test_next_is_followed_only_within_the_site(system: System) -> None:
    system.access.create_user("hoa", PASSWORD, "TH", "viewer")
    here = login(system.apps["reporting"].test_client(), "hoa", next="/dashboard/TX?as_of=2018-12-31")
    assert here.headers["Location"] == "/dashboard/TX?as_of=2018-12-31"
    for elsewhere in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        reply = login(system.apps["reporting"].test_client(), "hoa", next=elsewhere)
        assert reply.headers["Location"] == "/dashboard/TH"


def attempt(system: System, username: str, address: str, password: str = "sai-mat-khau-roi") -> TestResponse:
    client = system.apps["reporting"].test_client()
    token = csrf(client.get("/login", environ_base={"REMOTE_ADDR": address}))
    return client.post("/login", environ_base={"REMOTE_ADDR": address},
                       data={"username": username, "password": password, "csrf_token": token})


def test_login_attempts_are_limited_per_username(system: System) -> None:
    system.access.create_user("tuan", PASSWORD, "TX", "viewer")
    # five tries from five addresses use up the username's budget
    assert [attempt(system, "tuan", f"10.1.0.{n}").status_code for n in range(5)] == [401] * 5
    limited = attempt(system, "tuan", "10.1.0.99", PASSWORD)  # even the right password waits
    assert limited.status_code == 429
    assert 1 <= int(limited.headers["Retry-After"]) <= 60
    assert "Quá nhiều lần đăng nhập" in limited.get_data(as_text=True)
    assert attempt(system, "someone-else", "10.1.0.99").status_code == 401  # others are not locked out


def test_login_attempts_are_limited_per_address(system: System) -> None:
    statuses = [attempt(system, f"user-{n}", "10.2.0.1").status_code for n in range(20)]
    assert statuses == [401] * 20
    limited = attempt(system, "user-20", "10.2.0.1")
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) >= 1
    assert attempt(system, "user-21", "10.2.0.2").status_code == 401  # another address still may try


def test_accounts_made_with_the_cli_can_log_in(system: System, monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    for name, value in system.env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("TIENPHONG_NEW_PASSWORD", PASSWORD)
    assert cli.main(["users", "create", "quang", "--scope", "NO-SUCH-UNIT", "--role", "viewer"]) == 2
    assert cli.main(["users", "create", "quang", "--scope", "TS", "--role", "admin"]) == 0
    assert cli.main(["users", "create", "quang", "--scope", "TS", "--role", "admin"]) == 1  # exists
    assert cli.main(["users", "list"]) == 0
    assert "quang\tadmin\tTS" in capsys.readouterr().out
    client = system.apps["reporting"].test_client()
    assert login(client, "quang").status_code == 303
    assert summary(client, "TS").status_code == 200
    assert summary(client, "TX").json["error"]["code"] == "out_of_scope"
