"""Alerts, as pure functions of figures, targets and participants' facts: units behind the straight-line path
to their target, selected participants not yet trained or funded N months on, funded participants with no
evaluation in the last M months. Each alert carries its reason in Vietnamese and English."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date
from typing import Any

from services.reporting.domain import DECISIONS, Fact, live_facts
from services.reporting.numbers import vn_date

BEHIND_TARGET, SELECTED_IDLE, FUNDED_UNEVALUATED = "behind_target", "selected_idle", "funded_unevaluated"
KINDS = (BEHIND_TARGET, SELECTED_IDLE, FUNDED_UNEVALUATED)
# the event types the participant alerts read
NEEDED_TYPES = ("participant.registered", *DECISIONS, "participant.trained", "participant.funded",
                "participant.evaluated", "event.retracted")


@dataclass(frozen=True)
class Settings:
    months_without_start: int = 3  # selected, neither trained nor funded this long after the decision
    months_without_evaluation: int = 6  # funded, no evaluation this long

    def as_dict(self) -> dict[str, int]:
        return {"months_without_start": self.months_without_start,
                "months_without_evaluation": self.months_without_evaluation}


def months_before(day: date, months: int) -> date:
    """The same day `months` earlier (the month's last day when it has no such day)."""
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def unit_alert(unit: dict[str, Any], target: dict[str, Any], as_of: date) -> dict[str, Any] | None:
    """A unit whose successful models are fewer than its straight-line path asks for by `as_of`."""
    if target["successful_models"] <= 0 or target["achieved"] >= target["expected_by_as_of"]:
        return None
    behind, due = target["behind_path_by"], date.fromisoformat(target["due_on"])
    vi = (f"{unit['name']}: {target['achieved']} mô hình thành công, theo tiến độ cần {target['expected_by_as_of']}"
          f" đến ngày {vn_date(as_of)} (chỉ tiêu {target['successful_models']} mô hình đến ngày {vn_date(due)});"
          f" chậm {behind} mô hình.")
    en = (f"{unit['name']}: {target['achieved']} successful models, {target['expected_by_as_of']} expected by"
          f" {as_of.isoformat()} on the path to {target['successful_models']} by {due.isoformat()};"
          f" {behind} behind.")
    return {"kind": BEHIND_TARGET, "org_unit": unit, "reason": {"vi": vi, "en": en}, "target": target,
            "links": {"summary": f"/api/v1/summary/{unit['code']}?as_of={as_of.isoformat()}",
                      "dashboard": f"/dashboard/{unit['code']}?as_of={as_of.isoformat()}"}}


def participant_alerts(facts: list[Fact], units: set[str], as_of: date, settings: Settings,
                       unit_names: dict[str, str]) -> list[dict[str, Any]]:
    """The alerts about one participant (its live facts up to `as_of`), when registered in `units`."""
    live = [f for f in live_facts(facts) if f.occurred_on <= as_of]
    registrations = [f for f in live if f.type == "participant.registered"]
    if not registrations or registrations[-1].org_unit not in units:
        return []
    registration = registrations[-1]
    decisions = [f for f in live if f.type in DECISIONS]
    if not decisions or decisions[-1].type != "participant.selected":
        return []
    selected_on = decisions[-1].occurred_on
    trained = [f for f in live if f.type == "participant.trained"]
    funded = [f for f in live if f.type == "participant.funded"]
    evaluated = [f for f in live if f.type == "participant.evaluated"]
    person = {"id": registration.participant_id, "name": registration.data.get("full_name"),
              "org_unit": {"code": registration.org_unit, "name": unit_names.get(registration.org_unit)}}
    links = {"timeline": f"/api/v1/participants/{person['id']}/timeline",
             "dashboard": f"/dashboard/participant/{person['id']}"}
    out: list[dict[str, Any]] = []
    if (not trained or not funded) and selected_on <= months_before(as_of, settings.months_without_start):
        missing = [name for name, done in (("training", trained), ("funding", funded)) if not done]
        words_vi = " và ".join({"training": "chưa được tập huấn", "funding": "chưa được vay vốn"}[m]
                               for m in missing)
        words_en = " and ".join({"training": "not trained", "funding": "not funded"}[m] for m in missing)
        out.append({"kind": SELECTED_IDLE, "participant": person, "since": selected_on.isoformat(),
                    "missing": missing, "links": links, "reason": {
                        "vi": f"{person['name']}: được lựa chọn ngày {vn_date(selected_on)}, sau hơn "
                              f"{settings.months_without_start} tháng {words_vi}.",
                        "en": f"{person['name']}: selected on {selected_on.isoformat()}, {words_en} after more "
                              f"than {settings.months_without_start} months."}})
    if funded:
        last = max(f.occurred_on for f in evaluated) if evaluated else None
        since = last or min(f.occurred_on for f in funded)
        if since <= months_before(as_of, settings.months_without_evaluation):
            vi_when = (f"lần đánh giá gần nhất ngày {vn_date(last)}" if last else
                       f"được vay vốn từ ngày {vn_date(since)}, chưa được đánh giá lần nào")
            en_when = (f"last evaluated on {last.isoformat()}" if last else
                       f"funded since {since.isoformat()}, never evaluated")
            out.append({"kind": FUNDED_UNEVALUATED, "participant": person, "since": since.isoformat(),
                        "last_evaluated_on": last.isoformat() if last else None, "links": links, "reason": {
                            "vi": f"{person['name']}: {vi_when}; quá {settings.months_without_evaluation} tháng "
                                  "chưa được đánh giá.",
                            "en": f"{person['name']}: {en_when}; no evaluation in "
                                  f"{settings.months_without_evaluation} months."}})
    return out
