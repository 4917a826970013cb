"""Plausibility of the figures a write carries, pure: what a village business cannot report without someone
confirming it (thousands of jobs, profit above revenue, a loan above its source's ceiling...).

A figure outside these limits is not refused for good: the write is answered 422 confirmation_required naming
each field and why, and is recorded when sent again with `"confirmed_implausible": ["jobs_created", ...]` (or
`true`: every figure flagged); the event then records the fields that were confirmed. The limits are
configuration (`from_settings`, read in the composition root; docs/configuration.md gives the defaults and why).
Dates are not here: one in the future or before the program start is refused outright (shared.rules)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any

from shared.rules import RuleViolation

CONFIRMATION = "confirmed_implausible"

# The ceiling of one loan or grant per funding source, in VND (docs/configuration.md says where each comes from).
DEFAULT_CEILINGS: dict[str, int] = {
    "vbsp": 100_000_000, "youth_union_120": 100_000_000, "provincial_youth_credit": 500_000_000,
    "commercial_bank": 3_000_000_000, "enterprise": 1_000_000_000, "other": 1_000_000_000,
}


@dataclass(frozen=True)
class Thresholds:
    """The largest figures accepted without confirmation."""

    jobs_created: int = 100
    revenue_vnd: int = 20_000_000_000  # a year's revenue; also the largest loss (negative profit)
    amount_vnd: int = 3_000_000_000  # any other amount: a repayment's principal or interest
    term_months: int = 120
    training_hours: int = 500
    days_past_due: int = 1_825
    funding_ceilings: tuple[tuple[str, int], ...] = field(default_factory=lambda: tuple(DEFAULT_CEILINGS.items()))

    def ceiling(self, source: str) -> int:
        return dict(self.funding_ceilings).get(source, self.amount_vnd)


def from_settings(env: Mapping[str, str]) -> Thresholds:
    """The thresholds from TIENPHONG_PLAUSIBLE_<NAME> (e.g. TIENPHONG_PLAUSIBLE_JOBS_CREATED=300) and
    TIENPHONG_FUNDING_CEILING_<SOURCE>_VND (e.g. TIENPHONG_FUNDING_CEILING_VBSP_VND); defaults otherwise."""
    limits = Thresholds()
    changes: dict[str, Any] = {}
    for item in fields(Thresholds):
        raw = env.get(f"TIENPHONG_PLAUSIBLE_{item.name.upper()}")
        if raw and item.name != "funding_ceilings":
            changes[item.name] = _positive(f"TIENPHONG_PLAUSIBLE_{item.name.upper()}", raw)
    ceilings = dict(DEFAULT_CEILINGS)
    for source in ceilings:
        name = f"TIENPHONG_FUNDING_CEILING_{source.upper()}_VND"
        if env.get(name):
            ceilings[source] = _positive(name, env[name])
    return replace(limits, **changes, funding_ceilings=tuple(ceilings.items()))


def _positive(name: str, raw: str) -> int:
    value = int(raw.replace("_", ""))
    if value <= 0:
        raise ValueError(f"{name} must be a whole number above 0, not {raw!r}")
    return value


Flags = dict[str, tuple[str, str]]  # field -> why it is implausible (vi, en)


def _vnd(amount: int) -> str:
    return f"{amount:,}".replace(",", ".") + " đồng"


def _above(flags: Flags, data: Mapping[str, Any], name: str, limit: int, what_vi: str, what_en: str) -> None:
    value = data.get(name)
    if isinstance(value, int) and value > limit:
        flags[name] = (f"{what_vi} vượt mức thường gặp ({limit:,}).".replace(",", "."),
                       f"{what_en} is above what is usual ({limit:,}).")


# event type -> (field, its Thresholds attribute, what it is in vi and en): a figure above its threshold
LIMITS: dict[str, tuple[tuple[str, str, str, str], ...]] = {
    "participant.evaluated": (("jobs_created", "jobs_created", "Số việc làm tạo ra", "Jobs created"),),
    "participant.funded": (("term_months", "term_months", "Thời hạn vay (tháng)", "The loan term (months)"),),
    "participant.trained": (("hours", "training_hours", "Số giờ tập huấn", "Training hours"),),
    "loan.repaid": (("principal_vnd", "amount_vnd", "Số tiền gốc trả", "The principal repaid"),
                    ("interest_vnd", "amount_vnd", "Số tiền lãi trả", "The interest paid")),
    "loan.classified": (("days_past_due", "days_past_due", "Số ngày quá hạn", "Days past due"),),
}


def _evaluation(data: Mapping[str, Any], limits: Thresholds) -> Flags:
    flags: Flags = {}
    revenue, profit = data.get("revenue_vnd"), data.get("profit_vnd")
    if isinstance(revenue, int) and revenue > limits.revenue_vnd:
        flags["revenue_vnd"] = (f"Doanh thu vượt {_vnd(limits.revenue_vnd)}, quá lớn với một mô hình ở thôn, xã.",
                                f"Revenue above {limits.revenue_vnd:,} VND is too large for a village business.")
    if isinstance(profit, int) and isinstance(revenue, int) and profit > revenue:
        flags["profit_vnd"] = ("Lợi nhuận lớn hơn doanh thu.", "Profit is above revenue.")
    elif isinstance(profit, int) and abs(profit) > limits.revenue_vnd:
        flags["profit_vnd"] = (f"Lãi hoặc lỗ vượt {_vnd(limits.revenue_vnd)}.",
                               f"Profit or loss above {limits.revenue_vnd:,} VND.")
    return flags


def _funding(data: Mapping[str, Any], limits: Thresholds) -> Flags:
    source, amount = data.get("source"), data.get("amount_vnd")
    ceiling = limits.ceiling(str(source))
    if isinstance(amount, int) and amount > ceiling:
        return {"amount_vnd": (f"Số tiền vượt mức tối đa thường gặp của nguồn {source} ({_vnd(ceiling)}).",
                               f"The amount is above the usual ceiling of source {source} ({ceiling:,} VND).")}
    return {}


# rules beyond a single limit per field
RULES: dict[str, Callable[[Mapping[str, Any], Thresholds], Flags]] = {
    "participant.evaluated": _evaluation, "participant.funded": _funding,
}


def implausible(event_type: str, data: Mapping[str, Any], limits: Thresholds) -> Flags:
    """Each figure of the event's data outside the limits, with why; {} for types without figures."""
    flags: Flags = {}
    for name, attribute, what_vi, what_en in LIMITS.get(event_type, ()):
        _above(flags, data, name, getattr(limits, attribute), what_vi, what_en)
    rule = RULES.get(event_type)
    return flags | rule(data, limits) if rule else flags


def require_confirmed(event_type: str, data: Mapping[str, Any], limits: Thresholds) -> list[str]:
    """The fields flagged and confirmed, to record in the event; 422 confirmation_required naming each field
    flagged and not confirmed. `data[CONFIRMATION]`: true (everything flagged), a list of fields, or absent."""
    flags = implausible(event_type, data, limits)
    given = data.get(CONFIRMATION)
    confirmed = set(flags) if given is True else set(given or ())
    missing = {name: why for name, why in flags.items() if name not in confirmed}
    if missing:
        names = sorted(missing)
        listed = ", ".join(f'"{n}"' for n in names)
        raise RuleViolation(
            422, "confirmation_required", names[0],  # the column an import's row report names
            f"Số liệu bất thường, cần xác nhận: {', '.join(names)}. Nếu đúng, gửi lại với "
            f"\"{CONFIRMATION}\": [{listed}].",
            f"Implausible figures need confirming: {', '.join(names)}. If they are right, send again with "
            f"\"{CONFIRMATION}\": [{listed}].",
            {"confirmable": names}, missing)
    return sorted(flags)
