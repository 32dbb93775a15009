"""Fuse lexical and dense rankings, and collapse near-duplicate passages."""

import numpy as np

RRF_K = 60


def rrf(*rankings: np.ndarray, weights: tuple[float, ...] | None = None, k: int = RRF_K,
        size: int) -> np.ndarray:
    """Reciprocal-rank fusion: each ranking (an array of item ids, best first) adds
    ``weight / (k + rank)`` to its items. Returns a score per item id (0 when unranked)."""
    weights = weights or (1.0,) * len(rankings)
    fused = np.zeros(size, dtype=np.float64)
    for ranking, weight in zip(rankings, weights, strict=True):
        fused[ranking] += weight / (k + np.arange(1, len(ranking) + 1))
    return fused


def normalized(scores: np.ndarray) -> np.ndarray:
    """Min-max normalise the candidates' ``scores`` to 0..1 (all 0 when they are equal), so that
    BM25 and cosine scores can be added."""
    values = np.asarray(scores, dtype=np.float64)
    low, high = float(values.min()), float(values.max())
    return (values - low) / (high - low) if high > low else np.zeros_like(values)


def near_duplicate(a: set[str], b: set[str], threshold: float = 0.9) -> bool:
    """Whether two passages (as token sets) say nearly the same thing."""
    if not a or not b:
        return False
    return len(a & b) / len(a | b) >= threshold
