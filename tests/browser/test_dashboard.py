"""The dashboard in headless Chromium against the running system with demo data: log in, drill from the
province to a participant, change the date and the period, trace a figure, download, see an event arrive
live, stay inside one's scope; every figure on the page is checked against the API's."""

from __future__ import annotations

import csv
import io
import os
import re
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
import requests
from openpyxl import load_workbook

from tests.browser.stack import Stack, registration

# The first test also starts the system and loads the whole demo program through the API (1-3 minutes).
pytestmark = pytest.mark.timeout(900)
REPO = Path(__file__).resolve().parents[2]
METRICS = ("registered", "selected", "rejected", "trained", "funded", "supported", "evaluated", "successful",
           "commended", "replications", "funding_vnd", "jobs_created")
CHILD_METRICS = ("registered", "selected", "trained", "funded", "evaluated", "successful", "funding_vnd",
                 "jobs_created")


def vi_number(text: str) -> int:
    """ "1.234.567 đ" -> 1234567 (Vietnamese grouping with dots, the đồng sign after)."""
    cleaned = text.replace("đ", "").replace("\u00a0", " ").strip()
    assert re.fullmatch(r"-?\d{1,3}(\.\d{3})*", cleaned), f"not a vi-VN number: {text!r}"
    return int(cleaned.replace(".", ""))


def eventually(check: Callable[[], Any], timeout: float = 20.0, interval: float = 0.25) -> Any:
    """Retry `check` until it stops raising AssertionError."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return check()
        except AssertionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(interval)


def loaded(page: Any) -> None:
    page.wait_for_selector("body[data-loaded='true']")


def shown_figures(page: Any) -> dict[str, int]:
    texts = page.eval_on_selector_all("button.figure[data-metric]",
                                      "nodes => nodes.map(n => [n.dataset.metric, n.textContent])")
    return {metric: vi_number(text) for metric, text in texts}


def as_of_on(page: Any) -> str:
    return str(page.input_value("#as-of"))


def check_page_equals_api(page: Any, stack: Stack, code: str) -> dict[str, Any]:
    """Every figure of the org page equals the API's summary at the page's as_of."""
    summary = stack.get(f"summary/{code}", as_of=as_of_on(page))
    assert shown_figures(page) == {m: summary["totals"][m] for m in METRICS}
    target = page.locator("#target-text")
    assert target.get_attribute("data-achieved") == str(summary["target"]["achieved"])
    assert target.get_attribute("data-target") == str(summary["target"]["successful_models"])
    if summary["target"]["successful_models"]:
        words = "successful models" if page.locator("html").get_attribute("lang") == "en" else "mô hình thành công"
        goal = summary["target"]
        assert f"{goal['achieved']}/{goal['successful_models']} {words}" in target.inner_text()
    sources = {row.get_attribute("data-source"): vi_number(row.locator("td").first.inner_text())
               for row in page.locator("#table-sources tbody tr[data-source]").all()}
    assert sources == summary["funding_by_source"]
    sectors = {row.get_attribute("data-sector"): [vi_number(c) for c in row.locator("td").all_inner_texts()]
               for row in page.locator("#table-sectors tbody tr[data-sector]").all()}
    assert sectors == {s: [f["selected"], f["successful"]] for s, f in summary["by_sector"].items()}
    for child in summary["children"]:
        row = page.locator(f"#table-children tbody tr[data-org='{child['org_unit']['code']}']")
        assert row.locator("th").inner_text() == child["org_unit"]["name"]
        for metric in CHILD_METRICS:
            assert vi_number(row.locator(f"td[data-metric='{metric}']").inner_text()) == child["totals"][metric], \
                (child["org_unit"]["code"], metric)
    return summary


def figures_match(page: Any, stack: Stack, code: str) -> Callable[[], dict[str, Any]]:
    return lambda: check_page_equals_api(page, stack, code)


def test_login_and_drill_from_province_to_participant(open_browser: Any, stack: Stack, artifacts: Path) -> None:
    page, errors = open_browser(login=False)
    page.goto("/dashboard/TH")
    assert "/login" in page.url and unquote(page.url).endswith("next=/dashboard/TH")
    page.get_by_label("Tên đăng nhập").fill("lanh-dao-tinh")
    page.get_by_label("Mật khẩu").fill("mat-khau-thu-nghiem-2017")
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url("**/dashboard/TH")
    loaded(page)
    province = eventually(figures_match(page, stack, "TH"))
    assert province["totals"]["registered"] > 30
    assert page.locator("#table-children tbody tr").count() == 4  # the four districts
    page.screenshot(path=artifacts / "1-province.png", full_page=True)

    # one level down: the district, from its row in the province's table
    page.locator("#table-children tbody tr[data-org='TX'] a").click()
    page.wait_for_url("**/dashboard/TX")
    loaded(page)
    district = eventually(figures_match(page, stack, "TX"))
    assert page.locator("nav.crumbs li").all_inner_texts() == ["Thanh Hóa", "Thọ Xuân"]
    # sort the communes by registrations, most first
    page.locator("#table-children thead button[data-sort='registered']").click()
    assert page.locator("#table-children thead th[aria-sort]").get_attribute("aria-sort") == "descending"
    shown = [vi_number(t) for t in page.locator("#table-children tbody td[data-metric='registered']").all_inner_texts()]
    assert shown == sorted((c["totals"]["registered"] for c in district["children"]), reverse=True)
    page.screenshot(path=artifacts / "2-district.png", full_page=True)

    # the commune with most registrations, then its participant list
    page.locator("#table-children tbody tr").first.locator("a").click()
    page.wait_for_url(re.compile(r".*/dashboard/TX-[A-Z]+$"))
    loaded(page)
    commune = page.url.rsplit("/", 1)[1]
    eventually(figures_match(page, stack, commune))
    registered = stack.get(f"summary/{commune}/events", metric="registered", as_of=as_of_on(page))["events"]
    rows = page.locator("#table-participants tbody tr[data-participant]")
    eventually(lambda: _equal(rows.count(), len(registered)))
    names = sorted(rows.locator("th").all_inner_texts())
    assert names == sorted(e["data"]["full_name"] for e in registered)
    page.screenshot(path=artifacts / "3-commune.png", full_page=True)

    # and one participant's timeline
    first = rows.first
    participant_id = first.get_attribute("data-participant")
    name = first.locator("th").inner_text()
    first.locator("a").click()
    page.wait_for_url(f"**/dashboard/participant/{participant_id}")
    loaded(page)
    timeline = stack.get(f"participants/{participant_id}/timeline")["events"]
    eventually(lambda: _equal(page.locator("#timeline li").count(), len(timeline)))
    assert page.locator("#timeline li").evaluate_all("items => items.map(i => i.dataset.event)") == \
        [e["event_id"] for e in timeline]
    assert name in page.locator("h1").inner_text()
    assert page.locator("nav.crumbs li").all_inner_texts()[-1] == name
    assert page.locator("#timeline li").first.locator(".meta").inner_text().startswith("Đơn vị ghi nhận: ")
    page.screenshot(path=artifacts / "4-participant.png", full_page=True)
    assert errors.messages == []


def _equal(a: Any, b: Any) -> None:
    assert a == b, (a, b)


def test_as_of_period_report_and_downloads(open_browser: Any, stack: Stack, artifacts: Path) -> None:
    page, errors = open_browser()
    page.goto("/dashboard/TX")
    loaded(page)
    page.fill("#as-of", "2017-06-20")
    eventually(lambda: _equal(as_of_on(page), "2017-06-20"))
    assert "as_of=2017-06-20" in page.url
    early = eventually(figures_match(page, stack, "TX"))
    later = stack.get("summary/TX", as_of="2018-12-31")
    assert 0 < early["totals"]["registered"] < later["totals"]["registered"] and early["totals"]["trained"] == 0
    # links down carry the date
    assert "as_of=2017-06-20" in str(page.locator("#table-children tbody a").first.get_attribute("href"))

    page.fill("#as-of", "2018-12-31")
    eventually(figures_match(page, stack, "TX"))
    page.select_option("#period-kind", "year")
    page.select_option("#period", "2018")
    assert "period=2018" in page.url
    report = stack.get("reports/TX", period="2018")

    def report_shown() -> None:
        code = report["period"]["code"]
        last_year = stack.get("reports/TX", period=f"{int(code[:4]) - 1}{code[4:]}")
        for key in ("registrations", "evaluations", "funding_vnd", "successful_change", "commendations"):
            cells = page.locator(f"#table-report tr[data-report='in_period.{key}'] td").all_inner_texts()
            assert [vi_number(c) for c in cells] == [report["in_period"][key], report["previous"]["in_period"][key],
                                                     last_year["in_period"][key]]
        cells = page.locator("#table-report tr[data-report='cumulative.successful'] td").all_inner_texts()
        assert [vi_number(c) for c in cells] == [report["cumulative"]["successful"],
                                                 report["previous"]["cumulative"]["successful"],
                                                 last_year["cumulative"]["successful"]]

    eventually(report_shown)
    assert "Năm 2018" in page.locator("#report-this").inner_text()
    assert "Năm 2017" in page.locator("#report-prev").inner_text()
    page.select_option("#period-kind", "half_year")
    page.select_option("#period", "2018-H2")
    report = stack.get("reports/TX", period="2018-H2")
    eventually(report_shown)
    assert "6 tháng cuối năm 2018" in page.locator("#report-this").inner_text()

    # the trend has one point per month end up to as_of's month, from one series request, equal to the summaries
    trend = page.locator("#table-trend tbody tr")
    eventually(lambda: _equal(trend.last.get_attribute("data-month"), "2018-12"))
    series = stack.get("series/TX", to="2018-12")
    assert trend.count() == len(series["points"]) and series["points"][0]["month"] == series["active"]["first"][:7]
    for month, end in (("2017-06", "2017-06-30"), ("2018-02", "2018-02-28")):
        shown = page.locator(f"#table-trend tbody tr[data-month='{month}'] td").all_text_contents()  # folded away
        at_end = stack.get("summary/TX", as_of=end)["totals"]
        assert [vi_number(c) for c in shown] == [at_end[m] for m in ("registered", "selected", "trained", "funded",
                                                                      "successful")]

    # downloads of what is on screen: the summary at as_of, the report of the period
    with page.expect_download() as info:
        page.click("#dl-summary-csv")
    download = info.value
    assert download.suggested_filename == "tong-hop-TX-2018-12-31.csv"
    saved = artifacts / download.suggested_filename
    download.save_as(saved)
    rows = list(csv.reader(io.StringIO(saved.read_text(encoding="utf-8-sig"))))
    totals = stack.get("summary/TX", as_of="2018-12-31")["totals"]
    total = next(r for r in rows if r and r[0] == "Tổng cộng")  # below it, the definitions
    assert int(total[1]) == totals["registered"]
    with page.expect_download() as info:
        page.click("#dl-report-xlsx")
    download = info.value
    assert download.suggested_filename == "bao-cao-TX-2018-H2.xlsx"
    saved = artifacts / download.suggested_filename
    download.save_as(saved)
    sheet = load_workbook(saved).active
    assert sheet is not None
    last = next(r for r in sheet.values if r and r[0] == "Tổng cộng")
    assert last[1] == report["in_period"]["registrations"]

    # the district page as the README shows it, and as it prints on A4
    page.set_viewport_size({"width": 1280, "height": 900})
    page.select_option("#period-kind", "year")
    page.select_option("#period", "2018")
    eventually(figures_match(page, stack, "TX"))
    page.locator("#table-children thead button[data-sort='successful']").click()
    page.wait_for_timeout(300)
    page.screenshot(path=artifacts / "district-2018.png", full_page=True)
    if os.environ.get("TIENPHONG_UPDATE_SCREENSHOTS") == "1":  # the README's picture, refreshed on request
        page.screenshot(path=REPO / "docs" / "dashboard-district.png", full_page=True)
    page.emulate_media(media="print")
    page.pdf(path=str(artifacts / "district-A4.pdf"), format="A4", print_background=True)
    assert page.locator("#controls").is_hidden()
    page.emulate_media(media="screen")
    assert errors.messages == []


def test_a_figure_lists_its_events_with_the_posting_agency(open_browser: Any, stack: Stack,
                                                            artifacts: Path) -> None:
    page, errors = open_browser()
    page.goto("/dashboard/TX?as_of=2018-12-31")
    loaded(page)
    funded = stack.get("summary/TX/events", metric="funded", as_of="2018-12-31")["events"]
    # keyboard only: focus the figure, Enter opens the list, Escape closes it and gives focus back
    figure = page.get_by_role("button", name=re.compile(r"^Được vay vốn \d[\d.]*$"))  # label and number
    assert figure.get_attribute("data-metric") == "funded"
    asked: list[str] = []
    page.on("request", lambda request: asked.append(request.url) if "/events?" in request.url else None)
    figure.focus()
    page.keyboard.press("Enter")
    dialog = page.locator("dialog#trace")
    dialog.wait_for(state="visible")
    rows = dialog.locator("tbody tr[data-event]")
    eventually(lambda: _equal(rows.count(), len(funded)))
    # one request, for the latest few only: a province's whole list would be tens of megabytes
    assert len(asked) == 1 and "metric=funded" in asked[0] and "limit=300" in asked[0], asked
    assert sorted(rows.evaluate_all("rs => rs.map(r => r.dataset.event)")) == sorted(e["event_id"] for e in funded)
    agencies = set(dialog.locator("td.agency").evaluate_all("cells => cells.map(c => c.dataset.agency)"))
    assert agencies == {e["source"]["agency"] for e in funded}
    # named as their keys are, not by id
    assert "NH Chính sách xã hội Thanh Hóa" in dialog.locator("td.agency").all_inner_texts()
    # each row names its participant as registered (the list carries the names)
    names = dialog.locator("tbody tr[data-event] td a").all_inner_texts()
    assert sorted(names) == sorted(e["participant_name"] for e in funded) and all(names)
    assert "nhcsxh-thanh-hoa" in agencies  # the bank posted the VBSP loans
    assert "Vay vốn" in dialog.locator("h2").inner_text() or "vay vốn" in dialog.locator("h2").inner_text()
    page.screenshot(path=artifacts / "5-trace.png")
    page.keyboard.press("Escape")
    dialog.wait_for(state="hidden")
    assert page.evaluate("document.activeElement.dataset.metric") == "funded"

    # the successful models: the latest evaluation of each, posted by the union
    page.locator("button.figure[data-metric='successful']").click()
    successful = stack.get("summary/TX/events", metric="successful", as_of="2018-12-31")["events"]
    eventually(lambda: _equal(dialog.locator("tbody tr[data-event]").count(), len(successful)))
    assert successful and all(e["type"] == "participant.evaluated" for e in successful)
    page.keyboard.press("Escape")
    assert errors.messages == []


def test_a_new_registration_appears_without_a_reload(open_browser: Any, stack: Stack, artifacts: Path) -> None:
    page, errors = open_browser()
    page.goto("/dashboard/TX-XUANLAP")
    loaded(page)
    page.evaluate("window.__sameDocument = true")
    before = shown_figures(page)["registered"]
    rows_before = page.locator("#table-participants tbody tr[data-participant]").count()
    today = date.today().isoformat()
    reply = requests.post(f"{stack.urls['registration']}/api/v1/participants", headers=stack.auth("union"),
                          json=registration("Hoàng Thị Sen", "TX-XUANLAP", today, "Trồng rau an toàn",
                                            birth_date=f"{date.today().year - 25}-05-06"), timeout=30)
    assert reply.status_code == 201, reply.text
    eventually(lambda: _equal(shown_figures(page)["registered"], before + 1), timeout=15)
    eventually(lambda: _equal(page.locator("#table-participants tbody tr[data-participant]").count(), rows_before + 1))
    assert "Hoàng Thị Sen" in page.locator("#table-participants").inner_text()
    assert page.evaluate("window.__sameDocument") is True  # updated in place, not reloaded
    eventually(figures_match(page, stack, "TX-XUANLAP"))
    page.screenshot(path=artifacts / "6-live.png", full_page=True)
    assert errors.messages == []


def test_a_viewer_sees_only_their_scope(open_browser: Any, stack: Stack, artifacts: Path) -> None:
    page, errors = open_browser("huyen-doan-tho-xuan")
    assert page.url.endswith("/dashboard/TX")
    loaded(page)
    assert page.locator("nav.crumbs li").all_inner_texts() == ["Thọ Xuân"]  # nothing above the scope
    reply = page.goto("/dashboard/TH")
    assert reply is not None and reply.status == 403
    assert "nằm ngoài phạm vi" in page.locator("main").inner_text()
    reply = page.goto("/dashboard/TS")
    assert reply is not None and reply.status == 403
    outside = stack.get("summary/TS/events", metric="registered", as_of="2018-12-31")["events"][0]
    reply = page.goto(f"/dashboard/participant/{outside['participant_id']}")
    assert reply is not None and reply.status == 403
    reply = page.goto("/dashboard/NOWHERE")
    assert reply is not None and reply.status == 404
    # the API behind the page answers the session within the same scope only
    assert page.request.get("/api/v1/summary/TH").status == 403
    assert page.request.get("/api/v1/summary/TX").status == 200
    page.screenshot(path=artifacts / "7-forbidden.png")
    assert errors.messages == [] or all("403" in m or "404" in m for m in errors.messages)


def test_english_phone_and_signed_out(open_browser: Any, browser: Any, stack: Stack, artifacts: Path,
                                     signed_in_states: dict[str, Any]) -> None:
    page, errors = open_browser(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page.goto("/dashboard/TX?as_of=2018-12-31&lang=en")
    loaded(page)
    assert page.locator("#h-funnel").inner_text() == "Programme lifecycle"
    assert page.locator("html").get_attribute("lang") == "en"
    eventually(figures_match(page, stack, "TX"))
    funding = page.locator("button.figure[data-metric='funding_vnd']").inner_text()
    assert re.fullmatch(r"\d{1,3}(\.\d{3})+ đ", funding), funding  # Vietnamese format in English too
    # readable on a phone: nothing wider than the screen except inside the scrolling table regions
    assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")
    page.screenshot(path=artifacts / "8-phone-en.png", full_page=True)
    # English follows to the next page; the switch goes back to Vietnamese and keeps as_of
    page.locator("#table-children tbody a").first.click()
    page.wait_for_url(re.compile(r".*/dashboard/TX-[A-Z]+\?as_of=2018-12-31&lang=en$"))
    loaded(page)
    assert page.locator("#h-funnel").inner_text() == "Programme lifecycle"
    switch = page.locator("#lang-switch")
    assert "as_of=2018-12-31" in str(switch.get_attribute("href")) and "lang=vi" in str(switch.get_attribute("href"))
    switch.click()
    page.wait_for_url("**lang=vi")
    loaded(page)
    assert page.locator("#h-funnel").inner_text() == "Các bước của chương trình"
    assert errors.messages == []

    # signing out ends the session: the page sends the reader back to the login
    page.get_by_role("button", name="Đăng xuất").click()
    page.wait_for_url("**/login**")
    # the next test signs in again: another worker may honour this session from its cache for a few seconds, so
    # a check of the old cookie could pass there and a later request fail with 401
    signed_in_states.pop("lanh-dao-tinh", None)
    page.goto("/dashboard/TX")
    assert "/login?next=" in page.url


def test_a_leader_s_page_views_are_few_requests_and_fit_a_phone(open_browser: Any, stack: Stack,
                                                                 artifacts: Path) -> None:
    page, errors = open_browser(viewport={"width": 1366, "height": 900})
    asked: list[str] = []
    page.on("request", lambda request: asked.append(request.url) if "/api/v1/" in request.url else None)
    page.goto("/dashboard/TH")
    loaded(page)
    page.wait_for_timeout(500)  # whatever else the page would ask for
    assert len(asked) <= 6, asked
    assert any("/api/v1/series/TH" in url for url in asked) and not any("/summary/TH?" in url for url in asked)
    # the landing view: cumulative as of today, the latest month with activity, the trend over the active range
    series = stack.get("series/TH")
    assert series["active"] and page.locator("#table-trend tbody tr").count() == len(series["points"])
    assert page.locator("#table-trend tbody tr").first.get_attribute("data-month") == series["active"]["first"][:7]
    assert page.input_value("#period") == series["active"]["last"][:7]
    # every district against its target, in words: the one furthest behind last, with how many it lacks
    summary = stack.get("summary/TH")
    behind = min(summary["children"], key=lambda c: c["totals"]["successful"])
    goal, achieved = behind["target"]["successful_models"], behind["totals"]["successful"]
    assert achieved < goal
    row = page.locator(f"#targets li[data-org='{behind['org_unit']['code']}']")
    assert row.get_attribute("data-status") == "not_reached"
    assert f"Chưa đạt – còn thiếu {goal - achieved}" in row.inner_text()
    assert page.locator("#targets li").last.get_attribute("data-org") == behind["org_unit"]["code"]
    page.goto("/dashboard/TX")  # communes have no target: the sentence says so, no list of empty bars
    loaded(page)
    assert "chưa được giao chỉ tiêu" in page.locator("#targets-summary").inner_text()
    assert page.locator("#targets").is_hidden()
    assert page.locator("#table-children td[data-status='no_target']").first.inner_text() == "Chưa giao chỉ tiêu"
    page.goto("/dashboard/TH")
    loaded(page)
    reached = page.locator("#targets li[data-status='reached'] .status").first
    assert reached.inner_text() == "Đạt"
    # a figure explains itself on tap, and says how it counts
    definition = page.locator("#funnel details.def").first
    assert "lũy kế" in str(definition.locator("summary").get_attribute("title"))
    definition.locator("summary").click()
    assert definition.locator("p").is_visible()
    definition.locator("summary").click()
    assert "Lũy kế" in page.locator("#overview-scope").inner_text()
    assert "Phát sinh trong kỳ" in page.locator("#report-scope").inner_text()
    # the six-month report ready to sign, of the period on screen
    page.select_option("#period-kind", "half_year")
    page.select_option("#period", "2018-H1")
    for kind, mime in (("docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
                       ("pdf", "application/pdf")):
        href = str(page.locator(f"#dl-report-{kind}").get_attribute("href"))
        assert href == f"/api/v1/reports/TH.{kind}?period=2018-H1", href
        reply = page.request.get(href)
        assert reply.status == 200 and reply.headers["content-type"].startswith(mime), (kind, reply.status)
    # the alerts: the districts behind their path, with the reason
    behind_alerts = page.locator("#alerts details[data-kind='behind_target'] li")
    assert behind["org_unit"]["code"] in behind_alerts.evaluate_all("items => items.map(i => i.dataset.org)")
    page.screenshot(path=artifacts / "9-province-1366.png", full_page=True)

    # a filter keeps the figures of the participants it keeps; a past report as known then says what changed
    page.goto("/dashboard/TH?as_of=2018-12-31&period=2018-H1")
    loaded(page)
    page.select_option("#filter-sector", "livestock")
    livestock = stack.get("dashboard/TH", as_of="2018-12-31", period="2018-H1", sector="livestock")["summary"]
    assert 0 < livestock["totals"]["registered"] < summary["totals"]["registered"]
    eventually(lambda: _equal(shown_figures(page)["registered"], livestock["totals"]["registered"]))
    assert "Chăn nuôi" in page.locator("#filtered-note").inner_text() and "sector=livestock" in page.url
    page.select_option("#filter-sector", "")
    page.check("input[name='known'][value='then']")
    assert "known_at=2018-07-01" in page.url
    eventually(lambda: _equal(page.locator("#restated").is_visible(), True))
    assert page.locator("#restated").get_attribute("data-restated") in ("true", "false")

    # ten reloads in a row: never a 429
    for _ in range(10):
        page.reload()
        loaded(page)
    assert not [m for m in errors.messages if "HTTP 429" in m], errors.messages

    # readable at 360 px: no page wider than the screen (tables scroll inside, or become cards)
    page.set_viewport_size({"width": 360, "height": 780})
    commune = max(stack.get("summary/TX")["children"], key=lambda c: c["totals"]["registered"])["org_unit"]["code"]
    for name, path in (("province", "/dashboard/TH"), ("district", "/dashboard/TX?period=2018-H1"),
                       ("commune", f"/dashboard/{commune}?as_of=2018-12-31")):
        page.goto(path)
        loaded(page)
        page.wait_for_timeout(200)
        assert page.evaluate("document.documentElement.scrollWidth") <= 360, name
        page.screenshot(path=artifacts / f"10-{name}-360.png", full_page=True)
    card = page.locator("#table-participants tbody tr[data-participant]").first
    assert card.evaluate("row => getComputedStyle(row).display") == "block"  # a card per participant
    card.locator("a").click()
    loaded(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.screenshot(path=artifacts / "10-participant-360.png", full_page=True)
    assert errors.messages == []
