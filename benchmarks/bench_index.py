"""Ingestion benchmark: a full build and a rebuild with nothing changed, side by side, in one run.

    python benchmarks/bench_index.py [--docs DIR]

Builds into a fresh temporary index directory (the published index is not touched), then rebuilds
the same documents, and prints time, chunks embedded, throughput and index size for both.
"""

import argparse
import tempfile
import time
from pathlib import Path

import index  # noqa: F401  (sets the offline environment)
from index.build import BuildReport, build_index
from index.settings import IndexSettings
from index.store import current_version


def _size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def _row(name: str, seconds: float, report: BuildReport, size: int | None) -> str:
    rate = report.embedded / seconds if report.embedded else 0.0
    size_mb = f"{size / 1e6:.2f}" if size is not None else "–"
    return (f"{name:<22} {seconds:>8.2f} {report.chunks:>7} {report.embedded:>9} {rate:>9.1f} "
            f"{size_mb:>8}")


def main() -> None:
    settings = IndexSettings()
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--docs", type=Path, default=settings.docs_dir)
    args = ap.parse_args()
    max_bytes = int(settings.max_file_mb * 1e6)
    with tempfile.TemporaryDirectory(prefix="sarabun-bench-") as tmp:
        index_dir = Path(tmp) / "index"
        start = time.perf_counter()
        full = build_index(args.docs, index_dir, settings.embedder, max_bytes)
        full_s = time.perf_counter() - start
        version = current_version(index_dir)
        size = _size(index_dir / "versions" / version) if version else None
        start = time.perf_counter()
        again = build_index(args.docs, index_dir, settings.embedder, max_bytes)
        again_s = time.perf_counter() - start
        republished = current_version(index_dir) != version
    print(f"corpus {args.docs} ({len(full.added)} documents), embedder {settings.embedder}")
    print(f"{'run':<22} {'seconds':>8} {'chunks':>7} {'embedded':>9} {'chunks/s':>9} {'index MB':>8}")
    print(_row("full build", full_s, full, size))
    print(_row("rebuild, no change", again_s, again, None))
    print(f"rebuild / full = {again_s / full_s:.2%}; new version published on rebuild: {republished}")


if __name__ == "__main__":
    main()
