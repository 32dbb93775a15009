"""Build or update the index from a documents directory: load → clean → chunk → embed → store.

Rebuilds are incremental: a document whose bytes, metadata and pipeline are unchanged keeps its
chunks and vectors from the published version; removed documents disappear.
"""

import hashlib
import logging
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from .clean import clean_document
from .documents import Chunk, DocumentInfo, LoadedDocument, Page, index_text
from .embedders import Embedder, make_embedder
from .glossary import extract_definitions
from .limits import DEFAULT_LIMITS, ParseLimits
from .loaders import META_SUFFIX, SkipFile, read_sidecar
from .sandbox import ParseWorker
from .staging import Overlay, apply_journal, finish_pending, write_journal
from .store import (
    IndexUnavailable,
    build_lock,
    current_version,
    load_index,
    publish,
    remove_stale_builds,
    write_version,
)
from .structure import STATUTE_PREFIX, chunk_document
from .thai_text import collapse_spaces
from .tokens import toneless, word_tokens

log = logging.getLogger(__name__)

# Bump when loading, cleaning, chunking or definition extraction changes, so unchanged files are
# re-chunked once.
# .16-.17: lettered item ranges in labels, a wrapped meaning takes one paragraph more at most; .15: a
# definition's meaning ending on a joining word goes on in the next paragraph; .14: item ranges in
# labels run through consecutive items; .13: a line starting inside a list of
# references is not a heading; .12: short names in the glossary; .10-.11: web-page furniture
# dropped; .9: OCR
PIPELINE = "2026-11-25.17"
DOCUMENT_KINDS = ("act", "guideline", "news")
IGNORED_NAMES = {"README.md", "LICENSE", ".gitkeep"}
METADATA_SECTION = "ข้อมูลเอกสาร"


@dataclass
class BuildReport:
    """What a build did; printed by ``sarabun index build``."""

    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (file, reason)
    chunks: int = 0
    embedded: int = 0
    seconds: float = 0.0
    version: str | None = None
    published: bool = False

    @property
    def changed_anything(self) -> bool:
        return bool(self.added or self.changed or self.removed)


@dataclass
class _Prepared:
    info: DocumentInfo
    chunks: list[Chunk]
    vectors: np.ndarray | None = None  # reused from the previous version


def build_index(
    docs_dir: Path,
    index_dir: Path,
    embedder: Embedder | str,
    max_bytes: int,
    strict: bool = False,
    progress: Callable[[int, int], None] | None = None,
    limits: ParseLimits = DEFAULT_LIMITS,
    preloaded: dict[str, LoadedDocument] | None = None,
    overlay: Overlay | None = None,
) -> BuildReport:
    """Bring the index in ``index_dir`` up to date with ``docs_dir`` and publish it.

    Bad files are skipped with a reason; with ``strict`` any skip publishes nothing.
    ``progress(done, total)`` is called as chunks are embedded. Files are parsed in a worker
    process under ``limits``; ``preloaded`` maps a relative path to a document already loaded
    that way (an upload checked before it was stored), so it is not parsed twice.
    ``overlay`` maps a relative path to a staged file (its sidecar beside it) to build as if it
    were at that path in ``docs_dir``, or to None for a file to leave out; the documents
    directory takes these changes only once their version is published (index/staging.py), and
    never for a file the build skipped.
    """
    started = time.perf_counter()
    if not docs_dir.is_dir():
        raise IndexUnavailable(f"documents directory {docs_dir} does not exist")
    emb = make_embedder(embedder) if isinstance(embedder, str) else embedder
    report = BuildReport()
    with build_lock(index_dir), ParseWorker(limits) as worker:
        remove_stale_builds(index_dir)
        finish_pending(index_dir, docs_dir, current_version(index_dir))
        previous = _previous(index_dir, emb)
        prev_docs = {d.doc_id: d for d in previous.documents.values()} if previous else {}
        prepared: dict[str, _Prepared] = {}
        for path, rel, doc_id in _scan(docs_dir, overlay or {}):
            digest = _digest(path)
            old = prev_docs.get(doc_id)
            if old and old.sha256 == digest and previous is not None:
                prepared[doc_id] = _reuse(previous, old)
                report.unchanged.append(doc_id)
                continue
            try:
                loaded = (preloaded or {}).get(rel) or worker.load(path, max_bytes)
                prepared[doc_id] = _prepare(path, rel, doc_id, digest, loaded)
            except Exception as exc:  # any failure on one file skips that file, never the build
                reason = str(exc) if isinstance(exc, SkipFile) else (
                    f"failed while indexing ({type(exc).__name__}: {exc})")
                log.warning("skipped %s: %s", rel, reason,
                            exc_info=not isinstance(exc, SkipFile))
                report.skipped.append((rel, reason))
                if old and previous is not None:  # keep the last good version of the document
                    prepared[doc_id] = _reuse(previous, old)
                continue
            (report.changed if old else report.added).append(doc_id)
        report.removed = sorted(set(prev_docs) - set(prepared))
        report.chunks = sum(len(p.chunks) for p in prepared.values())
        if strict and report.skipped:
            report.seconds = time.perf_counter() - started
            return report
        if not prepared:
            raise IndexUnavailable(f"no document in {docs_dir} could be indexed; "
                                   "nothing published")
        landing = {rel: staged for rel, staged in (overlay or {}).items()
                   if rel not in {skipped for skipped, _ in report.skipped}}
        if previous is not None and not report.changed_anything:
            if landing:  # the same content as published: nothing to journal
                apply_journal(write_journal(index_dir, previous.version, docs_dir, landing), docs_dir)
            report.version = previous.version
            report.seconds = time.perf_counter() - started
            return report
        chunks, vectors = _embed(prepared, emb, report, progress)
        version = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        manifest = {
            "embedder": emb.spec,
            "backend": emb.backend,
            "model": emb.model,
            "dim": emb.dim,
            "pipeline": PIPELINE,
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
            "previous": current_version(index_dir),
            "documents": [asdict(p.info) for p in prepared.values()],
            "chunks": len(chunks),
        }
        texts = [index_text(c, prepared[c.doc_id].info.title) for c in chunks]
        write_version(index_dir, version, manifest, chunks, vectors,
                      [word_tokens(t) for t in texts], extract_definitions(chunks),
                      [word_tokens(toneless(t)) for t in texts])
        journal = write_journal(index_dir, version, docs_dir, landing) if landing else None
        publish(index_dir, version)
        if journal is not None:
            apply_journal(journal, docs_dir)
        report.version, report.published = version, True
    report.seconds = time.perf_counter() - started
    return report


def _previous(index_dir: Path, emb: Embedder):  # -> PublishedIndex | None
    if current_version(index_dir) is None:
        return None
    try:
        previous = load_index(index_dir)
    except IndexUnavailable as exc:
        log.warning("published index unreadable, building from scratch: %s", exc)
        return None
    if previous.embedder_spec != emb.spec or previous.manifest.get("pipeline") != PIPELINE:
        return None  # everything must be re-embedded / re-chunked
    return previous


def _scan(docs_dir: Path, overlay: Overlay) -> list[tuple[Path, str, str]]:
    """Document files under ``docs_dir``, changed by ``overlay``, with their relative paths and
    ids (relative path without suffix)."""
    files = {
        p.relative_to(docs_dir).as_posix(): p for p in docs_dir.rglob("*")
        if p.is_file() and not any(part.startswith(".") for part in p.relative_to(docs_dir).parts)
        and p.name not in IGNORED_NAMES and not p.name.endswith(META_SUFFIX)
    }
    for rel, staged in overlay.items():
        if staged is None:
            files.pop(rel, None)
        else:
            files[rel] = staged
    rels = sorted(files, key=Path)  # the order of the documents' chunks, as before
    stems = [Path(rel).with_suffix("").as_posix() for rel in rels]
    return [(files[rel], rel, stem if stems.count(stem) == 1 else rel)
            for rel, stem in zip(rels, stems, strict=True)]


def _digest(path: Path) -> str:
    h = hashlib.sha256(PIPELINE.encode())
    h.update(path.read_bytes())
    sidecar = path.with_name(path.name + META_SUFFIX)
    if sidecar.exists():
        h.update(sidecar.read_bytes())
    return h.hexdigest()


def _reuse(previous, info: DocumentInfo) -> _Prepared:
    store = previous.chunks
    code = store.doc_ids.index(info.doc_id) if info.doc_id in store.doc_ids else -1
    idx = np.flatnonzero(store.column("doc") == code)
    vectors = np.array(previous.vectors.matrix[idx]) if len(idx) else None
    return _Prepared(info, [store[i] for i in idx], vectors)


def _prepare(path: Path, rel: str, doc_id: str, digest: str, loaded: LoadedDocument) -> _Prepared:
    pages = clean_document(loaded)
    meta = {**loaded.meta, **read_sidecar(path)}
    title = collapse_spaces(meta.get("title", "")) or _guess_title(pages) or path.stem
    kind = document_kind(title, meta.get("kind", ""))
    chunks = chunk_document(pages, doc_id, loaded.paged, title, kind)
    if not chunks:
        raise SkipFile("no text left after cleaning")
    ocr_pages = {str(p.number): p.ocr_confidence for p in loaded.pages if p.ocr_confidence is not None}
    _mark_ocr(chunks, ocr_pages)
    info = DocumentInfo(
        doc_id=doc_id,
        title=title,
        path=rel,
        sha256=digest,
        agency=meta.get("agency", ""),
        date=meta.get("date", ""),
        source=meta.get("source", "") or rel,
        pages=len(pages) if loaded.paged else None,
        kind=kind,
        aliases=[a for a in (collapse_spaces(x) for x in meta.get("aliases", "").split(";")) if a],
        ocr_pages=ocr_pages,
    )
    card = _metadata_chunk(info, meta.get("note", ""), len(chunks))
    if card:
        chunks.append(card)
    info.chunks = len(chunks)
    return _Prepared(info, chunks)


def _mark_ocr(chunks: list[Chunk], ocr_pages: dict[str, float]) -> None:
    """Flag the chunks read by OCR with the lowest confidence of the pages they span."""
    for chunk in chunks:
        if chunk.page is None:
            continue
        spanned = [ocr_pages[str(n)] for n in range(chunk.page, (chunk.page_end or chunk.page) + 1)
                   if str(n) in ocr_pages]
        if spanned:
            chunk.ocr, chunk.ocr_confidence = True, min(spanned)


def _guess_title(pages: list[Page]) -> str:
    first = next((line for p in pages for line in (x.strip() for x in p.text.split("\n")) if line), "")
    first = collapse_spaces(first)
    return first[:120].rsplit(" ", 1)[0] if len(first) > 120 else first


def document_kind(title: str, declared: str = "") -> str:
    """"act", "news" or "guideline": declared in metadata (``kind``), else a statute's title."""
    if declared in DOCUMENT_KINDS:
        return declared
    return "act" if STATUTE_PREFIX.match(title) else "guideline"


def _metadata_chunk(info: DocumentInfo, note: str, n: int) -> Chunk | None:
    """A passage stating who issued the document and when, so such questions can be cited."""
    facts = [f"ชื่อเอกสาร: {info.title}"]
    if info.agency:
        facts.append(f"หน่วยงานที่ออก: {info.agency}")
    if info.date:
        facts.append(f"วันที่: {info.date}")
    if note:
        facts.append(f"หมายเหตุ: {note}")
    if len(facts) == 1:
        return None
    return Chunk(chunk_id=f"{info.doc_id}#{n}", doc_id=info.doc_id, text="\n".join(facts),
                 section=METADATA_SECTION, page=1 if info.pages else None, role="metadata")


def _embed(prepared: dict[str, _Prepared], emb: Embedder, report: BuildReport,
           progress: Callable[[int, int], None] | None) -> tuple[list[Chunk], np.ndarray]:
    chunks: list[Chunk] = []
    parts: list[np.ndarray] = []
    todo = [p for p in prepared.values() if p.vectors is None]
    total = sum(len(p.chunks) for p in todo)
    done = 0

    def step(n: int) -> None:
        nonlocal done
        done += n
        if progress:
            progress(done, total)

    for p in prepared.values():
        if p.vectors is None:
            # The dense model gets the passage as written: measured on seed_dev, adding the title
            # and heading path dilutes it (hit@1 .53 vs .73); BM25 gets that context instead.
            texts = [c.text for c in p.chunks]
            p.vectors = emb.embed_passages(texts, on_batch=step)
            report.embedded += len(texts)
        chunks.extend(p.chunks)
        parts.append(p.vectors)
    vectors = np.concatenate(parts) if parts else np.zeros((0, emb.dim), dtype=np.float32)
    return chunks, vectors
