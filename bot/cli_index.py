"""``sarabun index build|status|rollback|verify`` and ``sarabun eval``: building, inspecting and
measuring the index."""

import argparse
import json
import logging
import os
import sys
import time
from pathlib import Path

from index.build import BuildReport, build_index
from index.settings import IndexSettings
from index.store import current_version, load_index, read_manifest, rollback

log = logging.getLogger("sarabun")


def run_build(docs: Path, index_dir: Path, settings: IndexSettings, strict: bool = False
              ) -> BuildReport:
    """Build with a progress bar on stderr."""
    from tqdm import tqdm

    bar: tqdm | None = None

    def progress(done: int, total: int) -> None:
        nonlocal bar
        if bar is None:
            bar = tqdm(total=total, unit="chunk", desc="embedding", file=sys.stderr)
        bar.update(done - bar.n)

    try:
        return build_index(docs, index_dir, settings.embedder, int(settings.max_file_mb * 1e6),
                           strict=strict, progress=progress)
    finally:
        if bar is not None:
            bar.close()


def cmd_build(args: argparse.Namespace, settings: IndexSettings) -> int:
    """``sarabun index build``: index the documents directory and say what changed."""
    lower_priority(settings.build_nice)
    report = run_build(args.docs, args.index, settings, args.strict)
    for name, reason in report.skipped:
        print(f"skipped {name}: {reason}")
    print(f"added {len(report.added)}, changed {len(report.changed)}, removed "
          f"{len(report.removed)}, unchanged {len(report.unchanged)}, skipped "
          f"{len(report.skipped)}; {report.chunks} chunks ({report.embedded} embedded) in "
          f"{report.seconds:.1f} s")
    if args.strict and report.skipped:
        print("strict: nothing published because files were skipped", file=sys.stderr)
        return 1
    print(f"published version {report.version}" if report.published
          else f"nothing changed; version {report.version} stays published")
    return 0


def lower_priority(nice: int) -> None:
    """Let serving processes on the same machine go first: a build is batch work."""
    if nice > 0:
        try:
            os.nice(nice)
        except OSError as exc:  # not permitted here: build at normal priority
            log.warning("could not lower the build's priority: %s", exc)


def cmd_status(args: argparse.Namespace, settings: IndexSettings) -> int:
    """``sarabun index status``: the published version and its documents."""
    manifest = read_manifest(args.index)
    if manifest is None:
        print(f"no index in {args.index}: run 'sarabun index build'", file=sys.stderr)
        return 1
    status = {
        "version": manifest["version"],
        "created": manifest["created"],
        "embedder": manifest["embedder"],
        "dim": manifest["dim"],
        "documents": len(manifest["documents"]),
        "chunks": manifest["chunks"],
        "previous": manifest.get("previous"),
    }
    if args.json:
        print(json.dumps({**status, "document_list": manifest["documents"]}, ensure_ascii=False))
        return 0
    for key, value in status.items():
        print(f"{key:10} {value}")
    for doc in manifest["documents"]:
        print(f"  {doc['doc_id']:<60} {doc['chunks']:>4} chunks  {doc['date'] or '-'}")
    return 0


def cmd_rollback(args: argparse.Namespace, settings: IndexSettings) -> int:
    """``sarabun index rollback``: publish the previous version."""
    before = current_version(args.index)
    print(f"rolled back from {before} to {rollback(args.index)}")
    return 0


def cmd_verify(args: argparse.Namespace, settings: IndexSettings) -> int:
    """Exit 0 when the published version is intact; damage exits 1 through IndexUnavailable."""
    published = load_index(args.index)  # verifies checksums and counts
    files = len(published.manifest.get("files", {}))
    if not files:
        print(f"version {published.version} has no checksums (built before they existed): "
              "rebuild it with 'sarabun index build'", file=sys.stderr)
        return 1
    print(f"version {published.version} verified: {files} files, {len(published.chunks)} chunks")
    return 0


def open_published(index_dir: Path):  # -> Retriever
    """A retriever over the version published in ``index_dir``."""
    from retrieval.search import open_retriever

    return open_retriever(load_index(index_dir))


def cmd_eval(args: argparse.Namespace, settings: IndexSettings) -> int:
    """``sarabun eval``: retrieval quality of the shipped pipeline beside BM25, dense and RRF."""
    import tempfile

    from retrieval.answer import ask
    from retrieval.evaluate import HEADER, Outcome, groups, read_jsonl, read_squad, score
    from retrieval.query import parse_query

    if args.file.suffix == ".json":
        questions, pool = read_squad(args.file)
        tmp = tempfile.TemporaryDirectory(prefix="sarabun-eval-")
        docs, index_dir = Path(tmp.name) / "docs", Path(tmp.name) / "index"
        docs.mkdir()
        for doc_id, text in pool.items():
            (docs / f"{doc_id}.txt").write_text(text, "utf-8")
        print(f"indexing the {len(pool)} paragraphs of {args.file.name} …", file=sys.stderr)
        run_build(docs, index_dir, settings)
    else:
        questions, index_dir = read_jsonl(args.file), args.index
    if args.split != "all":
        questions = [q for q in questions if q.split == args.split]
    retriever = open_published(index_dir)
    kinds = {d.path: d.kind for d in retriever.index.documents.values()}

    def method(name: str):
        def run(q):
            hits = retriever.search(parse_query(q.text), k=10, method=name)
            return Outcome(False, [(h.chunk.doc_id, h.chunk.text) for h in hits])
        return run

    def shipped(q):
        answer = ask(retriever, q.text, k=10)
        return Outcome(answer.abstained, [(c.doc_id, c.text) for c in answer.citations], answer.answer)

    runs = [("shipped", shipped)] + ([] if args.shipped_only else [
        ("bm25", method("bm25")), ("dense (e5)", method("dense")), ("rrf k=60", method("rrf"))])
    started = time.perf_counter()
    outcomes = {name: {q.qid: run(q) for q in questions} for name, run in runs}
    print(f"{args.file.name}: {len(questions)} questions, index {retriever.index.version}")
    for split in sorted({q.split for q in questions}):
        part = [q for q in questions if q.split == split]
        print(f"\n== {split or 'all questions'} ({len(part)}) ==")
        print(f"{'group':<10} {'method':<12}{HEADER}")
        for group, members in sorted(groups(part, lambda d: kinds.get(d, "?")).items()):
            for name, _ in runs:
                s = score(members, lambda q, name=name: outcomes[name][q.qid])
                print(f"{group:<10} {name:<12}{s.row()}", flush=True)
    log.info("eval took %.1f s", time.perf_counter() - started)
    return 0
