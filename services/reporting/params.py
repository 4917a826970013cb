"""Query parameters of the reads: dates, moments, periods and limits, refused in the contract's error shape."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

from flask import request

from services.reporting.periods import Period, PeriodOutOfRange, parse_period
from shared import date_bounds
from shared.web import ApiError

ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def invalid(name: str, vi: str, en: str) -> ApiError:
    return ApiError(422, "validation_failed", fields={name: f"{vi}||{en}"})


def parse_date(name: str, default: date) -> date:
    raw = request.args.get(name)
    if not raw:
        return default
    try:
        day = date.fromisoformat(raw) if ISO_DAY.fullmatch(raw) else None
    except ValueError:
        day = None
    if day is None:
        raise invalid(name, "Ngày không hợp lệ (định dạng YYYY-MM-DD).", "Invalid date (YYYY-MM-DD).")
    if not date_bounds.within(day):
        raise ApiError(422, "validation_failed", fields={name: date_bounds.out_of_range_message()})
    return day


MAX_LISTED = 10_000  # events behind a figure shown at once (without a limit, the whole list)


def parse_limit() -> int | None:
    raw = request.args.get("limit")
    if raw is None or raw == "":
        return None
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 6 and 1 <= int(raw) <= MAX_LISTED):
        raise invalid("limit", f"Số sự kiện phải là số nguyên từ 1 đến {MAX_LISTED}.",
                       f"limit must be a whole number from 1 to {MAX_LISTED}.")
    return int(raw)


def parse_known_at() -> datetime | None:
    raw = request.args.get("known_at")
    if not raw:
        return None
    try:
        # an unencoded "+" of the UTC offset arrives as a space
        text = raw.strip()
        moment = datetime.fromisoformat(text[:10] + text[10:].replace(" ", "+").replace("Z", "+00:00"))
    except ValueError:
        raise invalid("known_at", "Thời điểm không hợp lệ (ISO 8601).", "Invalid timestamp (ISO 8601).") from None
    if not date_bounds.moment_within(moment):
        raise ApiError(422, "validation_failed", fields={"known_at": date_bounds.out_of_range_message()})
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def parse_period_arg() -> Period:
    try:
        return parse_period(request.args.get("period", ""))
    except PeriodOutOfRange:
        raise ApiError(422, "validation_failed", fields={"period": date_bounds.period_out_of_range_message()}) from None
    except ValueError:
        raise invalid("period", "Kỳ báo cáo phải có dạng 2017-10, 2018-H1 hoặc 2018.",
                       "period must look like 2017-10, 2018-H1 or 2018.") from None
