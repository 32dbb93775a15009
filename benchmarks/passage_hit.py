"""hit@1 counted by the first citation's own passage and by what the citation shows.

    python benchmarks/passage_hit.py [--index DIR] [FILE]

A citation shows its passage's whole section (``retrieval.answer.cited_rows``); before round 7 it
showed the passage alone. This prints both counts per half of the evaluation set, so the ranking
(the passage found first) and what the reader is shown can be told apart.
"""

import argparse
import json
from pathlib import Path

import index  # noqa: F401  (sets offline environment)
from index.settings import IndexSettings
from index.store import load_index
from index.thai_text import compact
from retrieval.answer import ask
from retrieval.search import open_retriever

EVAL = Path(__file__).parent / "evalsets" / "eval.jsonl"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("file", nargs="?", type=Path, default=EVAL)
    ap.add_argument("--index", type=Path, default=IndexSettings().index_dir)
    args = ap.parse_args()
    retriever = open_retriever(load_index(args.index))
    rows = [json.loads(line) for line in args.file.read_text("utf-8").splitlines() if line.strip()]
    print("half       n  passage hit@1  cited hit@1")
    for half in sorted({r.get("split", "") for r in rows}):
        questions = [r for r in rows if r.get("split", "") == half and r.get("gold")]
        passage = cited = 0
        for row in questions:
            answer = ask(retriever, row["q"], k=10)
            if answer.abstained or not answer.citations:
                continue
            first = answer.citations[0]
            chunk = retriever.index.chunks[retriever.index.positions[first.chunk_id]]
            gold = [compact(g) for g in row["gold"]]
            passage += all(g in compact(chunk.text) for g in gold)
            cited += all(g in compact(first.text) for g in gold)
        n = len(questions) or 1
        print(f"{half or '-':<8}{len(questions):>4}  {passage / n:>13.3f}  {cited / n:>11.3f}")


if __name__ == "__main__":
    main()
