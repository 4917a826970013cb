"""The demo's keys (one per agency, created once and kept in the data dir) and its dashboard account."""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path

from shared.config import from_env
from shared.orgunits import OrgTree


def demo_agencies(tree: OrgTree) -> dict[str, tuple[str, str, str]]:
    """Key name -> (agency, kind, scope). A district union has two keys: its standing committee's, and
    the one its movement department uses for the monthly evaluations."""
    agencies = {
        "province_union": ("tinh-doan-thanh-hoa", "union", "TH"),
        "vbsp": ("nhcsxh-thanh-hoa", "bank", "TH"),
        "agribank": ("agribank-thanh-hoa", "bank", "TH"),
        "startup_fund": ("quy-ho-tro-thanh-nien-khoi-nghiep-thanh-hoa", "bank", "TH"),
        "business": ("hiep-hoi-dn-tho-xuan", "business", "TX"),
        "viewer": ("lanh-dao-tinh", "viewer", "TH"),
        "admin": ("quan-tri-he-thong", "admin", "TH"),  # records the hierarchy's changes (the 2025 reform)
        # a commune of the 2025 reform (ILLUSTRATIVE mapping): Xuân Hòa and its neighbours since 2025-07-01
        "commune:TH-XTHOXUAN": ("doan-xa-th-xthoxuan", "union", "TH-XTHOXUAN"),
    }
    for district in tree.children("TH"):
        slug = _slug(district.name)
        agencies[f"union:{district.code}"] = (f"huyen-doan-{slug}", "union", district.code)
        agencies[f"evaluator:{district.code}"] = (f"huyen-doan-{slug}", "union", district.code)
        agencies[f"business:{district.code}"] = (f"hiep-hoi-dn-{slug}", "business", district.code)
        for commune in tree.children(district.code):
            agencies[f"commune:{commune.code}"] = (f"doan-xa-{commune.code.lower()}", "union", commune.code)
    return agencies


def demo_agency_names(tree: OrgTree) -> dict[str, str]:
    """Agency id -> the name its keys are given, which the dashboards show for who posted what."""
    names = {"tinh-doan-thanh-hoa": "Tỉnh Đoàn Thanh Hóa", "nhcsxh-thanh-hoa": "NH Chính sách xã hội Thanh Hóa",
             "agribank-thanh-hoa": "Agribank Thanh Hóa",
             "quy-ho-tro-thanh-nien-khoi-nghiep-thanh-hoa": "Quỹ hỗ trợ thanh niên khởi nghiệp Thanh Hóa",
             "lanh-dao-tinh": "Lãnh đạo Tỉnh Đoàn", "doan-xa-th-xthoxuan": "Đoàn xã Thọ Xuân (minh họa)"}
    for district in tree.children("TH"):
        slug = _slug(district.name)
        names[f"huyen-doan-{slug}"] = f"Huyện Đoàn {district.name}"
        names[f"hiep-hoi-dn-{slug}"] = f"Hiệp hội Doanh nghiệp {district.name}"
        for commune in tree.children(district.code):
            names[f"doan-xa-{commune.code.lower()}"] = f"Đoàn {'' if commune.name.startswith('Thị trấn') else 'xã '}" \
                                                        f"{commune.name}"
    return names


def _slug(name: str) -> str:
    plain = unicodedata.normalize("NFD", name.replace("đ", "d").replace("Đ", "D"))
    return "-".join("".join(c for c in plain if not unicodedata.combining(c)).lower().split())


def demo_keys(path: Path | None = None, env: dict[str, str] | None = None) -> dict[str, str]:
    """Tokens of the demo agencies, created once and kept in the data dir (a token is shown only once).
    Missing ones (a newer demo) and ones the access database no longer knows are created again."""
    from shared.auth import AccessStore
    from shared.db import make_engine
    from shared.orgunits import load
    config = from_env("access", env)
    path = path or config.data_dir / "demo-keys.json"
    tokens: dict[str, str] = dict(json.loads(path.read_text())) if path.exists() else {}
    store = AccessStore(make_engine(config.access_url))
    try:
        store.migrate()
        changed = False
        tree = load(config.org_units_file)
        named = demo_agency_names(tree)
        for name, (agency, kind, scope) in demo_agencies(tree).items():
            if name not in tokens or store.authenticate(tokens[name]) is None:
                tokens[name] = store.create_key(agency, kind, scope, named.get(agency, f"demo {name}"))[1]
                changed = True
    finally:
        store.engine.dispose()
    if changed:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(tokens, indent=2))
        path.chmod(0o600)
    return tokens


# --- loading the program --------------------------------------------------------------------------


def demo_account() -> tuple[str, str]:
    """A provincial viewer account for the dashboards, created once per data dir; (user, password)."""
    config = from_env("access")
    path = config.data_dir / "demo-account.json"
    if path.exists():
        saved = json.loads(path.read_text())
        return str(saved["username"]), str(saved["password"])
    import secrets

    from shared.auth import AccessStore
    from shared.db import make_engine
    username, password = "lanh-dao-tinh", secrets.token_urlsafe(12)
    store = AccessStore(make_engine(config.access_url))
    store.migrate()
    store.create_user(username, password, "TH", "viewer")
    path.write_text(json.dumps({"username": username, "password": password}))
    path.chmod(0o600)
    return username, password


# Accounts that record through the forms, one per kind of recording agency (docs/forms.md). Since the demo's
# 2025 reform the district and old commune accounts record history only (dated before 2025-07-01, the rule
# of docs/access.md); doan-xa-tho-xuan is a commune of today's hierarchy, recording today.
WRITERS = (("doan-xa-tho-xuan", "TH-XTHOXUAN", "doan-xa-th-xthoxuan", "union"),
           ("doan-xa-xuan-hoa", "TX-XUANHOA", "doan-xa-tx-xuanhoa", "union"),
           ("huyen-doan-tho-xuan", "TX", "huyen-doan-tho-xuan", "union"),
           ("tin-dung-nhcsxh", "TH", "nhcsxh-thanh-hoa", "bank"),
           ("hiep-hoi-dn-tho-xuan", "TX", "hiep-hoi-dn-tho-xuan", "business"))


def demo_writers() -> list[str]:
    """The writing accounts, with the demo account's password, created once per data dir; their names."""
    from shared.auth import AccessStore
    from shared.db import make_engine
    _, password = demo_account()
    store = AccessStore(make_engine(from_env("access").access_url))
    try:
        existing = {user["username"] for user in store.list_users()}
        for username, scope, agency, kind in WRITERS:
            if username not in existing:
                store.create_user(username, password, scope, "viewer", agency, kind)
    finally:
        store.engine.dispose()
    return [writer[0] for writer in WRITERS]
