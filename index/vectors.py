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
HNSW_EF_CONSTRUCTION = 80
HNSW_EF_SEARCH = 800  # recall@10 .93 at 1M chunks for about 2 ms (.80 at 160; bench_scale.py)
ANN_OVERFETCH = 4  # candidates asked of the graph per wanted result, re-scored exactly
EXACT_SCOPE_ROWS = 20_000  # a search limited to fewer rows than this scans them exactly
TRAIN_ROWS = 100_000


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
        params = faiss.SearchParametersHNSW(efSearch=max(HNSW_EF_SEARCH, k * ANN_OVERFETCH))
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
    ann.hnsw.efSearch = HNSW_EF_SEARCH
    return VectorIndex(np.load(path / VECTORS, mmap_mode="r"), ann, NpyOnDisk(path / VECTORS))


def top_rows(scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Positions of the ``k`` largest ``scores`` and their values, best first, ties to the lower
    position: the same as ``np.argsort(-scores, kind="stable")[:k]`` without sorting them all."""
    n = len(scores)
    if n <= k:
        order = np.argsort(-scores, kind="stable")
        return order, scores[order]
    kth = np.partition(scores, n - k)[n - k]  # the k-th largest value
    above = np.flatnonzero(scores > kth)
    ties = np.flatnonzero(scores == kth)[: k - len(above)]
    chosen = np.concatenate([above, ties])
    order = chosen[np.lexsort((chosen, -scores[chosen]))]
    return order, scores[order]
