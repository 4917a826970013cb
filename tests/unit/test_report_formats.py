"""The báo cáo's Vietnamese formats, the straight-line path to a target, effective-dated targets and the
month arithmetic of alerts (pure)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from services.reporting.alerts import months_before
from services.reporting.numbers import period_words, vn_dated_line, vn_number
from services.reporting.targets import Phase, TargetRow, Targets, on_path
from shared.orgunits import OrgTree, OrgUnit

TREE = OrgTree([OrgUnit("TH", "Thanh Hóa", "province", None), OrgUnit("TX", "Thọ Xuân", "district", "TH"),
                OrgUnit("TS", "Triệu Sơn", "district", "TH"), OrgUnit("TX-A", "Xuân Hòa", "commune", "TX")])
PHASE = Phase("2017-2018", date(2017, 1, 1), date(2018, 12, 31), {"district": 10}, {})


def test_vietnamese_numbers_dates_and_periods() -> None:
    assert vn_number(1234567) == "1.234.567" and vn_number(0) == "0" and vn_number(-1234) == "-1.234"
    assert vn_dated_line("Thọ Xuân", date(2018, 7, 5)) == "Thọ Xuân, ngày 05 tháng 7 năm 2018"
    assert period_words({"code": "2018-H1", "kind": "half_year"}, "vi") == "6 tháng đầu năm 2018"
    assert period_words({"code": "2017-10", "kind": "month"}, "vi") == "Tháng 10 năm 2017"
    assert period_words({"code": "2018", "kind": "year"}, "en") == "Year 2018"


def test_straight_line_and_months() -> None:
    assert on_path(10, date(2017, 1, 1), date(2018, 12, 31), date(2016, 5, 1)) == 0
    assert on_path(10, date(2017, 1, 1), date(2018, 12, 31), date(2018, 6, 30)) == 10 * 545 // 729
    assert on_path(10, date(2017, 1, 1), date(2018, 12, 31), date(2019, 1, 1)) == 10
    assert months_before(date(2018, 5, 31), 3) == date(2018, 2, 28)
    assert months_before(date(2018, 1, 15), 12) == date(2017, 1, 15)


def test_a_changed_target_keeps_the_old_one_for_earlier_dates_and_earlier_knowledge() -> None:
    set_at = datetime(2018, 3, 1, tzinfo=UTC)
    rows = [TargetRow(1, "TX-A", 2, date(2017, 6, 1), date(2018, 6, 30), date(2017, 6, 1), set_at, "admin"),
            TargetRow(2, "TX-A", 5, date(2018, 7, 1), date(2018, 12, 31), date(2018, 7, 1),
                      datetime(2018, 7, 2, tzinfo=UTC), "admin")]
    targets = Targets([PHASE]).with_rows(rows)
    assert targets.target(TREE, "TX-A", date(2018, 6, 30)) == 2 and targets.target(TREE, "TX-A", date(2018, 9, 1)) == 5
    assert Targets([PHASE]).with_rows(rows, known_at=set_at).target(TREE, "TX-A", date(2018, 9, 1)) == 2
    assert targets.target(TREE, "TX-A", date(2017, 1, 1)) == 0  # none before
    assert targets.target(TREE, "TX", date(2018, 9, 1)) == 10 and targets.target(TREE, "TH", date(2018, 9, 1)) == 20
    status = targets.status(TREE, "TX", date(2018, 12, 31), 7)
    assert status["status"] == "not_reached" and status["missing"] == 3 and status["status_text"]["vi"] == "chưa đạt"
    assert targets.status(TREE, "TX-A", date(2018, 12, 31), 5)["status"] == "reached"
    assert Targets([PHASE]).status(TREE, "TX-A", date(2018, 1, 1), 3)["status"] == "no_target"
