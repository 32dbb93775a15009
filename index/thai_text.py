"""Small Thai text helpers shared by indexing, querying and evaluation."""

import re

THAI_DIGITS = "๐๑๒๓๔๕๖๗๘๙"
_TO_ARABIC = str.maketrans(THAI_DIGITS, "0123456789")
_SPACE = re.compile(r"\s+")


def arabic_digits(text: str) -> str:
    """Map Thai digits ๐–๙ to 0–9 (for matching only; shown text keeps the original)."""
    return text.translate(_TO_ARABIC)


def compact(text: str) -> str:
    """Matching key: no whitespace, Arabic digits, nikhahit + sara aa composed into sara am."""
    return arabic_digits(_SPACE.sub("", text)).replace("\u0e4d\u0e32", "\u0e33")


def collapse_spaces(text: str) -> str:
    """Collapse runs of whitespace into one space and strip the ends."""
    return _SPACE.sub(" ", text).strip()
