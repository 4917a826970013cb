"""Dashboard accounts in the browser: the login page, a signed session cookie, CSRF tokens, logout.

The cookie is Flask's signed session holding a random session id and the CSRF token; the access
database keeps the id's hash, so logging out ends the session even where the cookie was copied, and
role and scope are read afresh (cached briefly). Login attempts are limited per username and per IP, across
every worker and replica (shared/ratelimit_store.py)."""

from __future__ import annotations

import hmac
import logging
import os
import secrets
from dataclasses import replace
from datetime import timedelta
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Flask,
    Response,
    current_app,
    make_response,
    redirect,
    render_template_string,
    request,
    session,
    url_for,
)
from flask.sessions import SecureCookieSessionInterface
from werkzeug.wrappers import Response as WerkzeugResponse

from shared import i18n
from shared.access_web import use_session_principal
from shared.auth import WRITING_KINDS, AccessStore, Principal
from shared.config import Config
from shared.ratelimit import retry_after_header
from shared.ratelimit_store import login_budget

log = logging.getLogger("tienphong.sessions")

ACCESS = "tienphong.sessions.access"
SECRET_FILE = "secret_key"
SESSION_LIFETIME = timedelta(hours=8)
LOGIN_PER_USERNAME_PER_MINUTE = 5
LOGIN_PER_IP_PER_MINUTE = 20  # a district office behind one address still gets in
MAX_PASSWORD = 1024  # argon2 on a megabyte of "password" is a denial of service
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
GATEWAY_HEADER = "X-Tienphong-Gateway"

TEXTS: dict[str, tuple[str, str]] = {
    "title": ("Đăng nhập", "Sign in"),
    "username": ("Tên đăng nhập", "Username"),
    "password": ("Mật khẩu", "Password"),
    "submit": ("Đăng nhập", "Sign in"),
    "signed_in": ("Bạn đang đăng nhập với tài khoản", "You are signed in as"),
    "scope": ("phạm vi", "scope"),
    "dashboard": ("Mở bảng số liệu", "Open the dashboard"),
    "logout": ("Đăng xuất", "Sign out"),
    "switch": ("English", "Tiếng Việt"),
    "bad_credentials": ("Tên đăng nhập hoặc mật khẩu không đúng.", "Wrong username or password."),
    "bad_csrf": ("Biểu mẫu đã hết hạn hoặc không hợp lệ. Vui lòng thử lại.",
                 "This form has expired or is not valid. Please try again."),
    "rate_limited": ("Quá nhiều lần đăng nhập. Vui lòng thử lại sau {seconds} giây.",
                     "Too many sign-in attempts. Try again in {seconds} seconds."),
}

PAGE = """<!doctype html>
<html lang="{{ lang }}">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ t.title }} · Tiên Phong</title>
<style>body{font-family:system-ui,sans-serif;max-width:24rem;margin:4rem auto;padding:0 1rem}
label,input,button{display:block;width:100%;box-sizing:border-box;margin:.3rem 0}
input,button{padding:.5rem;font-size:1rem}.error{color:#a00;border:1px solid #a00;padding:.5rem}
nav{text-align:right}</style></head>
<body>
<nav><a href="{{ url_for('sessions.login_form', lang=other, next=next or None) }}">{{ t.switch }}</a></nav>
<h1>Tiên Phong · {{ t.title }}</h1>
{% if error %}<p class="error" role="alert">{{ error }}</p>{% endif %}
{% if user %}
<p>{{ t.signed_in }} <strong>{{ user.name }}</strong> ({{ user.kind }}, {{ t.scope }} {{ user.scope }}).</p>
<p><a href="/dashboard/{{ user.scope }}">{{ t.dashboard }}</a></p>
<form method="post" action="{{ url_for('sessions.logout') }}">
<input type="hidden" name="csrf_token" value="{{ csrf }}"><input type="hidden" name="lang" value="{{ lang }}">
<button type="submit">{{ t.logout }}</button></form>
{% else %}
<form method="post" action="{{ url_for('sessions.login') }}">
<input type="hidden" name="csrf_token" value="{{ csrf }}"><input type="hidden" name="lang" value="{{ lang }}">
<input type="hidden" name="next" value="{{ next }}">
<label for="username">{{ t.username }}</label>
<input id="username" name="username" autocomplete="username" maxlength="100" required autofocus>
<label for="password">{{ t.password }}</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit">{{ t.submit }}</button></form>
{% endif %}
</body></html>
"""


class _SessionInterface(SecureCookieSessionInterface):
    """The cookie is `Secure` whenever the request came over HTTPS (gunicorn honours the proxy's
    X-Forwarded-Proto from trusted addresses), and still works on plain-HTTP development set-ups."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return request.is_secure


def secret_key(config: Config) -> str:
    """TIENPHONG_SECRET_KEY, else a random key kept in the data dir (created once, by whichever
    process starts first; the others read it, so every worker signs the same way)."""
    if config.secret_key:
        if len(config.secret_key) < 32:
            log.warning("TIENPHONG_SECRET_KEY is short: session cookies are only as safe as this key")
        return config.secret_key
    path = config.data_dir / SECRET_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        draft = path.with_name(f".{SECRET_FILE}.{os.getpid()}.{secrets.token_hex(4)}")
        descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(secrets.token_hex(32))
        try:
            os.link(draft, path)  # atomic, and never replaces a key another process made first
        except FileExistsError:
            pass
        finally:
            os.unlink(draft)
    return path.read_text(encoding="ascii").strip()


def install_sessions(app: Flask, store: AccessStore, config: Config) -> None:
    """Login/logout pages and cookie sessions on `app`; a session then authenticates /api/v1 reads."""
    install_session_auth(app, store, config)
    app.jinja_env.globals["csrf_token"] = csrf_token
    app.register_blueprint(login_blueprint(store))


def install_session_auth(app: Flask, store: AccessStore, config: Config, writes: bool = False) -> None:
    """The session cookie of the login page (same name, same key) authenticates /api/v1 on `app` too:
    the write services behind the gateway's one address take a person's writes this way (`writes`),
    each with the session's CSRF token in X-CSRF-Token (session_principal)."""
    app.secret_key = secret_key(config)
    app.session_interface = _SessionInterface()
    app.config.update(SESSION_COOKIE_NAME="tienphong_session", SESSION_COOKIE_HTTPONLY=True,
                      SESSION_COOKIE_SAMESITE="Lax", PERMANENT_SESSION_LIFETIME=SESSION_LIFETIME)
    app.extensions[ACCESS] = store
    use_session_principal(app, writer_principal if writes else session_principal)


def csrf_token() -> str:
    """This session's CSRF token (made on first use); every form posts it back as `csrf_token`."""
    token = session.get("csrf")
    if not isinstance(token, str) or not token:
        token = secrets.token_urlsafe(32)
        session["csrf"] = token
    return token


def csrf_ok(submitted: object) -> bool:
    expected = session.get("csrf")
    return (isinstance(expected, str) and bool(expected) and isinstance(submitted, str)
            and hmac.compare_digest(expected.encode(), submitted.encode()))


def signed_in() -> Principal | None:
    """The person whose open session this request's cookie names, if any."""
    session_id = session.get("sid")
    if not isinstance(session_id, str) or not session_id:
        return None
    store: AccessStore = current_app.extensions[ACCESS]
    return store.session_principal(session_id)


def session_principal() -> Principal | None:
    """The logged-in person, for install_auth. A request that changes something must also carry the
    session's CSRF token in X-CSRF-Token: a cookie alone authorizes reads only."""
    if request.method not in SAFE_METHODS and not csrf_ok(request.headers.get("X-CSRF-Token")):
        return None
    return signed_in()


def gateway_token(key: str) -> str:
    """What the gateway (tienphong/gateway.py) sends in GATEWAY_HEADER: only a process holding the services'
    secret key can make it, so only the gateway's X-Forwarded-For is believed."""
    return hmac.new(key.encode(), b"tienphong gateway", "sha256").hexdigest()


def client_address() -> str:
    """The address a login attempt is counted against: the gateway's word for it when the request came
    through the gateway (else every person behind the one address would share one budget), otherwise the
    peer's own address; a forged X-Forwarded-For from anyone else counts for nothing."""
    vouched = request.headers.get(GATEWAY_HEADER, "")
    forwarded = request.headers.get("X-Forwarded-For", "").split(",")[-1].strip()
    key = current_app.secret_key
    if forwarded and vouched and isinstance(key, str) and hmac.compare_digest(vouched, gateway_token(key)):
        return forwarded
    return request.remote_addr or "unknown"


def writer_principal() -> Principal | None:
    """session_principal for the write services: an account not bound to an agency (a reader, an admin)
    writes nothing with its cookie; admins retract with admin keys."""
    principal = session_principal()
    if principal is not None and principal.kind not in WRITING_KINDS:
        return replace(principal, kind="viewer")
    return principal


def _language() -> str:
    chosen = request.values.get("lang")
    if chosen in ("vi", "en"):
        return chosen
    return i18n.language(request.headers.get("Accept-Language"))


def _text(name: str, lang: str, **params: object) -> str:
    vi, en = TEXTS[name]
    return (en if lang == "en" else vi).format(**params)


def _local_target(target: str | None) -> str | None:
    """Only same-site paths are followed after login (no open redirect)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else None


def _page(error: str | None = None, status: int = 200, headers: dict[str, str] | None = None,
          **params: object) -> Response:
    lang = _language()
    user = signed_in()
    texts = {name: en if lang == "en" else vi for name, (vi, en) in TEXTS.items()}
    html = render_template_string(PAGE, t=texts, lang=lang, other="vi" if lang == "en" else "en",
                                  error=_text(error, lang, **params) if error else None, user=user,
                                  next=_local_target(request.values.get("next")) or "", csrf=csrf_token())
    response = make_response(html, status)
    response.headers["Content-Type"] = "text/html; charset=utf-8"
    response.headers["Cache-Control"] = "no-store"
    response.headers["Content-Security-Policy"] = ("default-src 'none'; style-src 'unsafe-inline'; "
                                                   "form-action 'self'; frame-ancestors 'none'")
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _end_session(store: AccessStore) -> None:
    session_id = session.get("sid")
    if isinstance(session_id, str) and session_id:
        store.close_session(session_id)
    session.clear()


def login_blueprint(store: AccessStore) -> Blueprint:
    bp = Blueprint("sessions", __name__)
    # counted in the shared store: the limits hold across workers, replicas and services
    by_ip = login_budget(store.engine, "login-address", LOGIN_PER_IP_PER_MINUTE)
    by_username = login_budget(store.engine, "login-username", LOGIN_PER_USERNAME_PER_MINUTE)

    @bp.get("/login")
    def login_form() -> Response:
        return _page()

    @bp.post("/login")
    def login() -> WerkzeugResponse:
        if not csrf_ok(request.form.get("csrf_token")):
            return _page("bad_csrf", 400)
        username = request.form.get("username", "").strip()[:100]
        password = request.form.get("password", "")
        client = client_address()
        # The address first: attempts refused for it do not use up the username's budget.
        wait = by_ip.acquire(client) or by_username.acquire(username.casefold())
        if wait > 0:
            seconds = retry_after_header(wait)
            log.warning("login attempts limited from %s", client)
            return _page("rate_limited", 429, {"Retry-After": seconds}, seconds=seconds)
        principal = None
        if username and len(password) <= MAX_PASSWORD:
            principal = store.check_password(username, password)
        if principal is None:
            log.info("login failed from %s", client)  # no username: people type passwords there
            return _page("bad_credentials", 401)
        _end_session(store)  # a new login replaces whatever session this browser had
        session.permanent = True
        session["sid"] = store.open_session(username, SESSION_LIFETIME)
        session["csrf"] = secrets.token_urlsafe(32)  # a fresh token for the signed-in session
        log.info("login %s from %s", username, client)
        return redirect(_local_target(request.form.get("next")) or f"/dashboard/{principal.scope}", 303)

    @bp.post("/logout")
    def logout() -> WerkzeugResponse:
        if not csrf_ok(request.form.get("csrf_token")):
            return _page("bad_csrf", 400)
        lang = _language()
        _end_session(store)
        return redirect(url_for(".login_form", lang=lang), 303)

    return bp
