"""Decide whether the documents answer a question at all.

A dense score alone cannot separate in-scope from off-topic questions (off-topic questions reach
cosines that in-scope ones also have), so a logistic model combines it with vocabulary coverage
(the share of the question's content words that occur anywhere in the documents; unlike coverage
of the best passage, it does not punish questions whose names the tokenizer splits differently
from the passage) and agreement (BM25 and the dense model prefer the same passage, which two
unrelated scorers rarely do by chance). Measured on XQuAD-th, see docs/benchmarks.md. Weights are fitted by
``python benchmarks/calibrate_abstention.py`` on ``benchmarks/calibration.jsonl``.
"""

import math
from collections.abc import Container
from dataclasses import dataclass
from functools import lru_cache

from .query import Query
from .search import Hit

# Fitted by benchmarks/calibrate_abstention.py (see docs/benchmarks.md).
WEIGHTS = (39.716, 4.283, 1.136)  # dense, coverage, agreement
BIAS = -36.650
THRESHOLD = 0.257


@dataclass
class Evidence:
    """What the abstention model looks at."""

    dense: float  # best cosine of any passage
    coverage: float  # share of content words of the question that occur in the documents
    agreement: float  # 1.0 when BM25 and the dense model prefer the same retrieved passage

    @property
    def features(self) -> tuple[float, float, float]:
        return self.dense, self.coverage, self.agreement

    @property
    def probability(self) -> float:
        """Estimated probability that the documents answer the question."""
        z = BIAS + sum(w * x for w, x in zip(WEIGHTS, self.features, strict=True))
        return 1 / (1 + math.exp(-z))


@lru_cache(maxsize=1)
def _stopwords() -> frozenset[str]:
    from pythainlp.corpus import thai_stopwords

    return frozenset(thai_stopwords()) | {"อะไร", "อย่างไร", "ยังไง", "ไหน", "เท่าไร", "กี่", "ใคร"}


def content_words(tokens: list[str]) -> set[str]:
    """Tokens that carry meaning (no stopwords, question words or single characters)."""
    stop = _stopwords()
    return {t for t in tokens if t not in stop and len(t) > 1}


def evidence(query: Query, hits: list[Hit], vocabulary: Container[str]) -> Evidence:
    """Evidence for ``query`` from its ranked hits and the index ``vocabulary`` (BM25 words)."""
    if not hits:
        return Evidence(0.0, 0.0, 0.0)
    words = content_words(query.tokens)
    coverage = sum(w in vocabulary for w in words) / len(words) if words else 0.0
    lexical_best = max(hits, key=lambda h: h.bm25)
    dense_best = max(hits, key=lambda h: h.dense)
    agreement = float(lexical_best is dense_best and lexical_best.bm25 > 0)
    return Evidence(dense_best.dense, coverage, agreement)


def should_abstain(ev: Evidence) -> bool:
    """True when the documents most likely do not answer the question."""
    return ev.probability < THRESHOLD
