"""Two reporting consumers in one group share the partitions (more members than one, up to the partition
count, is how the projection scales out): each applies its share, both while events keep arriving and
while the group rebalances as the second joins, and the figures are exact."""

from __future__ import annotations

import threading
import time
from collections import Counter

from shared.messaging.consumer import ConsumerLoop
from tests.support.system import System, registration_body
from tienphong import workers

REGISTERED, SELECTED = 48, 32  # every third never selected


def consume(loop: ConsumerLoop, name: str, stop: threading.Event, covered: Counter[str],
            failures: list[BaseException]) -> None:
    try:
        while not stop.is_set():
            covered[name] += loop.poll_once(timeout_ms=200)
    except BaseException as exc:  # noqa: BLE001 - reported by the test thread
        failures.append(exc)
    finally:
        loop.close()


def test_two_reporting_consumers_in_one_group(system: System) -> None:
    union, bank, viewer = system.key("union", "TX"), system.key("bank", "TH"), system.key("viewer", "TH")
    funding_vnd = 0

    def register(first: int, count: int) -> None:
        nonlocal funding_vnd
        for number in range(first, first + count):
            reply = system.registration.post("/api/v1/participants", headers=union, json=registration_body(
                full_name=f"Đoàn viên {number}", phone=f"09{number:08d}"))
            assert reply.status_code == 201, reply.json
            participant_id = reply.json["participant_id"]
            if number % 3 == 2:
                continue  # registered, never selected
            assert system.registration.post(f"/api/v1/participants/{participant_id}/decisions", headers=union, json={
                "decision": "selected", "sector": "livestock", "decided_on": "2017-06-30"}).status_code == 201
            system.publish()
            system.drain("support")
            amount = 1_000_000 * (number + 1)
            assert system.support.post(f"/api/v1/participants/{participant_id}/fundings", headers=bank, json={
                "disbursed_on": "2017-08-01", "source": "vbsp", "amount_vnd": amount}).status_code == 201
            funding_vnd += amount
        system.publish()

    register(0, REGISTERED // 2)  # waiting in the topics before the consumers start
    config = system.configs["reporting"]
    loops = {"first": workers.build_consumer(config), "second": workers.build_consumer(config)}
    stop = threading.Event()
    covered: Counter[str] = Counter()
    failures: list[BaseException] = []
    threads = [threading.Thread(target=consume, args=(loop, name, stop, covered, failures))
               for name, loop in loops.items()]
    for thread in threads:
        thread.start()
    try:
        register(REGISTERED // 2, REGISTERED - REGISTERED // 2)  # and arriving while they run
        expected = {"registered": REGISTERED, "selected": SELECTED, "funded": SELECTED, "funding_vnd": funding_vnd}
        deadline = time.monotonic() + 90
        totals: dict[str, int] = {}
        while time.monotonic() < deadline and not failures:
            totals = system.reporting.get("/api/v1/summary/TH?as_of=2018-12-31", headers=viewer).json["totals"]
            if {key: totals[key] for key in expected} == expected:
                break
            time.sleep(0.2)
        assert not failures, failures
        assert {key: totals[key] for key in expected} == expected
        # both members took part: the partitions were shared, not left to one
        assert covered["first"] > 0 and covered["second"] > 0, covered
        time.sleep(1)  # nothing more comes in: the figures stay (no event applied twice late)
        again = system.reporting.get("/api/v1/summary/TH?as_of=2018-12-31", headers=viewer).json["totals"]
        assert again == totals
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=60)
