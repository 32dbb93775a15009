"""Tone marks put back into a question typed without them.

Chat users often type Thai without tone marks ("แกไข พรบ ธุรกรรมอิเล็กทรอนิกส ฉบับที 3"). The
word segmenter then cuts such text into fragments that are no word at all ("แชรตอโพสต" →
"แช|รตอ|โพ|สต"), so the dense model, BM25 and the evidence for declining all see noise. A
question with no tone mark at all is segmented against the toneless forms of the known words
and each word is written as the documents write it ("แชร์|ต่อ|โพสต์"): the most frequent word of
the index with that toneless form, else the dictionary's when only one word has it.
"""

import re
from collections import defaultdict
from dataclasses import dataclass

from pythainlp.corpus import thai_words
from pythainlp.tokenize import word_tokenize
from pythainlp.util import Trie, dict_trie

from index.tokens import toneless

_TONE_MARK = re.compile("[\u0e48-\u0e4b]")  # ่ ้ ๊ ๋ (not ็ or ์, which careful typists also drop)
_THAI = re.compile("[\u0e01-\u0e4e]")
MIN_THAI_CHARS = 12  # a shorter question has too few words to tell it was typed without marks
# Words of questions that documents seldom write ("กี่ปี", "ได้มั้ย"): restored first.
_QUESTION_WORDS = ("กี่", "เท่าไหร่", "เท่าไร", "ไหม", "มั้ย", "ใช่", "ป่าว", "หรือเปล่า", "ยังไง", "ค่ะ", "น่ะ",
                   "ไหร่")


@dataclass
class ToneRestorer:
    """Words by their toneless form, and a segmenter's dictionary of those forms."""

    words: dict[str, str]  # toneless form → the word written in full
    trie: Trie

    def restore(self, question: str) -> str:
        """``question`` with each word written in full (see ``typed_without_tones``)."""
        pieces = word_tokenize(toneless(question), custom_dict=self.trie, engine="newmm",
                               keep_whitespace=True)
        return "".join(self.words.get(piece, piece) for piece in pieces)


def typed_without_tones(question: str) -> bool:
    """Whether ``question`` is Thai typed without any tone mark (a question with some marks was
    typed with care, and a short one has too few words to tell)."""
    return not _TONE_MARK.search(question) and len(_THAI.findall(question)) >= MIN_THAI_CHARS


def tone_restorer(frequencies: dict[str, int]) -> ToneRestorer:
    """A restorer for the words of an index (``frequencies``: word → passages holding it) and of
    the Thai dictionary."""
    best: dict[str, tuple[int, str]] = {}
    for word, count in frequencies.items():
        if _THAI.search(word):
            key = toneless(word)
            if key not in best or count > best[key][0]:
                best[key] = (count, word)
    spellings: dict[str, set[str]] = defaultdict(set)
    for word in thai_words():
        spellings[toneless(word)].add(word)
    words = {toneless(w): w for w in _QUESTION_WORDS}
    words |= {key: word for key, (_, word) in best.items() if key not in words}
    # A dictionary word the documents never use is restored only when no other has its form.
    words |= {key: next(iter(found)) for key, found in spellings.items()
              if key not in words and len(found) == 1}
    return ToneRestorer(words, dict_trie(set(words) | set(spellings)))
