"""Hostile-file benchmark: time and peak memory of each refusal by the sandboxed parser.

    python benchmarks/bench_hostile.py

Generates the hostile corpus of the tests (zip bomb and over-compressed DOCX, entity-expansion
DOCX, deeply nested HTML, a 3,000-page PDF, a PDF with JavaScript, huge-dimension images), hands
each to a fresh parsing worker as ``sarabun index build`` and chat uploads do, and prints the
reason, the wall time to the refusal and the worker's peak resident memory (VmHWM), beside the
parent process's peak, which must not move: the parent never parses.
"""

import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import index  # noqa: E402,F401  (offline environment)
from index.loaders import SkipFile  # noqa: E402
from index.sandbox import ParseWorker  # noqa: E402
from tests.test_hardening_index import HOSTILE  # noqa: E402


def main() -> None:
    print(f"{'file':<15} {'size KB':>8} {'seconds':>8} {'worker MB':>10} {'parent MB':>10}  reason")
    with tempfile.TemporaryDirectory(prefix="sarabun-hostile-") as tmp:
        for name, make, _, _ in HOSTILE:
            path = make(Path(tmp) / name)
            started = time.perf_counter()
            with ParseWorker() as worker:
                try:
                    worker.load(path, 10**8)
                    reason = "NOT REFUSED"
                except SkipFile as exc:
                    reason = str(exc)
                peak = worker.peak_memory_mb()
            seconds = time.perf_counter() - started
            parent = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            print(f"{name:<15} {path.stat().st_size / 1024:>8.0f} {seconds:>8.2f} {peak:>10.0f} "
                  f"{parent:>10.0f}  {reason[:80]}", flush=True)


if __name__ == "__main__":
    main()
