"""The data-entry forms on a 360 x 740 phone, through the gateway's one address: a commune union account and
a bank account each record what they may (and see it on the dashboard), find the rest absent and refused
by the API, and the offline queue sends each entry once, per account, showing the server's reasons."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

import pytest

from tests.browser.stack import PASSWORD, Stack, registration
from tests.browser.test_dashboard import eventually, loaded, shown_figures

pytestmark = pytest.mark.timeout(900)
PHONE = {"width": 360, "height": 740}
COMMUNE = "TX-XUANHOA"
UNION, BANK, DISTRICT, BUSINESS = "doan-xa-xuan-hoa", "tin-dung-nhcsxh", "bi-thu-huyen-tx", "hiep-hoi-dn-tx"
TODAY = date.today().isoformat()
BORN = f"{date.today().year - 24}-03-04"
POST = """async ([path, body]) => {
  const me = await (await fetch('/api/v1/me')).json();
  const reply = await fetch(path, {method: 'POST', body: JSON.stringify(body), headers: {
    'Content-Type': 'application/json', 'X-CSRF-Token': me.csrf_token}});
  return reply.status;
}"""


@pytest.fixture(scope="module")
def accounts(stack: Stack) -> None:
    stack.access.create_user(UNION, PASSWORD, COMMUNE, "viewer", "doan-xa-tx-xuanhoa", "union")
    stack.access.create_user(BANK, PASSWORD, "TH", "viewer", "nhcsxh-thanh-hoa", "bank")
    # the demo's agencies (tienphong/demo_access.py): the district's own events are its to retract
    stack.access.create_user(DISTRICT, PASSWORD, "TX", "viewer", "huyen-doan-tho-xuan", "union")
    stack.access.create_user(BUSINESS, PASSWORD, "TX", "viewer", "hiep-hoi-dn-tho-xuan", "business")


@pytest.fixture
def phone(browser: Any, stack: Stack, accounts: None) -> Iterator[Callable[[str], tuple[Any, Any, list[str]]]]:
    """phone(username) -> (context, page, console errors): signed in at the gateway, on the forms' home."""
    contexts: list[Any] = []

    def open_(username: str) -> tuple[Any, Any, list[str]]:
        context = browser.new_context(base_url=stack.urls["gateway"], viewport=PHONE, locale="vi-VN")
        context.set_default_timeout(20_000)
        contexts.append(context)
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        sign_in(page, username)
        return context, page, errors

    yield open_
    for context in contexts:
        context.close()


def sign_in(page: Any, username: str) -> None:
    page.goto("/")  # the one address: the forms' home, which asks to sign in first
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url("**/forms/**")
    page.wait_for_selector("ul.forms")


def forms_listed(page: Any) -> list[str]:
    hrefs = page.eval_on_selector_all("ul.forms a", "links => links.map(a => a.getAttribute('href'))")
    return [str(href).split("/")[-1] for href in hrefs]


def register(page: Any, name: str, born: str = BORN, outcome: str = "p.ok") -> None:
    page.evaluate("location.hash = '#/'")
    page.get_by_role("link", name="Đăng ký đoàn viên").click()
    page.fill("#f-full_name", name)
    page.fill("#f-birth_date", born)
    page.select_option("#f-gender", "female")
    page.select_option("#f-org_unit", COMMUNE)
    page.fill("#f-branch_name", "Chi đoàn thôn 5")
    page.select_option("#f-branch_kind", "residential")
    page.fill("#f-model_name", "Trồng nấm sò")
    page.get_by_role("button", name="Ghi nhận").click()
    page.wait_for_selector(outcome)


def registered_count(stack: Stack, code: str = COMMUNE) -> int:
    stack.settle()
    return int(stack.get(f"summary/{code}")["totals"]["registered"])


def test_union_account_records_online_and_offline(phone: Any, stack: Stack) -> None:
    context, page, errors = phone(UNION)
    # a commune union posts registrations, trainings, union funding, support and replications; not the
    # district's decisions, evaluations or commendations
    assert forms_listed(page) == ["registration", "training", "funding", "support", "replication", "repayment",
                                  "classification", "find"]
    # installable: a manifest, and a service worker that keeps the app for use without a connection
    assert page.evaluate("navigator.serviceWorker.ready.then(r => r.active.scriptURL)").endswith("/forms/sw.js")
    assert page.locator("link[rel=manifest]").get_attribute("href") == "/forms/manifest.webmanifest"
    before = registered_count(stack)

    register(page, "Đỗ Thị Hoa Mai")
    assert page.inner_text("p.ok") == "Đã ghi nhận."
    stack.settle()
    mai = next(p for p in stack.get(f"directory/{COMMUNE}", q="do thi hoa mai")["items"])
    # a form it may not use is absent, and the API refuses it (403), as it refuses a write without the token
    assert page.evaluate(POST, [f"/registration/api/v1/participants/{mai['participant_id']}/decisions",
                                {"decision": "rejected", "decided_on": TODAY}]) == 403
    assert page.evaluate("""async () => (await fetch('/registration/api/v1/participants', {method: 'POST',
        body: '{}', headers: {'Content-Type': 'application/json'}})).status""") == 401

    # the same person typed without accents: the likely duplicate is shown while the form is filled in,
    # again when it is sent (with its record), and recorded once confirmed
    page.get_by_role("link", name="Quay lại").click()
    page.get_by_role("link", name="Đăng ký đoàn viên").click()
    unlabelled = "els => els.filter(e => !e.labels || e.labels.length === 0).map(e => e.id)"
    assert page.eval_on_selector_all("main input, main select, main textarea", unlabelled) == []
    page.fill("#f-full_name", "Do Thi Hoa Mai")
    page.fill("#f-birth_date", BORN)
    page.select_option("#f-org_unit", COMMUNE)
    assert "Đỗ Thị Hoa Mai" in page.locator("#precheck ul.candidates").inner_text()
    register(page, "Do Thi Hoa Mai", outcome="p.error")
    assert "Đỗ Thị Hoa Mai" in page.inner_text("ul.candidates")
    assert "Vui lòng" not in page.inner_text("p.error")  # the server's own message, not the form's
    page.get_by_label("Đây là người khác: vẫn ghi nhận").check()
    page.get_by_role("button", name="Ghi nhận").click()
    page.wait_for_selector("p.ok")

    # the network is cut: three entries and one the server will refuse are kept on the phone
    context.set_offline(True)
    for i in range(3):
        register(page, f"Vũ Thị Ngoại Tuyến {i}")
        assert page.inner_text("p.ok") == "Đã lưu trên máy; sẽ gửi khi có mạng."
    register(page, "Lã Văn Quá Tuổi", born="1960-01-01")
    page.evaluate("location.hash = '#/'")
    page.reload()  # the app itself comes from the service worker's cache, the queue from the phone's store
    page.wait_for_selector("li.entry.waiting")
    assert page.locator("li.entry.waiting").count() == 4
    context.set_offline(False)  # back: each is sent once, the refused one shows the server's reason
    page.wait_for_selector("li.entry.refused")
    eventually(lambda: _equal(page.locator("li.entry.waiting").count(), 0), timeout=30)
    refused = page.locator("li.entry.refused")
    assert "Lã Văn Quá Tuổi" in refused.inner_text() and "16 đến 35" in refused.inner_text()

    # a resend of a sent entry (its answer lost, say) is answered from the first reply: nothing twice
    page.evaluate("""async () => {
        const me = JSON.parse(localStorage.getItem('tp.me'));
        const sent = (await TP_QUEUE.list(me.username)).filter(e => e.status === 'sent');
        for (const e of sent) { e.status = 'waiting'; await TP_QUEUE.put(e); }
    }""")
    page.reload()
    eventually(lambda: _equal(page.locator("li.entry.waiting").count(), 0), timeout=30)
    assert registered_count(stack) == before + 5
    names = [p["full_name"] for p in stack.get(f"directory/{COMMUNE}", q="ngoai tuyen")["items"]]
    assert sorted(names) == [f"Vũ Thị Ngoại Tuyến {i}" for i in range(3)]

    # the refused entry is corrected and sent; then the commune's dashboard shows every one of them
    page.locator("li.entry.refused").get_by_role("link", name="Sửa").click()
    assert "16 đến 35" in page.locator("#f-birth_date-error").inner_text()  # beside its field
    page.fill("#f-birth_date", BORN)
    page.get_by_role("button", name="Ghi nhận").click()
    page.wait_for_selector("p.ok")

    # another person on the same phone: the union's waiting entry is held for it, never sent as the bank's
    context.set_offline(True)
    register(page, "Người Chờ Chủ Gửi")
    context.clear_cookies()  # the union's session ends meanwhile (signed out, expired)
    context.set_offline(False)
    sign_in(page, BANK)
    assert "Các mục chưa gửi của tài khoản khác" in page.inner_text("main")
    assert registered_count(stack) == before + 6
    held = f"async () => (await TP_QUEUE.list('{UNION}')).filter(e => e.status === 'waiting').length"
    assert page.evaluate(held) == 1
    context.clear_cookies()
    sign_in(page, UNION)  # back: sent with the union's own account
    eventually(lambda: _equal(page.locator("li.entry.waiting").count(), 0), timeout=30)
    assert registered_count(stack) == before + 7
    page.goto(f"/dashboard/{COMMUNE}")
    loaded(page)
    assert shown_figures(page)["registered"] == before + 7
    assert page.locator("#forms-link").get_attribute("href") == "/forms/"  # and back to the forms
    assert errors == []


def test_bank_account_records_a_funding(phone: Any, stack: Stack) -> None:
    context, page, errors = phone(BANK)
    assert forms_listed(page) == ["funding", "repayment", "classification", "find"]
    page.get_by_role("button", name="English").click()  # the switch, kept on the phone and for the person
    page.get_by_role("link", name="Events and retractions").wait_for()
    assert page.inner_text("ul.forms") == "Funding\nRepayment\nLoan classification\nEvents and retractions"
    page.wait_for_timeout(500)  # the page's own requests answered since the click: none may undo the choice
    dashboard = context.new_page()  # the dashboard, at the same address, speaks the language chosen here
    dashboard.goto("/dashboard/TH")
    assert dashboard.locator("html").get_attribute("lang") == "en"
    dashboard.goto("/dashboard/TH?lang=vi")  # and a choice made there is the forms' at their next start
    dashboard.close()
    page.reload()
    page.get_by_role("button", name="English").wait_for()
    page.get_by_role("link", name="Giải ngân vốn vay").wait_for()
    body = registration("Ngân Hàng Không Được", COMMUNE, TODAY, "Không", birth_date=BORN)
    assert page.evaluate(POST, ["/registration/api/v1/participants", body]) == 403
    selected = next(p for p in stack.get(f"directory/{COMMUNE}")["items"] if p["status"] == "selected")
    funded = stack.get(f"summary/{COMMUNE}")["totals"]["funding_vnd"]

    page.get_by_role("link", name="Giải ngân vốn vay").click()
    page.get_by_label("Tìm theo tên, xã hoặc số điện thoại").fill(selected["full_name"].upper())
    page.locator(f"#results a[href$='{selected['participant_id']}']").click()
    page.select_option("#f-source", "vbsp")
    page.fill("#f-amount_vnd", "30000000")
    page.fill("#f-term_months", "36")
    page.get_by_role("button", name="Ghi nhận").click()
    page.wait_for_selector("p.ok")
    stack.settle()
    assert stack.get(f"summary/{COMMUNE}")["totals"]["funding_vnd"] == funded + 30_000_000
    page.goto(f"/dashboard/{COMMUNE}")
    loaded(page)
    assert shown_figures(page)["funding_vnd"] == funded + 30_000_000
    assert errors == []


def fill_in(page: Any, form: str, person: dict[str, Any], values: dict[str, str]) -> None:
    """From the forms' home: the form, the participant found by name, the values, Ghi nhận, recorded."""
    page.evaluate("location.hash = '#/'")
    page.get_by_role("link", name=form).click()
    page.get_by_label("Tìm theo tên, xã hoặc số điện thoại").fill(person["full_name"])
    page.locator(f"#results a[href$='{person['participant_id']}']").click()
    for field, value in values.items():
        control = page.locator(f"#f-{field}")
        if control.evaluate("c => c.tagName") == "SELECT":
            control.select_option(value)
        else:
            control.fill(value)
    page.get_by_role("button", name="Ghi nhận").click()
    page.wait_for_selector("p.ok, p.error")
    assert page.inner_text("p[role=alert]") == "Đã ghi nhận.", page.inner_text("main")


def test_district_union_and_business_use_every_form_they_may(phone: Any, stack: Stack) -> None:
    context, page, errors = phone(DISTRICT)
    assert forms_listed(page) == ["registration", "decision", "training", "funding", "support", "evaluation",
                                  "commendation", "replication", "repayment", "classification", "find"]
    # a person of its own, registered by the district itself: the test does not lean on the others' entries
    register(page, "Đặng Thị Huyền Trang", born=f"{date.today().year - 26}-07-15")
    stack.settle()
    person = next(p for p in stack.get("directory/TX")["items"] if p["full_name"] == "Đặng Thị Huyền Trang")
    assert person["status"] == "registered"
    before = stack.get("summary/TX")["totals"]
    fill_in(page, "Chọn hoặc loại (theo ngành)", person, {"decision": "selected", "sector": "crops"})
    fill_in(page, "Tập huấn, tham quan", person, {"kind": "study_visit", "course": "Thăm HTX rau sạch", "hours": "6"})
    fill_in(page, "Đánh giá mô hình", person, {"status": "on_track", "revenue_vnd": "80000000", "jobs_created": "2"})
    fill_in(page, "Khen thưởng", person, {"title": "Giấy khen Huyện đoàn", "issued_by": "Huyện đoàn Thọ Xuân"})
    fill_in(page, "Nhân rộng mô hình", person, {"youth_name": "Lê Văn Nhân", "org_unit": "TX-XUANLAI"})
    page.evaluate("location.hash = '#/'")
    page.get_by_role("link", name="Giải ngân vốn vay").click()
    page.get_by_label("Tìm theo tên, xã hoặc số điện thoại").fill(person["full_name"])
    page.locator(f"#results a[href$='{person['participant_id']}']").click()
    # the form is drawn after the click: wait for its first source (options are never "visible")
    page.locator("#f-source option").nth(1).wait_for(state="attached")
    assert page.locator("#f-source option").all_inner_texts()[1:] == ["Quỹ 120 của Trung ương Đoàn"]

    # the commendation is retracted from the participant's events, with its reason
    stack.settle()
    page.evaluate(f"location.hash = '#/participant/{person['participant_id']}'")
    page.locator("ol.timeline li", has_text="Khen thưởng").get_by_role("link", name="Rút lại").click()
    page.fill("#f-reason", "Ghi nhầm người")
    page.get_by_role("button", name="Ghi nhận").click()
    page.wait_for_selector("p.ok")
    stack.settle()
    events = stack.get(f"participants/{person['participant_id']}/timeline")["events"]
    kinds = {e["type"]: e for e in events}
    assert {"participant.selected", "participant.trained", "participant.evaluated", "participant.commended",
            "model.replicated", "event.retracted"} <= set(kinds)
    assert kinds["participant.commended"]["retracted"] and kinds["participant.selected"]["source"]["key_id"] == \
        f"user:{DISTRICT}"
    after = stack.get("summary/TX")["totals"]
    assert (after["selected"], after["commended"]) == (before["selected"] + 1, before["commended"])
    assert errors == []

    context, page, errors = phone(BUSINESS)
    assert forms_listed(page) == ["support", "find"]
    fill_in(page, "Hỗ trợ doanh nghiệp", person, {"kind": "trade_fair", "partner": "Hội chợ nông sản Thanh Hóa"})
    stack.settle()
    assert stack.get("summary/TX")["totals"]["supported"] == after["supported"] + 1
    assert errors == []


LOAN_LINES = """async (code) => (await (await fetch(`/api/v1/loans/${code}?lines=true`)).json()).loans"""


def test_bank_account_follows_a_loan_through_the_forms(phone: Any, stack: Stack) -> None:
    """Trả nợ and Phân loại khoản vay: the participant, then one of the bank's loans of theirs (with what is
    still owed), the figures; the portfolio changes; a repayment above the outstanding shows the reason."""
    context, page, errors = phone(BANK)
    lines = page.evaluate(LOAN_LINES, COMMUNE)
    loan = next(x for x in lines if x["status"] == "current" and x["outstanding_vnd"] > 2_000_000
                and x["lender_agency"] == "nhcsxh-thanh-hoa" and x["disbursed_on"] < TODAY)
    person = {"full_name": loan["participant_name"], "participant_id": loan["participant_id"]}
    owed = loan["outstanding_vnd"]
    totals = stack.get(f"loans/{COMMUNE}")["totals"]

    def pick(form: str, owing: int) -> None:
        page.evaluate("location.hash = '#/'")
        page.get_by_role("link", name=form).click()
        page.get_by_label("Tìm theo tên, xã hoặc số điện thoại").fill(person["full_name"])
        page.locator(f"#results a[href$='{person['participant_id']}']").click()
        choice = page.locator(f"#loans a[href$='{loan['funding_event_id']}']")
        # the outstanding principal, as the bank's list says
        assert f"dư nợ {owing:,} đ".replace(",", ".") in choice.inner_text()
        choice.click()

    pick("Trả nợ", owed)
    page.fill("#f-principal_vnd", "1000000")
    page.fill("#f-interest_vnd", "50000")
    page.get_by_role("button", name="Ghi nhận").click()
    page.wait_for_selector("p.ok")
    stack.settle()
    pick("Phân loại khoản vay", owed - 1_000_000)
    assert page.locator("label[for=f-status]").inner_text().startswith("Tình trạng khoản vay")
    page.get_by_role("button", name="English").click()  # the same form in English, kept for the next page
    assert page.locator("label[for=f-days_past_due]").inner_text().startswith("Days past due")
    assert page.locator("#f-status option").all_inner_texts()[1:] == ["Current", "Overdue", "Restructured",
                                                                       "Written off", "Closed"]
    page.get_by_role("button", name="Tiếng Việt").click()
    page.fill("#f-days_past_due", "45")
    page.select_option("#f-status", "overdue")
    page.get_by_role("button", name="Ghi nhận").click()
    page.wait_for_selector("p.ok")
    stack.settle()
    after = next(x for x in page.evaluate(LOAN_LINES, COMMUNE) if x["funding_event_id"] == loan["funding_event_id"])
    assert (after["outstanding_vnd"], after["repaid_interest_vnd"], after["days_past_due"], after["status"]) == (
        owed - 1_000_000, loan["repaid_interest_vnd"] + 50_000, 45, "overdue")
    # the portfolio every reader sees: repaid, and the loan now more than 30 days late (PAR30)
    figures = stack.get(f"loans/{COMMUNE}")["totals"]
    assert figures["repaid_principal_vnd"] == totals["repaid_principal_vnd"] + 1_000_000
    assert figures["overdue"]["31_90"]["loans"] == totals["overdue"]["31_90"]["loans"] + 1

    # more than is still owed: refused with the server's reason beside the principal, nothing recorded
    pick("Trả nợ", owed - 1_000_000)
    page.fill("#f-principal_vnd", str(owed - 1_000_000 + 1))
    page.get_by_role("button", name="Ghi nhận").click()
    page.wait_for_selector("p.error")
    assert "vượt dư nợ gốc còn lại" in page.inner_text("p[role=alert]")
    assert "vượt dư nợ" in page.inner_text("#f-principal_vnd-error")
    assert page.get_attribute("#f-principal_vnd", "aria-invalid") == "true"
    # offline: a person's loans last read on this phone are offered, as read then (another's need the
    # connection); the repayment waits on the phone and is sent, once, when the connection returns
    context.set_offline(True)
    page.evaluate("location.hash = '#/form/repayment/someone-never-looked-up'")
    page.locator("p[role=alert]", has_text="Cần kết nối mạng để chọn khoản vay").wait_for()
    pick("Trả nợ", owed - 1_000_000)
    page.fill("#f-principal_vnd", "1000000")
    page.get_by_role("button", name="Ghi nhận").click()
    assert page.inner_text("p.ok") == "Đã lưu trên máy; sẽ gửi khi có mạng."
    page.evaluate("location.hash = '#/'")
    page.wait_for_selector("li.entry.waiting")
    context.set_offline(False)
    eventually(lambda: _equal(page.locator("li.entry.waiting").count(), 0), timeout=30)
    assert errors == []

    # a business account: no loan forms, and the API refuses its repayment and the loans of a person
    context, page, errors = phone(BUSINESS)
    assert "repayment" not in forms_listed(page) and "classification" not in forms_listed(page)
    assert page.evaluate(POST, [f"/support/api/v1/loans/{loan['funding_event_id']}/repayments",
                                {"paid_on": TODAY, "principal_vnd": 1000}]) == 403
    assert page.evaluate(f"""async () => (await fetch(
        '/api/v1/participants/{person['participant_id']}/loans')).status""") == 403
    stack.settle()
    assert stack.get(f"loans/{COMMUNE}")["totals"]["outstanding_vnd"] == totals["outstanding_vnd"] - 2_000_000


def _equal(actual: object, expected: object) -> None:
    assert actual == expected, (actual, expected)
