"""Answer latency and memory: warm per-question latency of each retrieval method side by side,
first answer after process start, and resident memory.

    python benchmarks/bench_latency.py [--index DIR] [--rounds N]

Questions: ``benchmarks/evalsets/calibration.jsonl`` (in- and off-scope chat questions). Warm latency is
measured in this process after one warm-up pass; "first answer" runs ``sarabun ask`` in a fresh
process against the built index and times it from launch to exit.
"""

import argparse
import json
import resource
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import index  # noqa: F401  (sets the offline environment)
from index.settings import IndexSettings
from index.store import load_index
from retrieval.answer import ask
from retrieval.query import parse_query
from retrieval.search import open_retriever

QUESTIONS = Path(__file__).parent / "evalsets" / "calibration.jsonl"


def _percentiles(samples: list[float]) -> tuple[float, float]:
    cuts = statistics.quantiles(samples, n=20)
    return statistics.median(samples), cuts[18]  # p50, p95


def _first_answer(index_dir: Path, question: str) -> tuple[float, float]:
    """Seconds from launching ``sarabun ask`` to its exit, and the child's peak RSS in MB."""
    exe = shutil.which("sarabun") or sys.executable
    cmd = [exe] if exe != sys.executable else [exe, "-m", "bot"]
    start = time.perf_counter()
    subprocess.run([*cmd, "ask", "--index", str(index_dir), question], check=True,
                   capture_output=True)
    seconds = time.perf_counter() - start
    return seconds, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--index", type=Path, default=IndexSettings().index_dir)
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    questions = [json.loads(x)["q"] for x in QUESTIONS.read_text("utf-8").splitlines() if x.strip()]

    first_s, first_rss = _first_answer(args.index, questions[0])
    retriever = open_retriever(load_index(args.index))
    methods: dict[str, Callable[[str], object]] = {
        "bm25": lambda q: retriever.search(parse_query(q), k=5, method="bm25"),
        "dense (e5)": lambda q: retriever.search(parse_query(q), k=5, method="dense"),
        "rrf k=60": lambda q: retriever.search(parse_query(q), k=5, method="rrf"),
        "shipped (ask)": lambda q: ask(retriever, q),
    }
    for run in methods.values():  # warm-up: model, tokenizer dictionaries, caches
        for q in questions:
            run(q)
    print(f"index {args.index} ({len(retriever.index.chunks)} chunks), "
          f"{len(questions)} questions x {args.rounds} rounds")
    print(f"{'method':<16} {'p50 ms':>8} {'p95 ms':>8}")
    for name, run in methods.items():
        samples = []
        for _ in range(args.rounds):
            for q in questions:
                start = time.perf_counter()
                run(q)
                samples.append((time.perf_counter() - start) * 1000)
        p50, p95 = _percentiles(samples)
        print(f"{name:<16} {p50:>8.1f} {p95:>8.1f}")
    warm_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"first answer after process start (sarabun ask): {first_s:.2f} s, peak RSS {first_rss:.0f} MB")
    print(f"peak RSS of this process after {args.rounds} warm rounds: {warm_rss:.0f} MB")


if __name__ == "__main__":
    main()
