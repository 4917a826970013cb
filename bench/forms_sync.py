"""The forms on the dev stack, in headless Chromium at 360 x 740 through the gateway: how soon a form page is
usable, and how long 200 entries queued offline take to be sent once the connection returns.

    PYTHONPATH=. KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:9092 .venv/bin/python bench/forms_sync.py [--entries 200]

Starts every process of `tienphong run` (tests/support/processes.py) on SQLite in a temporary directory, an
account of a commune union, then measures. Prints the figures; docs/benchmarks.md keeps them."""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from datetime import date
from pathlib import Path

PASSWORD = "mat-khau-do-dem-2017"
COMMUNE = "TX-XUANHOA"
QUEUE = """async ([owner, count, born, today]) => {
  for (let i = 0; i < count; i++) {
    await TP_QUEUE.put({key: TP_QUEUE.newKey(), owner, form: 'registration', subject: `Đo Đếm ${i}`,
      service: 'registration', path: '/participants', status: 'waiting', created_at: new Date().toISOString(),
      body: {full_name: `Người Đo Đếm Số ${i}`, birth_date: born, gender: 'female', org_unit: 'TX-XUANHOA',
             branch_name: 'Chi đoàn thôn 1', branch_kind: 'residential', model_name: 'Trồng nấm',
             has_existing_model: false, registered_on: today}});
  }
}"""
STATUSES = """async (owner) => (await TP_QUEUE.list(owner)).map(e => e.status)"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--entries", type=int, default=200)
    parser.add_argument("--loads", type=int, default=5, help="form page loads to time")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    from shared.auth import AccessStore
    from shared.config import from_env
    from shared.db import make_engine
    from tests.support.processes import running_stack
    from tests.support.system import settings

    bootstrap = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092")
    with tempfile.TemporaryDirectory() as scratch:
        data = Path(scratch)
        env = settings(data, bootstrap, None) | {"TIENPHONG_TOPIC_PREFIX": f"bench-forms-{os.getpid()}"}
        with running_stack(env, data) as stack:
            access = AccessStore(make_engine(from_env("access", env).access_url))
            access.create_user("do-dem", PASSWORD, COMMUNE, "viewer", "doan-xa-tx-xuanhoa", "union")
            with sync_playwright() as driver:
                browser = driver.chromium.launch(executable_path="/usr/bin/chromium",
                                                 args=["--headless=new", "--no-sandbox", "--disable-gpu"])
                context = browser.new_context(base_url=stack.urls["gateway"], viewport={"width": 360, "height": 740})
                page = context.new_page()
                page.goto("/forms/")
                page.fill("#username", "do-dem")
                page.fill("#password", PASSWORD)
                page.click("button[type=submit]")
                page.wait_for_selector("ul.forms")
                loads = []
                for _ in range(args.loads):
                    started = time.perf_counter()
                    page.goto("/forms/#/form/registration")
                    page.wait_for_selector("#f-org_unit option[value='TX-XUANHOA']", state="attached")
                    page.wait_for_selector("#f-full_name:enabled")
                    loads.append(time.perf_counter() - started)
                print(f"form page usable: median {statistics.median(loads) * 1000:.0f} ms, "
                      f"max {max(loads) * 1000:.0f} ms over {len(loads)} loads (cache warm after the first)")

                page.goto("/forms/#/")
                page.wait_for_selector("ul.forms")
                context.set_offline(True)
                born, today = f"{date.today().year - 24}-03-04", date.today().isoformat()
                page.evaluate(QUEUE, ["do-dem", args.entries, born, today])
                started = time.perf_counter()
                context.set_offline(False)
                while True:
                    statuses = page.evaluate(STATUSES, "do-dem")
                    if all(s != "waiting" for s in statuses):
                        break
                    time.sleep(0.05)
                elapsed = time.perf_counter() - started
                print(f"{args.entries} queued entries synced in {elapsed:.2f} s "
                      f"({statuses.count('sent')} sent, {statuses.count('refused')} refused)")
                browser.close()


if __name__ == "__main__":
    main()
