"""Hybrid search over a published index: BM25 and dense scores fused into one ranking."""

from dataclasses import dataclass, field

import numpy as np

from index.documents import Chunk
from index.embedders import Embedder, make_embedder
from index.sections import section_key
from index.store import IndexUnavailable, PublishedIndex

from .fuse import near_duplicate, normalized, rrf
from .query import Query

CANDIDATES = 50
DENSE_WEIGHT = 0.5  # share of the dense score in the fused score (see docs/benchmarks.md)
SECTION_BOOST = 0.5  # a passage of the มาตรา the question names


@dataclass
class Hit:
    """One ranked passage with the evidence behind its rank."""

    position: int  # row in the index
    chunk: Chunk
    score: float  # fused score, the ranking key
    bm25: float
    dense: float  # cosine similarity to the question


@dataclass
class Retriever:
    """A loaded index plus the embedder it was built with."""

    index: PublishedIndex
    embedder: Embedder
    _vectors: np.ndarray = field(init=False, repr=False)
    vocabulary: dict[str, int] = field(init=False, repr=False)  # BM25 word → id

    def __post_init__(self) -> None:
        if self.embedder.spec != self.index.embedder_spec:
            raise IndexUnavailable(
                f"index was built with embedder '{self.index.embedder_spec}' but "
                f"'{self.embedder.spec}' is configured: set SARABUN_EMBEDDER to match or rebuild"
            )
        self._vectors = self.index.all_vectors()
        self.vocabulary = self.index.bm25.vocab_dict

    def bm25_scores(self, query: Query) -> np.ndarray:
        """BM25 score of every passage (unknown words are ignored, not errors)."""
        known = [t for t in query.tokens if t in self.vocabulary]
        if not known:
            return np.zeros(len(self.index.chunks), dtype=np.float32)
        return np.asarray(self.index.bm25.get_scores(known), dtype=np.float32)

    def dense_scores(self, query: Query) -> np.ndarray:
        """Cosine similarity of every passage to the question."""
        if not len(self._vectors):
            return np.zeros(0, dtype=np.float32)
        return self._vectors @ self.embedder.embed_query(query.text)

    def search(self, query: Query, k: int = 10, method: str = "hybrid") -> list[Hit]:
        """Rank passages for ``query``; ``method`` is "hybrid", "bm25", "dense" or "rrf"."""
        n = len(self.index.chunks)
        if n == 0:
            return []
        zeros = np.zeros(n, dtype=np.float32)
        lexical = self.bm25_scores(query) if method != "dense" else zeros
        dense = self.dense_scores(query) if method != "bm25" else zeros
        if method == "bm25":
            fused = lexical.astype(np.float64)
        elif method == "dense":
            fused = dense.astype(np.float64)
        else:
            by_lexical = np.argsort(-lexical, kind="stable")[:CANDIDATES]
            by_dense = np.argsort(-dense, kind="stable")[:CANDIDATES]
            if method == "rrf":
                fused = rrf(by_lexical, by_dense, size=n)
            else:
                candidates = np.union1d(by_lexical, by_dense)
                fused = (1 - DENSE_WEIGHT) * normalized(lexical, candidates) + \
                    DENSE_WEIGHT * normalized(dense, candidates)
                if query.section:
                    fused += SECTION_BOOST * self._section_match(query.section, candidates)
        order = np.argsort(-fused, kind="stable")
        hits: list[Hit] = []
        for pos in order:
            if len(hits) == k or fused[pos] <= 0:
                break
            chunk = self.index.chunks[pos]
            words = set(chunk.text.split())
            if any(near_duplicate(words, set(h.chunk.text.split())) for h in hits):
                continue
            hits.append(Hit(int(pos), chunk, float(fused[pos]), float(lexical[pos]),
                            float(dense[pos])))
        return hits

    def _section_match(self, section: str, candidates: np.ndarray) -> np.ndarray:
        boost = np.zeros(len(self.index.chunks), dtype=np.float64)
        for pos in candidates:
            if section_key(self.index.chunks[pos].section) == ("มาตรา", section):
                boost[pos] = 1.0
        return boost


def open_retriever(index: PublishedIndex, embedder: Embedder | None = None) -> Retriever:
    """A retriever for ``index``, creating the embedder the index records when none is given."""
    return Retriever(index, embedder or make_embedder(index.embedder_spec))
