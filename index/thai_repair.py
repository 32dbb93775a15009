"""Repair Thai text damaged by PDF/Word extraction; clean text comes back byte-identical.

The order of the steps matters (see the extraction notes): marks must be in place before the
sara am is recomposed, and that before lost nikhahit is guessed.
"""

import re
import unicodedata
from functools import lru_cache

from pythainlp.tokenize import word_tokenize

_ZERO_WIDTH = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")

# Legacy Thai font shaping glyphs in the Private Use Area (Windows/Adobe Thai fonts).
_PUA = str.maketrans(
    {
        "\uf700": "ฐ", "\uf701": "\u0e34", "\uf702": "\u0e35", "\uf703": "\u0e36",
        "\uf704": "\u0e37", "\uf705": "\u0e48", "\uf706": "\u0e49", "\uf707": "\u0e4a",
        "\uf708": "\u0e4b", "\uf709": "\u0e4c", "\uf70a": "\u0e48", "\uf70b": "\u0e49",
        "\uf70c": "\u0e4a", "\uf70d": "\u0e4b", "\uf70e": "\u0e4c", "\uf70f": "ญ",
        "\uf710": "\u0e31", "\uf711": "\u0e4d", "\uf712": "\u0e47", "\uf713": "\u0e48",
        "\uf714": "\u0e49", "\uf715": "\u0e4a", "\uf716": "\u0e4b", "\uf717": "\u0e4c",
        "\uf718": "\u0e38", "\uf719": "\u0e39", "\uf71a": "\u0e3a",
    }
)

# C1 control characters left by decoding Windows-874 text as Latin-1: the bytes were quotes,
# dashes and bullets (e.g. Krisdika statute texts write “ดิจิทัล” as \x93ดิจิทัล\x94).
_C1_PUNCTUATION = str.maketrans({"\x85": "…", "\x91": "‘", "\x92": "’", "\x93": "“", "\x94": "”",
                                 "\x95": "•", "\x96": "–", "\x97": "—"})

_MARKS = "\u0e31\u0e34-\u0e3a\u0e47-\u0e4e"
_SPACE_BEFORE_MARK = re.compile(rf"\s+(?=[{_MARKS}])")
_TONE_BEFORE_VOWEL = re.compile("([\u0e48-\u0e4b])([\u0e31\u0e34-\u0e3a])")
_NIKHAHIT_AA = re.compile("\u0e4d([\u0e48-\u0e4b]?)\u0e32")
_AM_AA = re.compile("\u0e33\u0e32")
# Four or more single Thai letters (with their marks) separated by single spaces: "ก า ร".
_LETTER_SPACED = re.compile(rf"(?<![^\s])(?:[ก-ฮะ-ฺเ-ๆ][{_MARKS}]* ){{3,}}[ก-ฮะ-ฺเ-ๆ][{_MARKS}]*(?![^\s])")
# "ท างาน": a consonant (+ tone) then a space then sara aa, which can never start a word.
_LOST_NIKHAHIT = re.compile("([ก-ฮ][\u0e48-\u0e4b]?) (?=\u0e32)")
_THAI_WORD = re.compile(rf"[ก-๛{_MARKS}]+")
# Mai han-akat with no mark on it, before a consonant: where OCR drops a mai ek (มั่นคง read มันคง).
_BARE_HAN_AKAT = re.compile("(?<=[ก-ฮ]\u0e31)(?=[ก-ฮ])")


def repair_thai(text: str) -> str:
    """Fix extraction damage in Thai text: zero-width characters, PUA glyphs, mis-decoded
    Windows-874 punctuation, mark order,
    decomposed sara am, letter-spacing and lost nikhahit. Clean text is returned unchanged."""
    text = _ZERO_WIDTH.sub("", text)
    text = text.translate(_PUA).translate(_C1_PUNCTUATION)
    if not text.isascii():
        # NFC only: NFKC/NFKD would split sara am into nikhahit + sara aa.
        text = unicodedata.normalize("NFC", text)
    text = _SPACE_BEFORE_MARK.sub("", text)
    text = _TONE_BEFORE_VOWEL.sub(r"\2\1", text)
    text = _compose_am(text)
    text = _AM_AA.sub("\u0e33", text)
    text = _LETTER_SPACED.sub(lambda m: m.group(0).replace(" ", ""), text)
    return _restore_lost_nikhahit(text)


def restore_lost_mai_ek(text: str) -> str:
    """Put back a mai ek that OCR dropped over mai han-akat (ความมันคง และยังยืน → ความมั่นคง
    และยั่งยืน) where the word then splits into fewer dictionary words. Tesseract drops it
    systematically (7 of the 11 in the rendered guideline, all 7 restored, nothing else
    changed); on clean text the rule would change 6 of the 7,736 such sites in the shipped
    corpus (ยังพบว่า), so it runs on OCR text only, never in :func:`repair_thai`."""
    out: list[str] = []
    last = 0
    for site in _BARE_HAN_AKAT.finditer(text):
        at = site.start()
        left, right = _word_before(text, at), _word_after(text, at)
        # Counted with sara am composed: raw Tesseract output writes it as nikhahit + sara aa.
        if _word_count(_compose_am(left + "\u0e48" + right)) < _word_count(_compose_am(left + right)):
            out.append(text[last:at] + "\u0e48")
            last = at
    out.append(text[last:])
    return "".join(out)


def _compose_am(text: str) -> str:
    return _NIKHAHIT_AA.sub("\\1\u0e33", text)


def _restore_lost_nikhahit(text: str) -> str:
    sites = list(_LOST_NIKHAHIT.finditer(text))
    if not sites:
        return text
    # The defect is systematic in a document; a lone site is more likely a real gap.
    prefer_am = len(sites) >= 3
    out: list[str] = []
    last = 0
    for site in sites:
        left = _word_before(text, site.end(1))
        right = _word_after(text, site.end())
        out.append(text[last : site.start()])
        am, aa = _word_count(left + "\u0e33" + right[1:]), _word_count(left + right)
        use_am = am < aa or (am == aa and prefer_am)
        out.append(site.group(1) + ("\u0e33" if use_am else ""))
        last = site.end() + (1 if use_am else 0)
    out.append(text[last:])
    return "".join(out)


def _word_before(text: str, end: int) -> str:
    start = end
    while start > 0 and _THAI_WORD.fullmatch(text[start - 1]):
        start -= 1
    return text[start:end]


def _word_after(text: str, start: int) -> str:
    end = start
    while end < len(text) and _THAI_WORD.fullmatch(text[end]):
        end += 1
    return text[start:end]


@lru_cache(maxsize=4096)
def _word_count(text: str) -> int:
    return len(word_tokenize(text, engine="newmm", keep_whitespace=False))
