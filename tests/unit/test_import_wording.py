"""A commune's list may name a branch as the phone form does: the two ways of recording agree."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from services.registration.import_layout import REGISTRATIONS
from shared.imports.cells import _as_choice

FORM_TEXTS = Path(__file__).resolve().parents[2] / "services" / "reporting" / "forms_static" / "texts.js"


def form_label(key: str) -> str:
    found = re.search(rf'"{re.escape(key)}": \["([^"]+)"', FORM_TEXTS.read_text(encoding="utf-8"))
    assert found, key
    return found.group(1)


@pytest.mark.parametrize("typed", [form_label("opt.residential"), "Thôn, khu phố", "khu dân cư", "Thôn"])
def test_the_forms_wording_of_a_residential_branch_is_read_by_the_import(typed: str) -> None:
    assert _as_choice(REGISTRATIONS.choices["branch_kind"], typed) == "residential"
