"""The one normalisation of people's text (names, titles, notes), applied before any rule or duplicate check
reads it, in the HTTP bodies and in the spreadsheet imports alike.

NFC (one code point per Vietnamese letter, whatever keyboard sent it); invisible characters removed
(zero-width spaces and joiners, bidi marks, the BOM, soft hyphens: a name made only of them would show
blank, and one of them inside a name would hide a duplicate); control characters and lone surrogates
removed; every kind of space collapsed to one. A multi-line text (a description, a note) keeps its line
breaks, at most one empty line in a row."""

from __future__ import annotations

import re
import unicodedata

# Letters and symbols that render as nothing but are not in the format (Cf) category.
_BLANK_LOOKING = frozenset("\u115f\u1160\u3164\uffa0\u2800\u180e")
_SPACES = re.compile(r"[^\S\n]+")  # any whitespace but a line break
_LINES = re.compile(r" ?\n ?")
_EMPTY_LINES = re.compile(r"\n{3,}")


def _kept(ch: str) -> str:
    """The character as kept: '' when invisible or a control, ' ' for any space or separator, else itself."""
    if ch in "\n\r\t\v\f":
        return ch
    category = unicodedata.category(ch)
    if category in ("Cc", "Cf", "Cs", "Co", "Cn") or ch in _BLANK_LOOKING:
        return ""
    if category in ("Zs", "Zl", "Zp"):
        return " " if category == "Zs" else "\n"
    return ch


def normalize_text(value: str, multiline: bool = False) -> str:
    """`value` as stored and compared; '' when nothing visible is left."""
    text = unicodedata.normalize("NFC", value)
    if not text.isascii() or not text.isprintable():
        text = "".join(_kept(ch) for ch in text)
        text = unicodedata.normalize("NFC", text)  # a removed mark may leave two parts that compose
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not multiline:
        return " ".join(text.split())
    text = _LINES.sub("\n", _SPACES.sub(" ", text))
    return _EMPTY_LINES.sub("\n\n", text).strip()


def identity_text(value: str) -> str:
    """For duplicate detection: normalised, case ignored, diacritics kept ('Lê' is not 'Le')."""
    return unicodedata.normalize("NFC", normalize_text(value).casefold())


def fold_text(value: str) -> str:
    """For likely duplicates and search: normalised, case ignored, every Vietnamese tone and vowel mark gone
    and đ read as d ("Nguyễn Văn Đức" and "nguyen van duc" fold alike), punctuation read as a space."""
    decomposed = unicodedata.normalize("NFD", normalize_text(value).casefold().replace("đ", "d"))
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join("".join(ch if ch.isalnum() else " " for ch in bare).split())


# Mobile prefixes renumbered in 2018 (11 to 10 digits): a participant registered in 2017 with 0162... now
# answers on 0362...; both are the same phone.
_RENUMBERED = {"0162": "032", "0163": "033", "0164": "034", "0165": "035", "0166": "036", "0167": "037",
               "0168": "038", "0169": "039", "0120": "070", "0121": "079", "0122": "077", "0126": "076",
               "0128": "078", "0123": "083", "0124": "084", "0125": "085", "0127": "081", "0129": "082",
               "0186": "056", "0188": "058", "0199": "059"}
MIN_PHONE_DIGITS = 9  # fewer digits than any Vietnamese number (with its 0) cannot identify anyone


def normalize_phone(value: str | None) -> str | None:
    """A Vietnamese phone number as compared: digits only, +84/0084/84 read as the leading 0, an 11-digit
    mobile number as its 2018 renumbering; None when too short to be a number."""
    digits = "".join(ch for ch in unicodedata.normalize("NFKC", value or "") if ch.isdigit() and ch.isascii())
    for prefix in ("0084", "84"):
        if digits.startswith(prefix) and len(digits) >= len(prefix) + MIN_PHONE_DIGITS - 1:
            digits = "0" + digits[len(prefix):]
            break
    if len(digits) == 11 and digits[:4] in _RENUMBERED:
        digits = _RENUMBERED[digits[:4]] + digits[4:]
    return digits if len(digits) >= MIN_PHONE_DIGITS else None


def mask_phone(value: str | None) -> str | None:
    """A phone as shown to someone who may not see it whole (as the logs mask it): 091****678."""
    phone = normalize_phone(value)
    return None if phone is None else f"{phone[:3]}****{phone[-3:]}"
