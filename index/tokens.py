"""Word tokens for BM25, shared by indexing and querying so both sides match."""

import re

from pythainlp.tokenize import word_tokenize

from .thai_text import arabic_digits

_WORDLIKE = re.compile(r"[\w\u0e00-\u0e7f]")


def word_tokens(text: str) -> list[str]:
    """Lower-cased PyThaiNLP newmm words with Thai digits mapped to Arabic; punctuation and
    whitespace dropped. "มาตรา ๑๕" and "มาตรา 15" give the same tokens."""
    words = word_tokenize(arabic_digits(text.lower()), engine="newmm", keep_whitespace=False)
    return [w for w in (w.strip() for w in words) if w and _WORDLIKE.search(w)]
