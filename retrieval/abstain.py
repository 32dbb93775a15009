"""Decide whether the documents answer a question at all.

A dense score alone cannot separate in-scope from off-topic questions (off-topic questions reach
cosines that in-scope ones also have), so a logistic model combines it with vocabulary coverage:
the share of the question's content words that occur anywhere in the documents. Unlike coverage
of the best passage, it does not punish questions whose names the tokenizer splits differently
from the passage (measured on XQuAD-th, see docs/benchmarks.md). Weights are fitted by
``python benchmarks/calibrate_abstention.py`` on ``benchmarks/calibration.jsonl``.
"""

import math
from collections.abc import Container
from dataclasses import dataclass
from functools import lru_cache

from .query import Query
from .search import Hit

# Fitted by benchmarks/calibrate_abstention.py (see docs/benchmarks.md).
WEIGHTS = (43.064, 4.051)
BIAS = -39.094
THRESHOLD = 0.5


@dataclass
class Evidence:
    """What the abstention model looks at."""

    dense: float  # best cosine of any passage
    coverage: float  # share of content words of the question that occur in the documents

    @property
    def probability(self) -> float:
        """Estimated probability that the documents answer the question."""
        z = BIAS + WEIGHTS[0] * self.dense + WEIGHTS[1] * self.coverage
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
        return Evidence(0.0, 0.0)
    words = content_words(query.tokens)
    coverage = sum(w in vocabulary for w in words) / len(words) if words else 0.0
    return Evidence(max(h.dense for h in hits), coverage)


def should_abstain(ev: Evidence) -> bool:
    """True when the documents most likely do not answer the question."""
    return ev.probability < THRESHOLD
