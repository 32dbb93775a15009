"""Word tokens for BM25, shared by indexing and querying so both sides match."""

import re

from pythainlp.tokenize import word_tokenize

from .thai_text import arabic_digits, compact

_WORDLIKE = re.compile(r"[\w\u0e00-\u0e7f]")
# Latin words, including ones mixing letters and digits (G2C, 5G) or hyphenated (e-government):
# newmm would split "g2c" into single characters that match nothing.
_LATIN_WORD = re.compile(r"[a-z0-9]*[a-z][a-z0-9]*(?:-[a-z0-9]+)*")


_TONE_MARKS = re.compile("[\u0e47-\u0e4c]")  # ็ ่ ้ ๊ ๋ ์: often left out when typing in chat


def toneless(text: str) -> str:
    """``text`` without Thai tone marks, maitaikhu and thanthakhat ("ข้อมูล" → "ขอมูล")."""
    return _TONE_MARKS.sub("", text)


def loose_key(text: str) -> str:
    """Lenient matching key: no whitespace or tone marks, Arabic digits, lower case (questions
    typed without tone marks still match the documents' words)."""
    return toneless(compact(text)).lower()


def word_tokens(text: str) -> list[str]:
    """Lower-cased words with Thai digits mapped to Arabic: PyThaiNLP newmm for Thai, whole Latin
    words kept as one token; punctuation and whitespace dropped. "มาตรา ๑๕" and "มาตรา 15" give
    the same tokens."""
    text = arabic_digits(text.lower())
    words: list[str] = []
    start = 0
    for latin in _LATIN_WORD.finditer(text):
        words += _newmm(text[start : latin.start()])
        words.append(latin.group())
        start = latin.end()
    return words + _newmm(text[start:])


def _newmm(text: str) -> list[str]:
    words = word_tokenize(text, engine="newmm", keep_whitespace=False) if text.strip() else []
    return [w for w in (w.strip() for w in words) if w and _WORDLIKE.search(w)]
