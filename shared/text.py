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
