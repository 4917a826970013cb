"""The pure parts of the write checks: Vietnamese folding and phone normalisation (shared.text), the keys and
area of likely duplicates (services/registration/duplicates.py), the plausibility rules and their
configuration (shared.plausibility)."""

from __future__ import annotations

import unicodedata
from datetime import date

import pytest

from services.registration import duplicates
from shared.orgunits import OrgTree
from shared.plausibility import Thresholds, from_settings, implausible, require_confirmed
from shared.rules import RuleViolation
from shared.text import fold_text, mask_phone, normalize_phone

# every vowel with every tone, both cases, and đ/Đ: all fold to plain letters
VOWELS = {"a": "aàáảãạăằắẳẵặâầấẩẫậ", "e": "eèéẻẽẹêềếểễệ", "i": "iìíỉĩị", "o": "oòóỏõọôồốổỗộơờớởỡợ",
          "u": "uùúủũụưừứửữự", "y": "yỳýỷỹỵ", "d": "dđ"}


def test_folding_removes_every_vietnamese_mark_and_reads_d_bar_as_d() -> None:
    for plain, letters in VOWELS.items():
        for letter in letters + letters.upper():
            assert fold_text(letter) == plain, letter
            assert fold_text(unicodedata.normalize("NFD", letter)) == plain, letter
    assert fold_text("  NGUYỄN   Văn\u00a0Đức ") == fold_text("nguyen van duc") == "nguyen van duc"
    assert fold_text("Hoàng-Ánh\u200b") == "hoang anh"
    assert fold_text("Lê Văn An") == fold_text("Lê Văn Ân") == "le van an"
    assert fold_text("Lê Văn An") != fold_text("Lê Văn Anh")


@pytest.mark.parametrize(("typed", "normal"), [
    ("0912345678", "0912345678"), ("0912 345 678", "0912345678"), ("+84 912.345.678", "0912345678"),
    ("84912345678", "0912345678"), ("0084912345678", "0912345678"), ("(+84) 16 29 12 34 56", "0329123456"),
    ("01629123456", "0329123456"), ("0237 3851 234", "02373851234"), ("0912", None), ("", None), (None, None)])
def test_phones_compare_after_normalising(typed: str | None, normal: str | None) -> None:
    assert normalize_phone(typed) == normal


def test_a_phone_shown_masked() -> None:
    assert mask_phone("+84 912 345 678") == "091****678"
    assert mask_phone("12") is None


def test_keys_and_the_area_they_are_looked_for_in() -> None:
    keys = duplicates.keys("NGUYEN van Đức", date(1995, 2, 3), "+84912345678")
    assert keys == duplicates.keys("Nguyễn Văn Đức", date(1995, 2, 3), "0912 345 678")
    assert set(keys) == {duplicates.NAME, duplicates.PHONE}
    assert duplicates.keys("Nguyễn Văn Đức", None, "12") == {}
    tree = OrgTree.from_nested([
        {"code": "P", "name": "Tỉnh", "level": "province", "children": [
            {"code": "D", "name": "Huyện", "level": "district", "children": [
                {"code": "C1", "name": "Xã 1", "level": "commune", "children": [
                    {"code": "B1", "name": "Chi đoàn", "level": "branch"}]}]},
            {"code": "C2", "name": "Xã 2", "level": "commune"}]}])  # a commune right under the province
    assert [duplicates.area(tree, code) for code in ("C1", "B1", "D", "C2", "P")] == ["D", "D", "D", "P", "P"]


def test_plausibility_rules_with_the_default_thresholds() -> None:
    limits = Thresholds()
    usual = {"revenue_vnd": 300_000_000, "profit_vnd": 60_000_000, "jobs_created": 8}
    assert implausible("participant.evaluated", usual, limits) == {}
    flagged = implausible("participant.evaluated", {"revenue_vnd": 10**11, "profit_vnd": 2 * 10**11,
                                                    "jobs_created": 2_000}, limits)
    assert set(flagged) == {"revenue_vnd", "profit_vnd", "jobs_created"}
    assert implausible("participant.evaluated", {"profit_vnd": -(10**11)}, limits).keys() == {"profit_vnd"}
    assert implausible("participant.funded", {"source": "vbsp", "amount_vnd": 100_000_000}, limits) == {}
    assert implausible("participant.funded", {"source": "vbsp", "amount_vnd": 100_000_001}, limits).keys() == {
        "amount_vnd"}
    assert implausible("participant.funded", {"source": "commercial_bank", "amount_vnd": 500_000_000,
                                              "term_months": 240}, limits).keys() == {"term_months"}
    assert implausible("participant.trained", {"hours": 2_000}, limits).keys() == {"hours"}
    assert implausible("participant.supported", {"amount_vnd": 10**12}, limits) == {}


def test_confirmation_names_each_field_and_records_what_was_confirmed() -> None:
    data = {"revenue_vnd": 80_000_000, "profit_vnd": 90_000_000, "jobs_created": 500}
    with pytest.raises(RuleViolation) as refused:
        require_confirmed("participant.evaluated", data, Thresholds())
    assert (refused.value.status, refused.value.code) == (422, "confirmation_required")
    assert set(refused.value.more_fields) == {"jobs_created", "profit_vnd"}
    assert refused.value.extra["confirmable"] == ["jobs_created", "profit_vnd"]
    with pytest.raises(RuleViolation) as half:
        require_confirmed("participant.evaluated", data | {"confirmed_implausible": ["jobs_created"]}, Thresholds())
    assert set(half.value.more_fields) == {"profit_vnd"}
    assert require_confirmed("participant.evaluated", data | {"confirmed_implausible": True},
                             Thresholds()) == ["jobs_created", "profit_vnd"]
    assert require_confirmed("participant.evaluated", {"jobs_created": 3, "confirmed_implausible": True},
                             Thresholds()) == []


def test_thresholds_come_from_the_environment() -> None:
    limits = from_settings({"TIENPHONG_PLAUSIBLE_JOBS_CREATED": "300", "TIENPHONG_FUNDING_CEILING_VBSP_VND": "2_000"})
    assert limits.jobs_created == 300 and limits.ceiling("vbsp") == 2_000
    assert limits.ceiling("commercial_bank") == Thresholds().ceiling("commercial_bank")
    assert from_settings({}) == Thresholds()
    with pytest.raises(ValueError, match="TIENPHONG_PLAUSIBLE_TRAINING_HOURS"):
        from_settings({"TIENPHONG_PLAUSIBLE_TRAINING_HOURS": "0"})


def test_a_body_confirms_with_true_or_field_names_only() -> None:
    from marshmallow import ValidationError

    from services.registration.schemas import EvaluationBody

    body = {"evaluated_on": "2018-06-30", "status": "on_track"}
    assert EvaluationBody().load(body | {"confirmed_implausible": True})["confirmed_implausible"] is True
    assert EvaluationBody().load(body | {"confirmed_implausible": False})["confirmed_implausible"] is None
    assert EvaluationBody().load(body | {"confirmed_implausible": ["jobs_created", "jobs_created"]})[
        "confirmed_implausible"] == ["jobs_created"]
    for wrong in ("jobs_created", 1, [1], [""], {"jobs_created": True}, ["x"] * 21):
        with pytest.raises(ValidationError) as refused:
            EvaluationBody().load(body | {"confirmed_implausible": wrong})
        assert "||Must be true or a list of field names." in str(refused.value.messages), wrong
