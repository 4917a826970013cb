"""Demo data posted through the public HTTP API with agency keys, deterministic for a seed.

Every request carries an Idempotency-Key derived from the seed, so loading twice records nothing new.
"""

from __future__ import annotations

import argparse
import json
import random
import time
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import requests

from shared.config import SERVICE_PORTS, from_env

DEMO_AGENCIES = {
    # name: (agency, kind, scope)
    "province_union": ("tinh-doan-thanh-hoa", "union", "TH"),
    "vbsp": ("nhcsxh-thanh-hoa", "bank", "TH"),
    "business": ("hiep-hoi-dn-tho-xuan", "business", "TX"),
    "viewer": ("lanh-dao-tinh", "viewer", "TH"),
}
FAMILY = ["Lê", "Nguyễn", "Trịnh", "Hoàng", "Phạm", "Đỗ", "Bùi", "Vũ", "Mai", "Hà"]
MIDDLE = ["Văn", "Thị", "Đình", "Ngọc", "Minh", "Xuân", "Hữu", "Thu"]
GIVEN = ["An", "Bình", "Cường", "Dũng", "Hà", "Hải", "Hương", "Lan", "Long", "Nam", "Phương", "Quang", "Sơn",
         "Thảo", "Trang", "Tuấn"]
MODELS = [("Nuôi gà đồi thả vườn", "livestock"), ("Trồng dưa lưới nhà màng", "crops"),
          ("Nuôi cá lồng", "aquaculture"), ("Chế biến chè lam", "food_processing"),
          ("Mây tre đan xuất khẩu", "handicraft"), ("Dịch vụ nông sản online", "trade_services")]


def demo_keys(path: Path | None = None) -> dict[str, str]:
    """Tokens of the demo agencies, created once and kept in the data dir (tokens are shown once)."""
    config = from_env("access")
    path = path or config.data_dir / "demo-keys.json"
    if path.exists():
        return dict(json.loads(path.read_text()))
    from shared.auth import AccessStore
    from shared.db import make_engine
    store = AccessStore(make_engine(config.access_url))
    store.migrate()
    tokens = {name: store.create_key(agency, kind, scope, f"demo {name}")[1]
              for name, (agency, kind, scope) in DEMO_AGENCIES.items()}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(tokens, indent=2))
    path.chmod(0o600)
    return tokens


@dataclass
class Client:
    tokens: dict[str, str]
    seed: int
    host: str = "http://127.0.0.1"

    def post(self, service: str, path: str, agency: str, body: dict[str, Any], idem: str) -> dict[str, Any]:
        url = f"{self.host}:{SERVICE_PORTS[service]}/api/v1{path}"
        for _ in range(20):
            response = requests.post(url, json=body, timeout=30, headers={
                "Authorization": f"Bearer {self.tokens[agency]}", "Idempotency-Key": f"demo-{self.seed}-{idem}"})
            if response.status_code in (404, 409) and "Retry-After" in response.headers:
                time.sleep(0.5)
                continue  # support's view has not caught up with registration yet
            if response.status_code >= 300 and response.status_code != 409:
                raise RuntimeError(f"{path}: {response.status_code} {response.text}")
            return dict(response.json())
        raise RuntimeError(f"{path}: participant never reached the support service")


def load_small(seed: int = 2017, count: int = 12) -> int:
    """A few registrations in Thọ Xuân, most selected, some trained and funded."""
    client = Client(demo_keys(), seed)
    rng = random.Random(seed)
    tree_communes = [u.code for u in _tree() if u.level == "commune" and u.code.startswith("TX-")]
    recorded = 0
    for i in range(count):
        name = f"{rng.choice(FAMILY)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}"
        model, sector = rng.choice(MODELS)
        commune = tree_communes[i % len(tree_communes)]
        registered_on = date(2017, 6, 1) + timedelta(days=rng.randrange(21))
        reply = client.post("registration", "/participants", "province_union", {
            "full_name": name, "birth_date": date(1985 + rng.randrange(14), 1 + rng.randrange(12),
                                                 1 + rng.randrange(28)).isoformat(),
            "gender": rng.choice(["male", "female"]), "org_unit": commune,
            "branch_name": f"Chi đoàn thôn {1 + rng.randrange(9)}", "branch_kind": "residential",
            "model_name": model, "has_existing_model": rng.random() < 0.5,
            "registered_on": registered_on.isoformat()}, f"reg-{i}")
        participant_id = reply.get("participant_id") or reply["error"]["participant_id"]
        recorded += 1
        if i % 4 == 3:
            continue
        client.post("registration", f"/participants/{participant_id}/decisions", "province_union", {
            "decision": "selected", "sector": sector, "decided_on": "2017-06-30"}, f"dec-{i}")
        client.post("support", f"/participants/{participant_id}/trainings", "province_union", {
            "trained_on": "2017-07-15", "course": "Tập huấn khởi sự doanh nghiệp", "kind": "course"}, f"tr-{i}")
        if i % 2 == 0:
            client.post("support", f"/participants/{participant_id}/fundings", "vbsp", {
                "disbursed_on": "2017-08-20", "source": "vbsp", "amount_vnd": 50_000_000 + 10_000_000 * (i % 5),
                "lender": "NHCSXH huyện Thọ Xuân", "term_months": 36}, f"fund-{i}")
    return recorded


def _tree():  # type: ignore[no-untyped-def]
    from shared.orgunits import load
    return load(from_env("access").org_units_file)


def main(args: argparse.Namespace) -> int:
    count = load_small(args.seed, 12 * max(1, args.scale))
    print(f"demo loaded: {count} registrations (seed {args.seed})")
    return 0
