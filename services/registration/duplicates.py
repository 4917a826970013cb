"""Likely duplicates of a registration, pure: the keys that find them, the area they are looked for in, how a
candidate is shown and the refusal that names them.

Beyond the exact duplicate (same name as typed, birth date and commune: 409 duplicate_participant), a person is
likely registered already when, in the same district, someone has the same name once folded (case, spacing,
tone marks and đ ignored: "Nguyen Van Duc" is "Nguyễn Văn Đức") and the same birth date, or the same phone
once normalised (+84, spaces, the 2018 renumbering). The registration is then refused (409 likely_duplicate,
with the candidates) unless the body confirms that the person is someone else."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from shared.orgunits import OrgTree
from shared.rules import RuleViolation
from shared.text import fold_text, mask_phone, normalize_phone

NAME, PHONE = "name_birth_date", "phone"  # what a candidate matched on
MAX_CANDIDATES = 20
CONFIRMATION = "confirm_not_duplicate"


def keys(full_name: str | None, birth_date: date | None, phone: str | None) -> dict[str, str]:
    """The look-up keys of a person, by what they match on; a part left out gives no key."""
    found: dict[str, str] = {}
    folded = fold_text(full_name or "")
    if folded and birth_date is not None:
        found[NAME] = f"n:{folded}|{birth_date.isoformat()}"
    number = normalize_phone(phone)
    if number is not None:
        found[PHONE] = f"p:{number}"
    return found


def area(tree: OrgTree, org_unit: str) -> str:
    """The unit likely duplicates are looked for in: the nearest unit, from `org_unit` up, with communes below
    it (a commune's district; its province where there are no districts)."""
    for code in tree.ancestors(org_unit):
        if any((u := tree.get(c)) is not None and u.level == "commune" for c in tree.descendants(code) - {code}):
            return code
    return org_unit


@dataclass(frozen=True)
class Candidate:
    participant_id: str
    full_name: str
    org_unit: str
    org_unit_name: str
    birth_date: date
    phone: str | None  # masked
    registered_on: date
    status: str
    matched_on: tuple[str, ...]
    in_scope: bool  # whether the caller may open the record (GET /participants/{id})

    def as_dict(self) -> dict[str, Any]:
        return {"participant_id": self.participant_id, "full_name": self.full_name, "org_unit": self.org_unit,
                "org_unit_name": self.org_unit_name, "birth_date": self.birth_date.isoformat(),
                "phone": self.phone, "registered_on": self.registered_on.isoformat(), "status": self.status,
                "matched_on": list(self.matched_on), "in_scope": self.in_scope}


def candidate(tree: OrgTree, scope: str, participant_id: str, org_unit: str, status: str,
              registration: dict[str, Any], matched_on: set[str]) -> Candidate:
    unit = tree.get(org_unit)
    return Candidate(participant_id, registration["full_name"], org_unit, unit.name if unit else org_unit,
                     registration["birth_date"], mask_phone(registration.get("phone")),
                     registration["registered_on"], status, tuple(sorted(matched_on)), tree.within(org_unit, scope))


def refusal(candidates: list[Candidate]) -> RuleViolation:
    """409 likely_duplicate naming the fields that matched and every candidate (the first one in the message,
    for an import's row report)."""
    first = candidates[0]
    who_vi = (f"{first.full_name} ({first.org_unit_name}, sinh {first.birth_date:%d/%m/%Y}, đăng ký "
              f"{first.registered_on:%d/%m/%Y})")
    who_en = f"{first.full_name} ({first.org_unit_name}, born {first.birth_date}, registered {first.registered_on})"
    more_vi = f" và {len(candidates) - 1} người khác" if len(candidates) > 1 else ""
    more_en = f" and {len(candidates) - 1} more" if len(candidates) > 1 else ""
    matched = {m for c in candidates for m in c.matched_on}
    fields: dict[str, tuple[str, str]] = {}
    if NAME in matched:
        same = ("Trùng họ tên (không kể dấu) và ngày sinh với người đã đăng ký trong cùng huyện.",
                "Same name (ignoring accents) and birth date as someone registered in the same district.")
        fields |= {"full_name": same, "birth_date": same}
    if PHONE in matched:
        fields["phone"] = ("Trùng số điện thoại với người đã đăng ký trong cùng huyện.",
                           "Same phone as someone registered in the same district.")
    return RuleViolation(
        409, "likely_duplicate", next(iter(fields)),  # the column an import's row report names
        f"Có thể người này đã được đăng ký: {who_vi}{more_vi}. Nếu đúng là người khác, gửi lại với "
        f"\"{CONFIRMATION}\": true.",
        f"This person may already be registered: {who_en}{more_en}. If it is someone else, send again with "
        f"\"{CONFIRMATION}\": true.",
        {"candidates": [c.as_dict() for c in candidates]}, fields)
