"""Versioned on-disk index: write a version directory, publish it atomically, roll back.

Layout of ``index_dir``::

    versions/<version>/manifest.json   embedder, model, dim, documents, build figures
    versions/<version>/chunks.jsonl    one Chunk per line, in vector order (read lazily)
    versions/<version>/columns/        per-chunk arrays for search (index/chunkstore.py)
    versions/<version>/vectors.npy     normalised passage vectors, memory-mapped
    versions/<version>/ann.faiss       HNSW graph, only for large collections (index/vectors.py)
    versions/<version>/bm25/           bm25s index over word tokens, postings read on demand
    versions/<version>/bm25-toneless/  the same without tone marks (questions typed without them)
    versions/<version>/references.json the section reference graph: who cites which มาตรา
    versions/<version>/manifest.sha256 SHA-256 of manifest.json, which lists every other file's
    current -> versions/<version>      symlink, swapped with an atomic rename
    .lock                              held while a build or rollback runs

A version directory is written under ``versions/.tmp-*`` and renamed into place before
``current`` is swapped, so a crash or kill at any point leaves the published index intact.
A version is verified (checksums, then counts) when it is published and whenever it is loaded.
"""

import contextlib
import errno
import fcntl
import json
import logging
import os
import shutil
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from functools import cached_property
from pathlib import Path

import bm25s
import numpy as np

from .chunkstore import ChunkStore, RowLookup, write_chunks
from .documents import Chunk, DocumentInfo
from .glossary import Definition
from .ondisk import NpyOnDisk
from .vectors import VectorIndex, load_vectors, write_vectors
from .verify import MANIFEST, checksum_problems, count_problems, write_manifest

# bm25s sets its own logger to DEBUG, which would print every index load through the root handler.
logging.getLogger("bm25s").setLevel(logging.WARNING)

FORMAT = 2  # 2: lazy chunks with columns, vectors.npy (+ ann.faiss)
CURRENT = "current"
VERSIONS = "versions"
TMP_PREFIX = ".tmp-"
# Tuned on XQuAD-th with the shipped hybrid (docs/benchmarks.md): longer passages are
# penalised more than bm25s defaults (1.5, 0.75).
BM25_K1 = 1.2
BM25_B = 0.9


class IndexUnavailable(Exception):
    """The index is missing, unreadable or incompatible; the message says what to do."""


@dataclass
class PublishedIndex:
    """A loaded index version: everything retrieval needs."""

    version: str
    path: Path
    manifest: dict
    documents: dict[str, DocumentInfo]
    chunks: ChunkStore
    vectors: VectorIndex
    bm25: bm25s.BM25
    glossary: list[Definition]
    bm25_toneless: bm25s.BM25 | None = None

    @property
    def embedder_spec(self) -> str:
        return str(self.manifest["embedder"])

    def all_vectors(self) -> np.ndarray:
        """The passage vectors, one row per chunk (memory-mapped, read-only)."""
        return self.vectors.matrix

    @cached_property
    def positions(self) -> RowLookup:
        """Row of each chunk id in ``chunks`` (and in the vectors)."""
        return RowLookup(self.chunks)


def current_version(index_dir: Path) -> str | None:
    """Name of the published version, or None when nothing is published."""
    link = index_dir / CURRENT
    try:
        return Path(os.readlink(link)).name
    except (FileNotFoundError, OSError):
        return None


def read_manifest(index_dir: Path, version: str | None = None) -> dict | None:
    """Manifest of ``version`` (default: the published one), or None."""
    version = version or current_version(index_dir)
    if version is None:
        return None
    try:
        return json.loads((index_dir / VERSIONS / version / "manifest.json").read_text("utf-8"))
    except (FileNotFoundError, ValueError):
        return None


def load_index(index_dir: Path, verify: bool = True) -> PublishedIndex:
    """Load the published version (reads through the symlink once, so a concurrent publish
    cannot mix two versions). Chunk texts, vectors and BM25 postings are memory-mapped or
    read on demand, not loaded. ``verify`` checks every file's SHA-256 first (reading the whole
    version once)."""
    version = current_version(index_dir)
    if version is None:
        raise IndexUnavailable(f"no index in {index_dir}: run 'sarabun index build' first")
    path = index_dir / VERSIONS / version
    if verify and (problems := checksum_problems(path)):
        raise IndexUnavailable(f"index {path} is damaged ({'; '.join(problems[:5])}): "
                               "rebuild or roll back")
    try:
        manifest = json.loads((path / MANIFEST).read_text("utf-8"))
        if manifest.get("format") != FORMAT:
            raise IndexUnavailable(f"index {path} has format {manifest.get('format')}, expected "
                              f"{FORMAT}: rebuild it with 'sarabun index build'")
        chunks = ChunkStore(path)
        vectors = load_vectors(path)
        bm25 = _load_bm25(path / "bm25")
        toneless = _load_bm25(path / "bm25-toneless") if (path / "bm25-toneless").is_dir() else None
        with (path / "glossary.jsonl").open(encoding="utf-8") as fh:
            glossary = [Definition(**json.loads(line)) for line in fh]
        counts = {"chunks.jsonl": len(chunks), "vectors.npy": len(vectors),
                  "bm25": int(bm25.scores["num_docs"])}
        if vectors.ann is not None:
            counts["ann.faiss"] = vectors.ann.ntotal
        if toneless is not None:
            counts["bm25-toneless"] = int(toneless.scores["num_docs"])
        documents = {d["doc_id"]: DocumentInfo(**d) for d in manifest["documents"]}
    except (OSError, ValueError, KeyError, TypeError, RuntimeError) as exc:
        raise IndexUnavailable(f"index {path} is unreadable ({exc}): rebuild or roll back") from exc
    problems = count_problems(manifest, counts)
    if size_problem := chunks.size_problem():
        problems.append(size_problem)
    if strays := sorted(set(chunks.doc_ids) - set(documents)):
        problems.append(f"chunks of documents missing from the manifest: {', '.join(strays[:3])}")
    if problems:
        raise IndexUnavailable(f"index {path} is inconsistent ({'; '.join(problems)}): "
                               "rebuild or roll back")
    return PublishedIndex(version, path, manifest, documents, chunks, vectors, bm25, glossary, toneless)


def _load_bm25(path: Path) -> bm25s.BM25:
    """A bm25s index whose postings (scores and passage numbers of each word) are read with
    ``pread`` when a question uses the word: mapped, the postings of common words stayed resident
    in every worker (600 MB at a million chunks). The word offsets stay mapped (small)."""
    model = bm25s.BM25.load(str(path), mmap=True, show_progress=False)
    for name in ("data", "indices"):  # bm25s only slices them: postings[start:end]
        model.scores[name] = NpyOnDisk(path / f"{name}.csc.index.npy")
    return model


def write_version(index_dir: Path, version: str, manifest: dict, chunks: Sequence[Chunk],
                  vectors: np.ndarray, tokens: list[list[str]], glossary: list[Definition],
                  toneless_tokens: list[list[str]] | None = None) -> Path:
    """Write a complete version directory (not yet published) and return its path. Nothing is
    left behind when writing fails (a full disk): the error says what happened and what to do."""
    versions = index_dir / VERSIONS
    tmp = versions / f"{TMP_PREFIX}{version}"
    try:
        tmp.mkdir(parents=True)
        _write_parts(tmp, version, manifest, chunks, vectors, tokens, glossary, toneless_tokens)
        _fsync_tree(tmp)
        final = versions / version
        os.rename(tmp, final)
    except (OSError, RuntimeError) as exc:  # faiss reports write errors as RuntimeError
        shutil.rmtree(tmp, ignore_errors=True)
        full = getattr(exc, "errno", None) in (errno.ENOSPC, errno.EDQUOT) or "No space" in str(exc)
        what = "the disk is full" if full else f"it could not be written ({exc})"
        raise IndexUnavailable(f"index version not written to {versions}: {what}. Nothing was "
                               "published and the published version is unchanged; "
                               f"{'free disk space' if full else 'fix the problem'} and build again"
                               ) from exc
    return final


def _write_parts(tmp: Path, version: str, manifest: dict, chunks: Sequence[Chunk], vectors: np.ndarray,
                 tokens: list[list[str]], glossary: list[Definition],
                 toneless_tokens: list[list[str]] | None) -> None:
    write_chunks(tmp, chunks, [d["doc_id"] for d in manifest["documents"]])
    with (tmp / "glossary.jsonl").open("w", encoding="utf-8") as fh:
        for definition in glossary:
            fh.write(json.dumps(asdict(definition), ensure_ascii=False) + "\n")
    write_vectors(tmp, vectors, manifest["dim"])
    for name, field_tokens in (("bm25", tokens), ("bm25-toneless", toneless_tokens)):
        if field_tokens is not None:
            bm25 = bm25s.BM25(k1=BM25_K1, b=BM25_B)
            bm25.index(field_tokens or [[""]], show_progress=False)
            bm25.save(str(tmp / name), show_progress=False)
    graph = [{"chunk_id": c.chunk_id, "unit": c.unit, "cites": c.cites} for c in chunks if c.cites]
    (tmp / "references.json").write_text(json.dumps(graph, ensure_ascii=False), "utf-8")
    write_manifest(tmp, {**manifest, "format": FORMAT, "version": version})


def publish(index_dir: Path, version: str) -> None:
    """Verify ``version`` and point ``current`` at it with one atomic rename; keep it and its
    predecessor. A version that fails verification is not published."""
    if problems := checksum_problems(index_dir / VERSIONS / version):
        raise IndexUnavailable(f"index version {version} failed verification "
                               f"({'; '.join(problems[:5])}); not published")
    link_tmp = index_dir / f"{CURRENT}{TMP_PREFIX}{os.getpid()}"
    with contextlib.suppress(FileNotFoundError):
        link_tmp.unlink()
    os.symlink(Path(VERSIONS) / version, link_tmp)
    os.replace(link_tmp, index_dir / CURRENT)
    _fsync_dir(index_dir)
    _prune(index_dir)


def rollback(index_dir: Path) -> str:
    """Publish the version that was live before the current one; return its name."""
    with build_lock(index_dir):
        manifest = read_manifest(index_dir)
        if manifest is None:
            raise IndexUnavailable(f"no index in {index_dir}: nothing to roll back")
        previous = manifest.get("previous")
        if not previous or not (index_dir / VERSIONS / previous / MANIFEST).exists():
            raise IndexUnavailable("no previous version to roll back to")
        publish(index_dir, previous)
    return previous


@contextlib.contextmanager
def build_lock(index_dir: Path) -> Iterator[None]:
    """Hold the index's write lock (one build or rollback at a time, across processes)."""
    index_dir.mkdir(parents=True, exist_ok=True)
    with (index_dir / ".lock").open("w") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise IndexUnavailable(f"another build is running on {index_dir}") from exc
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def remove_stale_builds(index_dir: Path) -> None:
    """Delete half-written versions and ``current.tmp-<pid>`` links left by a killed build or
    publish (call with the lock held: no publish is running then)."""
    versions = index_dir / VERSIONS
    if versions.is_dir():
        for path in versions.glob(f"{TMP_PREFIX}*"):
            shutil.rmtree(path, ignore_errors=True)
    for link in index_dir.glob(f"{CURRENT}{TMP_PREFIX}*"):
        link.unlink(missing_ok=True)


def _prune(index_dir: Path) -> None:
    keep = {current_version(index_dir)}
    manifest = read_manifest(index_dir)
    if manifest and manifest.get("previous"):
        keep.add(manifest["previous"])
    for path in (index_dir / VERSIONS).iterdir():
        if path.name not in keep and not path.name.startswith(TMP_PREFIX):
            shutil.rmtree(path, ignore_errors=True)


def _fsync_tree(path: Path) -> None:
    for root, _dirs, files in os.walk(path):
        for name in files:
            fd = os.open(os.path.join(root, name), os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        _fsync_dir(Path(root))


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
