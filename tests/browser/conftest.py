"""Fixtures of the browser tests: the running system with demo data (once per module), Debian's headless
Chromium driven by Playwright, a logged-in page, and the folder screenshots are saved to.

Chromium is Debian's package (/usr/bin/chromium; `make test` installs it when missing), never a browser
build that Playwright downloads. Without it the tests fail (never skip), naming the command that
installs it."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest

from tests.browser.stack import PASSWORD, Stack, running_stack
from tests.support.databases import drop, fresh_template
from tests.support.system import settings

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts" / "browser"
CHROMIUM = Path(os.environ.get("TIENPHONG_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def _unavailable(reason: str) -> None:
    pytest.fail(f"browser tests cannot run: {reason} (apt-get install -y chromium; pip install -e '.[test]')",
                pytrace=False)


@pytest.fixture(scope="session")
def playwright_driver() -> Iterator[Any]:
    if not CHROMIUM.exists():
        _unavailable(f"no Chromium at {CHROMIUM}")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the playwright package is not installed")
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright_driver: Any) -> Iterator[Any]:
    chromium = playwright_driver.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
    try:
        yield chromium
    finally:
        chromium.close()


# The browser stack's processes and database, closed after the last browser test (not at the session's end:
# the e2e and integration tests that follow need the cores and the database connections it would hold)
_stack_exit = ExitStack()


# One system for every browser module (the demo takes minutes to load; the forms' tests only add to it)
@pytest.fixture(scope="session")
def stack(bootstrap: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    try:
        template = fresh_template()
    except Exception as exc:  # noqa: BLE001
        pytest.fail(f"no database for the browser tests: {exc}", pytrace=False)
    data_dir = tmp_path_factory.mktemp("browser")
    _stack_exit.callback(drop, template)
    try:
        yield _stack_exit.enter_context(running_stack(settings(data_dir, bootstrap, template), data_dir))
    finally:
        _stack_exit.close()


@pytest.hookimpl(trylast=True)  # after the test's own fixtures are torn down
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> None:
    if nextitem is None or Path(__file__).parent not in Path(nextitem.path).parents:
        _stack_exit.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


class PageErrors:
    """Console errors and failed requests of a page (a blocked script or a CSP violation shows here)."""

    def __init__(self) -> None:
        self.messages: list[str] = []

    def watch(self, page: Any) -> None:
        page.on("console", lambda m: self.messages.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
        page.on("pageerror", lambda e: self.messages.append(f"page error: {e}"))
        page.on("response", lambda r: self.messages.append(f"HTTP {r.status} {r.request.method} {r.url}")
                if r.status >= 400 else None)


def sign_in(page: Any, errors: PageErrors, username: str) -> None:
    """Through /login. The browser modules sign the same people in many times; the login's limit (5 a minute
    per username, shared.sessions) may answer 429 when they run fast: then, and only then, wait it out."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    for attempt in range(3):
        page.goto("/login")
        page.get_by_label("Tên đăng nhập").fill(username)
        page.get_by_label("Mật khẩu").fill(PASSWORD)
        page.get_by_role("button", name="Đăng nhập").click()
        try:
            page.wait_for_url("**/dashboard/**")
            return
        except PlaywrightTimeout:
            limited = any(m.startswith("HTTP 429 POST") and "/login" in m for m in errors.messages)
            if not limited or attempt == 2:
                raise
            # the refused login is expected here: forget it, and the console line the browser wrote for it
            errors.messages[:] = [m for m in errors.messages if not m.startswith("HTTP 429 POST")
                                  and not (m.startswith("console error: Failed to load resource") and " 429 " in m)]
            page.wait_for_timeout(61_000)


@pytest.fixture(scope="session")
def signed_in_states() -> dict[str, Any]:
    """Each person's cookies after their first login, reused as a returning reader's browser would: the
    login's per-username limit (5 a minute, kept across workers) is then met only by tests about logging in."""
    return {}


@pytest.fixture
def open_browser(browser: Any, stack: Stack,
                 signed_in_states: dict[str, Any]) -> Iterator[Callable[..., tuple[Any, PageErrors]]]:
    """open_browser(username=..., **context options) -> (page, errors), signed in (through /login the first
    time, or again when a test signed that session out)."""
    contexts: list[Any] = []

    def open_(username: str = "lanh-dao-tinh", login: bool = True, **options: Any) -> tuple[Any, PageErrors]:
        state = signed_in_states.get(username) if login else None
        context = browser.new_context(base_url=stack.base, accept_downloads=True, locale="vi-VN",
                                      storage_state=state, **options)
        context.set_default_timeout(20_000)
        contexts.append(context)
        page = context.new_page()
        errors = PageErrors()
        errors.watch(page)
        if state is not None:
            page.goto("/dashboard/")
            if "/login" in page.url:  # that session was signed out
                state = None
        if login and state is None:
            sign_in(page, errors, username)
            signed_in_states[username] = context.storage_state()
        return page, errors

    yield open_
    for context in contexts:
        context.close()
