"""Who issues and signs a unit's báo cáo: from a data file per unit (shared/data/report_headers.yaml, or
TIENPHONG_REPORT_HEADERS_FILE), else derived from the hierarchy."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from shared.orgunits import OrgTree, OrgUnit

DEFAULT_FILE = Path(__file__).resolve().parents[2] / "shared" / "data" / "report_headers.yaml"
# level -> (the union body's words, "the whole …" in the text, the symbol's prefix)
LEVELS = {"province": ("TỈNH ĐOÀN", "toàn tỉnh", "TĐ"), "district": ("HUYỆN ĐOÀN", "toàn huyện", "HĐ"),
          "commune": ("ĐOÀN XÃ", "toàn xã", "ĐTN")}
TOWN = "Thị trấn "


@dataclass(frozen=True)
class Head:
    parent_body: str  # the line above the issuer: the union one level up
    issuer: str  # "BCH HUYỆN ĐOÀN THỌ XUÂN"
    symbol: str  # after "-BC/": "HĐTX"
    number: str
    place: str  # "Thọ Xuân"
    whole: str  # "toàn huyện"
    on_behalf: str
    signer_title: str
    signer_name: str
    recipients: tuple[str, ...]


def body_words(unit: OrgUnit) -> tuple[str, str]:
    """The union body of a unit ("HUYỆN ĐOÀN THỌ XUÂN") and its place ("Thọ Xuân")."""
    words, _, _ = LEVELS.get(unit.level, ("ĐOÀN", "toàn đơn vị", "ĐTN"))
    place = unit.name
    if unit.level == "commune" and place.startswith(TOWN):
        words, place = "ĐOÀN THỊ TRẤN", place[len(TOWN):]
    return f"{words} {place.upper()}", place


def _abbreviation(code: str) -> str:
    return code.split("-")[-1].upper()


class Heads:
    def __init__(self, tree: OrgTree, raw: dict[str, Any]) -> None:
        self.tree = tree
        self.defaults = dict(raw.get("defaults") or {})
        self.units = {str(k): dict(v or {}) for k, v in (raw.get("units") or {}).items()}

    @classmethod
    def load(cls, tree: OrgTree, path: Path | None = None) -> Heads:
        path = path or DEFAULT_FILE
        with open(path, encoding="utf-8") as handle:
            return cls(tree, yaml.safe_load(handle) or {})

    def of(self, code: str, tree: OrgTree | None = None) -> Head:
        """The head of `code` in `tree` (the hierarchy the report grouped by; default: the file's)."""
        tree = tree or self.tree
        unit = tree.get(code) or self.tree.get(code)
        assert unit is not None  # the read that built the report found it in one of them
        own = {**self.defaults, **self.units.get(code, {})}
        body, place = body_words(unit)
        parent = (tree.get(unit.parent) or self.tree.get(unit.parent)) if unit.parent else None
        parent_body = body_words(parent)[0] if parent else "BAN CHẤP HÀNH TRUNG ƯƠNG ĐOÀN"
        prefix = LEVELS.get(unit.level, ("", "toàn đơn vị", "ĐTN"))[2]
        recipients = own.get("recipients") or [f"BTV {parent_body.title()} (b/c);" if parent else "", "Lưu VP."]
        return Head(
            parent_body=str(own.get("parent_body") or parent_body), issuer=str(own.get("issuer") or f"BCH {body}"),
            symbol=str(own.get("symbol") or (prefix if unit.level == "commune" else prefix + _abbreviation(code))),
            number=str(own.get("number") or "…"), place=str(own.get("place") or place),
            whole=str(own.get("whole") or LEVELS.get(unit.level, ("", "toàn đơn vị", ""))[1]),
            on_behalf=str(own.get("on_behalf") or "TM. BAN THƯỜNG VỤ"),
            signer_title=str(own.get("signer_title") or "BÍ THƯ"), signer_name=str(own.get("signer_name") or ""),
            recipients=tuple(str(r) for r in recipients if r))
