"""Numbers and dates as Vietnamese administrative documents write them: 1.234.567; 05/7/2018;
"Thọ Xuân, ngày 05 tháng 7 năm 2018"."""

from __future__ import annotations

from datetime import date


def vn_number(value: int) -> str:
    """Thousands separated by dots: 1.234.567 (and -1.234)."""
    return f"{value:,}".replace(",", ".")


def vn_date(day: date) -> str:
    """dd/m/yyyy, as dates are written in a document's text (05/7/2018)."""
    return f"{day.day:02d}/{day.month}/{day.year}"


def vn_dated_line(place: str, day: date) -> str:
    """The place and date line under a document's number: 'Thọ Xuân, ngày 05 tháng 7 năm 2018'."""
    return f"{place}, ngày {day.day:02d} tháng {day.month} năm {day.year}"
