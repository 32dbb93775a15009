"""Content words of a question and how rare they are in the index."""

import math
from functools import lru_cache

from index.tokens import toneless


@lru_cache(maxsize=1)
def _stopwords() -> frozenset[str]:
    from pythainlp.corpus import thai_stopwords

    chat = ("อะไร อย่างไร ยังไง ไง ไหน เท่าไร เท่าไหร่ ไหร่ กี่ ใคร บ้าง ไหม มั้ย มั๊ย ครับ ค่ะ คะ นะ นะคะ "
            "นะครับ คับ จ้า จ้ะ หน่อย เปล่า ป่าว เหรอ หรอ อ่ะ อะ แค่ไหน ตอนนี้ แล้ว ล่ะ ด้วย รึ รึเปล่า "
            "ได้ ต้อง ทำ คือ ว่า ยัง มี เป็น ให้ ไป มา อยาก รู้ ทราบ ถาม ขอ ช่วย บอก หรือ กัน")
    return frozenset(thai_stopwords()) | frozenset(chat.split()) | {toneless(w) for w in chat.split()}


def content_words(tokens: list[str]) -> set[str]:
    """Tokens that carry meaning (no stopwords, question words or single characters)."""
    stop = _stopwords()
    return {t for t in tokens if t not in stop and len(t) > 1}


def idf(word: str, document_frequency: dict[str, int], n: int) -> float:
    """Inverse document frequency; a word the index has never seen is as rare as can be."""
    df = document_frequency.get(word, 0)
    return math.log(1 + (n - df + 0.5) / (df + 0.5))
