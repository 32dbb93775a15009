"""Second-stage ranking of the fused candidates: a linear model over evidence features.

The first stage (``retrieval.search``) gathers about a hundred candidate passages by BM25 and by
the dense model. This stage scores each one with a few features a reader would weigh: how well
the words and the meaning match, whether the passage holds the rarest words of the question and
the words next to its question word, whether it is of the kind the question asks for (a penalty,
a number, a date, a list, a definition of the asked term), and how much of the candidate pool its
document holds. The weights are fitted with ``benchmarks/fit_ranker.py`` on training questions and
the tuning half of the evaluation set, never on the held-out half.
"""

import math
import re
from dataclasses import dataclass

import numpy as np

from index.documents import Chunk
from index.tokens import loose_key, toneless

from .fuse import normalized
from .intent import asked_words
from .query import Query

# Patterns that show a passage holds the kind of fact an intent asks for (matched on loose_key text:
# no spaces or tone marks, Arabic digits).
_KIND = {
    "penalty": re.compile(toneless(r"ระวางโทษ|จำคุก|ปรับไม่เกิน|โทษปรับ|ปรับทางปกครอง")),
    "amount": re.compile(toneless(r"[0-9]|บาท|ร้อยละ|หนึ่ง|สอง|สาม|สี่|ห้า|หก|เจ็ด|แปด|เก้า|สิบ|ร้อย|พัน|ล้าน")),
    "when": re.compile(toneless(r"ภายใน|วัน|เดือน|ปี|ครั้ง|ใช้บังคับ|นับแต่|วาระ")),
    "list": re.compile(toneless(r"\(?[0-9]+\)|ดังต่อไปนี้|ได้แก่|ประกอบด้วย")),
    "who": re.compile(toneless(r"ประธาน|รัฐมนตรี|เลขาธิการ|คณะกรรมการ|พนักงานเจ้าหน้าที่|ผู้ว่าการ|สำนักงาน|ศาล")),
}
_DEFINED = re.compile(r"“([^”]{2,80})”\s*หมายความว่า")

FEATURES = ("lexical", "dense", "dense_gap", "coverage", "window", "grams", "asked", "defines_asked",
            "defines_other", "definition_role", "kind", "reasons", "focus", "doc_share",
            "log_length")

# Fitted by benchmarks/fit_ranker.py (see docs/benchmarks.md); the order of FEATURES.
WEIGHTS = (3.889, -0.535, 70.067, -0.621, 1.515, 10.265, 1.939, 8.899, 3.720, 3.808, 0.524,
           5.070, 5.454, 3.994, -9.142)
DOC_POOL = 20  # candidates (by the first-stage score) whose documents make up ``doc_share``
WINDOW = 160  # characters (without spaces) in which the question's words should meet
GRAM = 3  # character n-grams of the question compared with a passage, whatever the word breaks


@dataclass
class Candidates:
    """The first stage's candidate passages for one question, with their features."""

    rows: np.ndarray  # index rows
    chunks: list[Chunk]
    features: np.ndarray  # one row per candidate, columns as FEATURES
    lexical: np.ndarray  # raw BM25 score (for the hits' evidence)
    dense: np.ndarray  # cosine similarity

    def scores(self) -> np.ndarray:
        """The model's score of every candidate."""
        return self.features @ np.asarray(WEIGHTS, dtype=np.float64)


def featurize(query: Query, chunks: list[Chunk], texts: list[str], lexical: np.ndarray,
              dense: np.ndarray, focus: np.ndarray, reasons_asked: bool,
              idf: dict[str, float]) -> np.ndarray:
    """Feature matrix (candidates × FEATURES) for ``query``'s candidate ``chunks``, whose text is
    also given as ``texts`` (:func:`index.tokens.loose_key`).

    ``idf`` weighs the question's content words; ``focus`` is the first stage's boost for the
    มาตรา the question names, the sections citing it, and a follow-up's passages around the last
    answer."""
    n = len(chunks)
    lex_n, dense_n = normalized(lexical), normalized(dense)
    words = {loose_key(w): weight for w, weight in idf.items() if loose_key(w)}
    total = sum(words.values()) or 1.0
    asked = {loose_key(w) for w in asked_words(query.tokens, set(idf))} - {""}
    defined_terms = [{loose_key(t) for t in _DEFINED.findall(c.text)} if c.role == "definition" else set()
                     for c in chunks]
    question = loose_key(query.text)
    # A defined term the question holds counts by how few candidates hold it: "คณะกรรมการ" is
    # defined in most Acts and named in most questions, "ข้อมูลจราจรทางคอมพิวเตอร์" is specific.
    defines = [max((_rarity(t, texts) for t in terms if t and t in question), default=0.0)
               for terms in defined_terms]
    grams = _gram_weights(question, texts)
    kinds = [_KIND[i] for i in query.intents if i in _KIND]
    base = 0.5 * lex_n + 0.5 * dense_n
    pool = np.argsort(-base, kind="stable")[:DOC_POOL]
    pool_docs = [chunks[j].doc_id for j in pool]
    out = np.zeros((n, len(FEATURES)), dtype=np.float64)
    for j, (chunk, text) in enumerate(zip(chunks, texts, strict=True)):
        out[j] = (
            lex_n[j],
            dense_n[j],
            dense[j] - dense.max(),
            sum(weight for w, weight in words.items() if w in text) / total,
            _best_window(text, words) / total,
            sum(weight for g, weight in grams.items() if g in text),
            sum(w in text for w in asked) / len(asked) if asked else 0.0,
            defines[j] if query.wants_definition else 0.0,
            0.0 if query.wants_definition else defines[j],
            float(chunk.role == "definition" and query.wants_definition),
            sum(bool(k.search(text)) for k in kinds) / len(kinds) if kinds else 0.0,
            float(reasons_asked and chunk.role == "reasons"),
            focus[j],
            pool_docs.count(chunk.doc_id) / len(pool_docs),
            math.log1p(len(chunk.text)) / 8,
        )
    return out


def _best_window(text: str, words: dict[str, float]) -> float:
    """The largest weight of distinct ``words`` found together within ``WINDOW`` characters."""
    found = sorted((m, w) for w in words for m in _positions(text, w))
    best, start, inside = 0.0, 0, {}
    for position, word in found:
        inside[word] = inside.get(word, 0) + 1
        while position - found[start][0] > WINDOW:
            gone = found[start][1]
            inside[gone] -= 1
            if not inside[gone]:
                del inside[gone]
            start += 1
        best = max(best, sum(words[w] for w in inside))
    return best


def _positions(text: str, word: str) -> list[int]:
    out, at = [], text.find(word)
    while at >= 0:
        out.append(at)
        at = text.find(word, at + 1)
    return out


def _rarity(term: str, texts: list[str]) -> float:
    """How few of the candidate ``texts`` hold ``term``, from 0 (all) to 1 (one)."""
    n = len(texts)
    return math.log((n + 1) / sum(term in t for t in texts)) / math.log(n + 1) if n > 1 else 1.0


def _gram_weights(question: str, texts: list[str]) -> dict[str, float]:
    """The question's character n-grams weighted by how few candidates hold them (an n-gram in
    every candidate tells them apart no better than one in none), summing to 1."""
    grams = {question[i:i + GRAM] for i in range(len(question) - GRAM + 1)}
    if not grams or not texts:
        return {}
    n = len(texts)
    weights = {g: math.log((n + 1) / (1 + sum(g in t for t in texts))) for g in grams}
    total = sum(weights.values()) or 1.0
    return {g: w / total for g, w in weights.items() if w > 0}
