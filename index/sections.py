"""Measure how faithfully a document's มาตรา sections survive extraction."""

import re

from .thai_text import arabic_digits

_SECTION = re.compile(r"(?:^|\n)\s*มาตรา\s*\n?\s*([0-9]+(?:/[0-9]+)?)")
# A reference back to a paragraph of the same section ("…ตามวรรคหนึ่ง"): it opens a later paragraph,
# also where the source's line wrapping has glued that paragraph to a list's last item.
PARAGRAPH_REFERENCE = re.compile(r"ตามวรรค(?:หนึ่ง|สอง|สาม|สี่|ห้า|หก)")
# A passage that sets a penalty: a prison term or a fine, by a court or one a committee orders.
SETS_PENALTY = re.compile(r"ระวางโทษ|โทษจำคุก|โทษปรับ|มีโทษ|ปรับทางปกครอง|มีคำสั่งปรับ")


def section_key(label: str | None) -> tuple[str, str] | None:
    """("มาตรา", "15") for a chunk label such as "มาตรา ๑๕ (๑)–(๓)"; None without a number."""
    parts = arabic_digits(label or "").split(" ")
    return (parts[0], parts[1]) if len(parts) >= 2 else None


def section_numbers(text: str) -> list[str]:
    """มาตรา numbers that start a line, in order of appearance (Arabic digits)."""
    return _SECTION.findall(arabic_digits(text))


def in_order_recall(found: list[str], reference: list[str]) -> float:
    """Share of ``reference`` sections found in the same relative order (longest common
    subsequence / reference length)."""
    if not reference:
        return 1.0
    prev = [0] * (len(found) + 1)
    for ref in reference:
        row = [0] * (len(found) + 1)
        for j, f in enumerate(found, 1):
            row[j] = prev[j - 1] + 1 if ref == f else max(prev[j], row[j - 1])
        prev = row
    return prev[-1] / len(reference)
