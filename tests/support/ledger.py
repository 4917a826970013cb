"""What a fault test's writes were accepted (201) over HTTP, and the figures the summary must then show."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import requests

from tests.support.system import registration_body

FIGURES = ("registered", "selected", "trained", "funded", "funding_vnd")


@dataclass
class Ledger:
    urls: dict[str, str]
    union: str
    bank: str
    viewer: str
    registered: list[str] = field(default_factory=list)
    selected: list[str] = field(default_factory=list)
    trained: set[str] = field(default_factory=set)
    funded: set[str] = field(default_factory=set)
    funding_vnd: int = 0

    def post(self, service: str, path: str, body: dict[str, Any], token: str) -> requests.Response:
        return requests.post(f"{self.urls[service]}/api/v1{path}", json=body, timeout=15,
                             headers={"Authorization": f"Bearer {token}"})

    def register(self, name: str, select: bool = True) -> str:
        reply = self.post("registration", "/participants", registration_body(full_name=name), self.union)
        assert reply.status_code == 201, reply.text
        participant_id = str(reply.json()["participant_id"])
        self.registered.append(participant_id)
        if select:
            reply = self.post("registration", f"/participants/{participant_id}/decisions",
                              {"decision": "selected", "sector": "livestock", "decided_on": "2017-06-30"}, self.union)
            assert reply.status_code == 201, reply.text
            self.selected.append(participant_id)
        return participant_id

    def _support(self, path: str, body: dict[str, Any], token: str, timeout: float = 60) -> None:
        """Support learns of participants from Kafka: it answers 404/409 with Retry-After until it has."""
        deadline = time.monotonic() + timeout
        while True:
            reply = self.post("support", path, body, token)
            if reply.status_code == 201:
                return
            assert reply.status_code in (404, 409) and "Retry-After" in reply.headers, reply.text
            assert time.monotonic() < deadline, f"support never learned of the participant: {reply.text}"
            time.sleep(0.5)

    def train(self, participant_id: str) -> None:
        self._support(f"/participants/{participant_id}/trainings",
                      {"trained_on": "2017-07-10", "course": "Khởi nghiệp", "kind": "course"}, self.union)
        self.trained.add(participant_id)

    def fund(self, participant_id: str, amount: int) -> None:
        self._support(f"/participants/{participant_id}/fundings",
                      {"disbursed_on": "2017-08-01", "source": "vbsp", "amount_vnd": amount}, self.bank)
        self.funded.add(participant_id)
        self.funding_vnd += amount

    def expected(self) -> dict[str, int]:
        return {"registered": len(self.registered), "selected": len(self.selected), "trained": len(self.trained),
                "funded": len(self.funded), "funding_vnd": self.funding_vnd}

    def shown(self) -> dict[str, int]:
        reply = requests.get(f"{self.urls['reporting']}/api/v1/summary/TH?as_of=2018-12-31", timeout=15,
                             headers={"Authorization": f"Bearer {self.viewer}"})
        assert reply.status_code == 200, reply.text
        totals = reply.json()["totals"]
        return {name: totals[name] for name in FIGURES}

    def wait_exact(self, timeout: float = 120) -> float:
        """Seconds until the summary shows exactly what was accepted; fails on a figure above it (counted
        twice) at any point, or when the time is up."""
        started = time.monotonic()
        while True:
            try:
                shown = self.shown()
            except (requests.RequestException, AssertionError):
                shown = None
            if shown is not None:
                assert all(shown[k] <= v for k, v in self.expected().items()), (shown, self.expected())
                if shown == self.expected():
                    return time.monotonic() - started
            assert time.monotonic() - started < timeout, f"summary {shown} never reached {self.expected()}"
            time.sleep(0.2)
