"""Passage vectors on disk and the search over them.

Every version stores its normalised vectors as ``vectors.npy``, memory-mapped when loaded so
that worker processes share the pages. Small collections are searched exactly (a flat inner
product). From ``ANN_MIN_ROWS`` vectors on, a version also stores ``ann.faiss``: a FAISS HNSW
graph over 8-bit scalar-quantised vectors, memory-mapped too. It proposes candidates, and their
exact cosines are then read from ``vectors.npy``, so scores are the same as exact search and only
the candidate set can differ (recall@10 is measured by benchmarks/bench_scale.py). Those few rows
are read with ``pread`` (index/ondisk.py): through the map, each scattered row made 64 KB of the
file resident in every worker.
"""

from dataclasses import dataclass
from pathlib import Path

import faiss
import numpy as np

from .ondisk import NpyOnDisk

VECTORS = "vectors.npy"
ANN = "ann.faiss"
ANN_MIN_ROWS = 50_000  # below this a flat scan is fast enough (about 5 ms at 50k × 384)
HNSW_M = 32  # graph degree
HNSW_EF_CONSTRUCTION = 200  # 80 before round 8: its graphs need a wider search for the same recall
# Candidates the graph search keeps. At 1M chunks, 200 questions: a graph built with efConstruction
# 200 gives recall@10 .994 at efSearch 600 in 1.2 ms; one built with 80 needed 2000 and 5 ms for .984
# (docs/benchmarks.md, issue 14 round 8).
HNSW_EF_SEARCH = 600
# A search within a scope (the walk also passes through the rows outside it: at 600, recall@50 fell
# to .90 in a 5% scope), and any search of a graph built with a smaller efConstruction.
HNSW_EF_WIDE = 2000
ANN_OVERFETCH = 2  # candidates asked of the graph per wanted result, re-scored exactly (4: same recall@50)
EXACT_SCOPE_ROWS = 20_000  # a search limited to fewer rows than this scans them exactly
TRAIN_ROWS = 100_000
SAMPLED_TOP_ROWS = 65_536  # from this many scores on, top_rows partitions only those above a sample's
SAMPLE_PER_ROW = 32  # sample size per wanted row: about n/32 scores are left above its k-th


def write_vectors(path: Path, vectors: np.ndarray, dim: int) -> None:
    """Write ``vectors.npy`` (and ``ann.faiss`` for a large collection) into ``path``."""
    vectors = np.ascontiguousarray(vectors, dtype=np.float32).reshape(-1, dim)
    np.save(path / VECTORS, vectors)
    if len(vectors) >= ANN_MIN_ROWS:
        ann = faiss.IndexHNSWSQ(dim, faiss.ScalarQuantizer.QT_8bit, HNSW_M, faiss.METRIC_INNER_PRODUCT)
        ann.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
        sample = vectors[np.random.default_rng(0).permutation(len(vectors))[:TRAIN_ROWS]]
        ann.train(sample)
        ann.add(vectors)
        faiss.write_index(ann, str(path / ANN))


@dataclass
class VectorIndex:
    """The loaded vectors of a version: ``matrix`` (memory-mapped, one row per chunk) and, for a
    large collection, the HNSW graph and ``on_disk``, the same rows read on demand."""

    matrix: np.ndarray
    ann: faiss.Index | None = None
    on_disk: NpyOnDisk | None = None

    def __len__(self) -> int:
        return len(self.matrix)

    def scores(self, query: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """Exact cosine of ``rows`` to the (normalised) query vector."""
        rows = np.asarray(rows, dtype=np.int64)
        if not len(rows):
            return np.zeros(0, dtype=np.float32)
        return (self.matrix[rows] if self.on_disk is None else self.on_disk.take(rows)) @ query

    def top(self, query: np.ndarray, k: int, allowed: np.ndarray | None = None
            ) -> tuple[np.ndarray, np.ndarray]:
        """The ``k`` rows most similar to ``query`` (among ``allowed`` rows, a boolean mask, when
        given) and their exact cosines, best first; ties go to the lower row, as a stable sort."""
        n = len(self.matrix)
        candidates: np.ndarray | None = None
        if allowed is not None:
            candidates = np.flatnonzero(allowed)
        if self.ann is None or (candidates is not None and len(candidates) <= EXACT_SCOPE_ROWS):
            if candidates is None:
                return top_rows(self.matrix @ query, k)
            rows, values = top_rows(self.scores(query, candidates), k)
            return candidates[rows], values
        ef = self.ann.hnsw.efSearch if allowed is None else max(self.ann.hnsw.efSearch, HNSW_EF_WIDE)
        params = faiss.SearchParametersHNSW(efSearch=max(ef, k * ANN_OVERFETCH))
        if allowed is not None:
            params.sel = faiss.IDSelectorBitmap(np.packbits(allowed, bitorder="little"))
        _, ids = self.ann.search(query.reshape(1, -1), min(n, k * ANN_OVERFETCH), params=params)
        found = ids[0][ids[0] >= 0]
        rows, values = top_rows(self.scores(query, found), k)
        order = np.lexsort((found[rows], -values))  # stable tie-break on the row, as exact search
        return found[rows][order], values[order]


def load_vectors(path: Path) -> VectorIndex:
    """Map a version's vectors (and graph) without reading them into memory."""
    ann = faiss.read_index(str(path / ANN), faiss.IO_FLAG_MMAP_IFC) if (path / ANN).exists() else None
    if ann is None:
        return VectorIndex(np.load(path / VECTORS, mmap_mode="r"))
    old = ann.hnsw.efConstruction < HNSW_EF_CONSTRUCTION  # the file records what it was built with
    ann.hnsw.efSearch = HNSW_EF_WIDE if old else HNSW_EF_SEARCH
    return VectorIndex(np.load(path / VECTORS, mmap_mode="r"), ann, NpyOnDisk(path / VECTORS))


def top_rows(scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Positions of the ``k`` largest ``scores`` and their values, best first, ties to the lower
    position: the same as ``np.argsort(-scores, kind="stable")[:k]`` without sorting them all."""
    n = len(scores)
    if n <= k:
        order = np.argsort(-scores, kind="stable")
        return order, scores[order]
    if n >= SAMPLED_TOP_ROWS and k > 0:
        # The k-th largest of an evenly spaced sample is at most the k-th largest of all: only
        # the scores above it are partitioned. A million BM25 scores mostly tied at 0 (or at the
        # -1 of a scope) made np.partition take 6 ms, and over 100 ms for some questions.
        sample = scores[:: max(1, n // (SAMPLE_PER_ROW * k))]
        floor = np.partition(sample, len(sample) - k)[len(sample) - k] if len(sample) >= k else scores.min()
        above = np.flatnonzero(scores > floor)
        if len(above) < k:  # fewer than k above the floor: it is the k-th largest itself
            return _with_ties(scores, above, floor, k)
        rows, values = _partitioned(scores[above], k)  # the top k are among these
        return above[rows], values
    return _partitioned(scores, k)


def _partitioned(scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    kth = np.partition(scores, len(scores) - k)[len(scores) - k]  # the k-th largest value
    return _with_ties(scores, np.flatnonzero(scores > kth), kth, k)


def _with_ties(scores: np.ndarray, above: np.ndarray, kth, k: int) -> tuple[np.ndarray, np.ndarray]:
    """``above`` (the positions of the scores above ``kth``, fewer than k) plus the first ties
    at ``kth``, best first."""
    ties = np.flatnonzero(scores == kth)[: k - len(above)]
    chosen = np.concatenate([above, ties])
    order = chosen[np.lexsort((chosen, -scores[chosen]))]
    return order, scores[order]
