"""shared/text.py's normalisation and the month and period arithmetic at the edges of the calendar."""

from __future__ import annotations

import unicodedata
from datetime import date

import pytest

from services.reporting.half_months import period_end, period_of
from services.reporting.periods import PeriodOutOfRange, parse_period
from shared.text import identity_text, normalize_text


def test_text_is_nfc_without_invisible_or_control_characters_and_spaces_collapsed() -> None:
    assert normalize_text(unicodedata.normalize("NFD", "Hồ Thị Xuân")) == "Hồ Thị Xuân"
    assert normalize_text("\u200bLê\u200c\u200d Văn\u00a0\u3000An\ufeff\u2060\u00ad\x00\x1b\x7f\ud800 ") == "Lê Văn An"
    assert normalize_text("\u202eabc\u202c") == "abc"
    assert normalize_text("\u3164\u115f \u2800") == ""
    assert normalize_text("a\r\nb\tc") == "a b c"
    assert normalize_text(" a \r\n\r\n\r\n  b\u2028c ", multiline=True) == "a\n\nb\nc"
    assert identity_text("LÊ\u200b  văn an") == identity_text("Lê Văn An") != identity_text("Le Van An")
    # a mark split from its letter by an invisible character composes again
    assert normalize_text("e\u200b\u0302") == "ê"


def test_half_months_and_months_end_inside_the_calendar() -> None:
    assert period_end(date(9999, 12, 16)) == date(9999, 12, 31)
    assert period_end(date(9999, 12, 1)) == date(9999, 12, 15)
    assert period_end(date(2024, 2, 16)) == date(2024, 2, 29)
    assert period_of(date(9999, 12, 31)) == date(9999, 12, 16)


@pytest.mark.parametrize("code", ["0001-01", "9999-H2", "9999", "0000", "0000-12", "1899-12", "3000-01"])
def test_periods_beyond_the_range_are_refused_as_such(code: str) -> None:
    with pytest.raises(PeriodOutOfRange):
        parse_period(code)


@pytest.mark.parametrize("code", ["2017-13", "2017-1", "2017-H3", "17", "2017-10\n", "٢٠١٧", "2017-10 "])
def test_malformed_periods_are_refused(code: str) -> None:
    with pytest.raises(ValueError) as raised:
        parse_period(code)
    assert not isinstance(raised.value, PeriodOutOfRange)


def test_the_first_period_held_still_has_a_previous_one() -> None:
    assert parse_period("1900-01").previous().code == "1899-12"
    assert parse_period("1900-H1").previous().end == date(1899, 12, 31)
    assert parse_period("2999-12").end == date(2999, 12, 31)
