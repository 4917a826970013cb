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


MONTHS_EN = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
             "November", "December")


def period_words(period: dict[str, str], lang: str) -> str:
    """A report period as a document names it: 'Tháng 10 năm 2017', '6 tháng đầu năm 2018', 'Năm 2018'."""
    code, kind = period["code"], period["kind"]
    year = int(code[:4])
    if kind == "month":
        month = int(code[5:7])
        return f"{MONTHS_EN[month - 1]} {year}" if lang == "en" else f"Tháng {month} năm {year}"
    if kind == "half_year":
        first = code.endswith("H1")
        if lang == "en":
            return f"{'First' if first else 'Second'} half of {year}"
        return f"6 tháng {'đầu' if first else 'cuối'} năm {year}"
    return f"Year {year}" if lang == "en" else f"Năm {year}"
