"""Scale curve (issue 14): search cost at 10k, 100k and 1M chunks, synthetic from the shipped ones.

    python benchmarks/bench_scale.py [--index var/index] [--sizes 10000,100000,1000000]
                                     [--queries 200] [--work var/bench-scale]

For each size a version is written once under ``--work`` (kept for later runs) by the same
``write_version`` as a real build: the shipped chunks repeated as copies of their documents, each
copy's vector its original's mixed with two other random passages' vectors (renormalised), so
that copies spread between topics instead of sitting in tight clusters of near-duplicates while
staying in the space real passage vectors occupy (isotropic noise would make all vectors nearly
equidistant, which no real collection is), and its BM25 words the originals with a random tenth
left out. Each measurement runs in a
fresh process and reports:

- load: ``load_index`` without and with the SHA-256 verification of every file;
- p50/p95 per question (embedding included) over the evaluation questions, in wall time and in
  the worker's CPU time (what a question costs when the shared cores are not busy elsewhere);
- resident memory of one worker after the questions (VmRSS, and its private part RssAnon: the
  rest is file pages shared with every process mapping the version, listed per file from
  /proc/self/smaps), and the proportional set size (PSS, shared pages split between processes)
  of two workers together;
- a cold start: the version's pages dropped from the page cache first, then one worker's load,
  p50/p95, and how much of the version is in the page cache after its questions (what a machine
  keeps cached for that speed, shared by all its workers; ``fincore``);
- disk size of the version;
- recall@10 of the vector search: the 10 nearest vectors found through the HNSW graph against the
  exact 10 (the flat scan, which is also the baseline column), per question;
- the hybrid ranking's first passage: the same text as with the exact scan (copies of a passage
  share its text, so a graph that finds another copy first gives the same answer).

Each worker caps its math libraries at one thread, as ``sarabun serve``'s answer threads do.
"""

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import faiss
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import index  # noqa: E402,F401  (sets offline environment)
from index.documents import index_text  # noqa: E402
from index.store import load_index, publish, write_version  # noqa: E402
from index.tokens import toneless, word_tokens  # noqa: E402
from index.vectors import ANN, HNSW_EF_CONSTRUCTION  # noqa: E402

MIX = (0.5, 0.3)  # weights of two other random passages' vectors in a copy's vector
QUESTIONS = ROOT / "benchmarks" / "evalsets" / "eval.jsonl"


def make_version(source: Path, size: int, work: Path) -> Path:
    """Write (once) a published index of ``size`` chunks made from the shipped index."""
    index_dir = work / f"{size}-mix"
    if (index_dir / "current").exists() and not _old_graph(index_dir / "current"):
        return index_dir
    shutil.rmtree(index_dir, ignore_errors=True)
    shipped = load_index(source)
    chunks = list(shipped.chunks)
    titles = {d: shipped.documents[d].title for d in shipped.documents}
    tokens = [word_tokens(index_text(c, titles[c.doc_id])) for c in chunks]
    loose = [word_tokens(toneless(index_text(c, titles[c.doc_id]))) for c in chunks]
    rng = np.random.default_rng(size)
    base = np.asarray(shipped.vectors.matrix)
    copies = -(-size // len(chunks))
    out_chunks, out_tokens, out_loose, parts, documents = [], [], [], [], []
    for copy in range(copies):
        take = min(len(chunks), size - copy * len(chunks))
        suffix = "" if copy == 0 else f"~{copy}"
        for doc in shipped.documents.values():
            documents.append({**doc.__dict__, "doc_id": doc.doc_id + suffix,
                              "chunks": sum(1 for c in chunks[:take] if c.doc_id == doc.doc_id)})
        for i in range(take):
            c = chunks[i]
            out_chunks.append(replace(c, chunk_id=c.chunk_id.replace(c.doc_id, c.doc_id + suffix, 1),
                                      doc_id=c.doc_id + suffix))
            keep = rng.random(len(tokens[i])) > (0.1 if copy else 0.0)
            out_tokens.append([t for t, k in zip(tokens[i], keep, strict=True) if k] or tokens[i])
            out_loose.append(loose[i])
        v = base[:take].copy()
        for weight in MIX if copy else ():
            v += weight * base[rng.integers(0, len(base), size=take)]
        parts.append(v / np.linalg.norm(v, axis=1, keepdims=True))
    documents = [d for d in documents if d["chunks"]]
    manifest = {**{k: v for k, v in shipped.manifest.items() if k not in ("files", "previous")},
                "documents": documents, "chunks": len(out_chunks)}
    version = f"scale{size}"
    write_version(index_dir, version, manifest, out_chunks, np.concatenate(parts), out_tokens,
                  shipped.glossary, out_loose)
    publish(index_dir, version)
    return index_dir


def _old_graph(version: Path) -> bool:
    """Whether a kept version's graph was built with a smaller efConstruction than a build uses
    now (before round 8): such a version is written again."""
    if not (version / ANN).exists():
        return False
    graph = faiss.read_index(str(version / ANN), faiss.IO_FLAG_MMAP_IFC)
    return graph.hnsw.efConstruction < HNSW_EF_CONSTRUCTION


def worker(index_dir: Path, queries: int, exact: bool, out: Path) -> None:
    """One measuring process: load, answer the questions, report timings, memory, rankings."""
    from index.embedders import limit_process_threads
    from retrieval.query import parse_query
    from retrieval.search import open_retriever

    limit_process_threads(1)
    started = time.perf_counter()
    published = load_index(index_dir, verify=False)
    load_s = time.perf_counter() - started
    if exact:
        published.vectors.ann = None
    retriever = open_retriever(published)
    questions = [json.loads(x)["q"] for x in QUESTIONS.read_text("utf-8").splitlines() if x.strip()]
    questions = questions[:queries]
    retriever.search(parse_query(questions[0]))  # warm the model
    times, cpu, first, nearest = [], [], [], []
    for q in questions:
        t, c = time.perf_counter(), time.process_time()
        hits = retriever.search(parse_query(q), k=10)
        times.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
        first.append(hits[0].chunk.text if hits else "")
        vector = retriever.embedder.embed_query(parse_query(q).text)
        nearest.append(published.vectors.top(vector, 10)[0].tolist())
    out.write_text(json.dumps({"load_s": load_s, "times": times, "cpu": cpu, "first": first,
                               "nearest": nearest,
                               "rss_mb": _status("VmRSS"), "anon_mb": _status("RssAnon"),
                               "files_mb": _mapped_files(published.path.resolve())}))
    # Stay alive until told, so that a second worker's PSS is measured while both hold the pages.
    sys.stdin.read()


def _status(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return 0.0


def _mapped_files(version: Path) -> dict[str, float]:
    """Resident MB of each of the version's files this process maps (/proc/self/smaps)."""
    resident: dict[str, float] = {}
    name = None
    for line in Path("/proc/self/smaps").read_text().splitlines():
        head = line.split(maxsplit=5)
        if re.fullmatch(r"[0-9a-f]+-[0-9a-f]+", head[0]):  # a mapping's first line
            name = head[5] if len(head) == 6 and head[5].startswith(str(version)) else None
        elif name and line.startswith("Rss:"):
            key = Path(name).relative_to(version).as_posix()
            resident[key] = resident.get(key, 0.0) + int(line.split()[1]) / 1024
    return resident


def _pss(pid: int) -> float:
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        if line.startswith("Pss:"):
            return int(line.split()[1]) / 1024
    return 0.0


def run_workers(index_dir: Path, queries: int, exact: bool, count: int, tmp: Path) -> list[dict]:
    """Start ``count`` workers together; return their reports (PSS re-read while all live)."""
    procs = []
    for n in range(count):
        out = tmp / f"w{n}-{exact}.json"
        out.unlink(missing_ok=True)
        procs.append((subprocess.Popen([sys.executable, __file__, "--worker", str(index_dir),
                                        "--queries", str(queries), "--out", str(out)]
                                       + (["--exact"] if exact else []),
                                       stdin=subprocess.PIPE), out))
    while not all(out.exists() and out.stat().st_size for _, out in procs):
        if any(p.poll() is not None for p, _ in procs):
            raise SystemExit("a worker exited early")
        time.sleep(0.5)
    time.sleep(0.5)
    reports = []
    for p, out in procs:
        report = json.loads(out.read_text())
        report["pss_mb"] = _pss(p.pid)  # read now, with every worker mapping the same files
        reports.append(report)
    for p, _ in procs:
        p.communicate(b"")
    return reports


def _version_files(index_dir: Path) -> list[Path]:
    return [p for p in (index_dir / "current").resolve().rglob("*") if p.is_file()]


def evict(index_dir: Path) -> None:
    """Drop the version's clean pages from the page cache (nothing else's), for a cold start."""
    for path in _version_files(index_dir):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            os.close(fd)


def page_cache_mb(index_dir: Path) -> float:
    """MB of the version's files in the page cache (util-linux ``fincore``)."""
    out = subprocess.run(["fincore", "--bytes", "--noheadings", "--raw", "--output", "RES",
                          *map(str, _version_files(index_dir))], capture_output=True, text=True, check=True)
    return sum(int(x) for x in out.stdout.split()) / 2**20


def verify_seconds(index_dir: Path) -> float:
    started = time.perf_counter()
    load_index(index_dir, verify=True)
    return time.perf_counter() - started


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--index", type=Path, default=ROOT / "var" / "index")
    ap.add_argument("--sizes", default="10000,100000,1000000")
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--work", type=Path, default=ROOT / "var" / "bench-scale")
    ap.add_argument("--worker", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--exact", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        worker(args.worker, args.queries, args.exact, args.out)
        return
    args.work.mkdir(parents=True, exist_ok=True)
    rows = []
    started_load = os.getloadavg()[0]  # the machine is shared: report what else was running
    for size in (int(s) for s in args.sizes.split(",")):
        t = time.perf_counter()
        index_dir = make_version(args.index, size, args.work)
        print(f"[{size}] version ready in {time.perf_counter() - t:.0f} s", flush=True)
        evict(index_dir)
        cold = run_workers(index_dir, args.queries, False, 1, args.work)[0]
        cold["cache_mb"] = page_cache_mb(index_dir)
        one = run_workers(index_dir, args.queries, False, 1, args.work)[0]
        two = run_workers(index_dir, args.queries, False, 2, args.work)
        flat = run_workers(index_dir, args.queries, True, 1, args.work)[0]
        recall = statistics.mean(len(set(a) & set(b)) / max(1, len(b))
                                 for a, b in zip(one["nearest"], flat["nearest"], strict=True))
        same_first = statistics.mean(a == b for a, b in zip(one["first"], flat["first"], strict=True))
        version = index_dir / "current"
        disk = sum(p.stat().st_size for p in version.resolve().rglob("*") if p.is_file()) / 2**20
        rows.append((size, one, two, flat, recall, same_first, verify_seconds(index_dir), disk, cold))
        print(f"[{size}] measured", flush=True)
    print(f"\n{os.cpu_count()} cores, load average {started_load:.1f} at the start, "
          f"{os.getloadavg()[0]:.1f} at the end; "
          f"{args.queries} questions; times in ms, memory in MB\n")
    print("| chunks | load | load+verify | p50 | p95 | CPU p50 | CPU p95 | flat p50 | flat p95 "
          "| RSS one (private) | PSS two together | flat RSS | disk | recall@10 | same first |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for size, one, two, flat, recall, same_first, verified, disk, _cold in rows:
        ms = [1000 * x for x in one["times"]]
        cpu = [1000 * x for x in one["cpu"]]
        fms = [1000 * x for x in flat["times"]]
        print(f"| {size:,} | {one['load_s']:.2f} s | {verified:.1f} s | {statistics.median(ms):.0f} "
              f"| {_p95(ms):.0f} | {statistics.median(cpu):.0f} | {_p95(cpu):.0f} "
              f"| {statistics.median(fms):.0f} | {_p95(fms):.0f} | {one['rss_mb']:.0f} "
              f"({one['anon_mb']:.0f}) | {sum(w['pss_mb'] for w in two):.0f} | {flat['rss_mb']:.0f} "
              f"| {disk:.0f} | {recall:.3f} | {same_first:.2f} |")
    print_memory(rows)


def print_memory(rows: list[tuple]) -> None:
    """Where one worker's resident memory is (smaps), and the version's page cache after a cold
    worker answered the questions (the pages the machine keeps for speed, shared by all)."""
    print("\n| chunks | cold load | cold p50 | cold p95 | page cache after cold run | own memory "
          "| resident file pages (one worker, warm) |")
    print("|---|---|---|---|---|---|---|")
    for size, one, *_, cold in rows:
        ms = sorted(1000 * x for x in cold["times"])
        files = ", ".join(f"{name} {mb:.0f}" for name, mb in
                          sorted(one["files_mb"].items(), key=lambda x: -x[1]) if mb >= 1) or "none"
        print(f"| {size:,} | {cold['load_s']:.2f} s | {statistics.median(ms):.0f} | {_p95(ms):.0f} "
              f"| {cold['cache_mb']:.0f} | {one['anon_mb']:.0f} | {files} |")


def _p95(values: list[float]) -> float:
    return sorted(values)[max(0, round(0.95 * len(values)) - 1)]


if __name__ == "__main__":
    main()
