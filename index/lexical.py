"""Which of a question's words BM25 scores (the bm25s indexes of index/store.py).

BM25 adds the postings of every asked word into a score per passage. Words in most passages
(การ, ที่, ของ, มาตรา in a collection of laws) hold most of those postings: at a million passages
the words of a question have about 7 million, and those of the words in more than half of the
passages are 45% of them. Such a word adds at most about 1.5 to any passage (its idf is below
ln 2), and nearly every passage gets it. In a large collection they are left out: the
BM25 of a question takes half the time, and the first passage stayed the same for 100 of 100
questions at a million chunks (docs/benchmarks.md, issue 14 round 7). Below ``COMMON_MIN_ROWS``
passages every known word is scored, so the shipped corpus ranks exactly as before.
"""

import bm25s

COMMON_SHARE = 0.5  # a word in more than this share of the passages is left out at scale
COMMON_MIN_ROWS = 50_000  # collections from this size on (the size that gets the HNSW graph)


def scored_words(model: bm25s.BM25, tokens: list[str], size: int) -> list[str]:
    """The words of ``tokens`` that ``model`` (an index of ``size`` passages) scores: those it
    knows, less, from ``COMMON_MIN_ROWS`` passages on, those in more than ``COMMON_SHARE`` of
    them, unless every known word is that common (then all are kept)."""
    known = [t for t in tokens if t in model.vocab_dict]
    if size < COMMON_MIN_ROWS:
        return known
    indptr = model.scores["indptr"]  # a word's postings are indptr[id]:indptr[id + 1]
    last = len(indptr) - 1  # bm25s's vocabulary also holds "", which has no postings
    limit = COMMON_SHARE * size
    rare = [t for t in known if (i := model.vocab_dict[t]) >= last or indptr[i + 1] - indptr[i] <= limit]
    return rare or known
