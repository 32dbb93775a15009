"""Fit the second-stage ranking model (retrieval/rerank.py) on questions with gold passages.

    python benchmarks/fit_ranker.py [--index DIR] [FILE ...]

Default training data: ``benchmarks/evalsets/train.jsonl`` (questions written for training) and
the tuning half of ``benchmarks/evalsets/eval.jsonl``; the held-out half is never read. For each
question the first stage's candidates are labelled: a candidate is right when its citation (the
passage with the rest of its section, ``retrieval.answer.cited_rows``) holds every gold string.
A listwise softmax model is fitted: the probability the model gives the right candidates is
maximised, with an L2 penalty chosen by 5-fold cross-validation on hit@1. Prints the figures and
the WEIGHTS line to paste into retrieval/rerank.py. The abstention model reads the ranking
model's score, so refit it after (``benchmarks/calibrate_abstention.py``).
"""

import argparse
import json
from pathlib import Path

import numpy as np

import index  # noqa: F401  (sets offline environment)
from index.settings import IndexSettings
from index.store import load_index
from index.thai_text import compact
from retrieval.answer import cited_rows
from retrieval.query import parse_query
from retrieval.rerank import FEATURES, WEIGHTS
from retrieval.search import open_retriever

SETS = Path(__file__).parent / "evalsets"
PENALTIES = (0.0, 0.01, 0.1)
FOLDS = 5
SEED = 20261124


def load(paths: list[Path]) -> list[dict]:
    """Answerable training questions: every line of each file, except the held-out half."""
    rows = []
    for path in paths:
        for line in path.read_text("utf-8").splitlines():
            row = json.loads(line) if line.strip() else {}
            if row.get("gold") and row.get("split") != "heldout":
                rows.append(row)
    return rows


def lists(retriever, rows: list[dict]) -> tuple[list[tuple[np.ndarray, np.ndarray]], int]:
    """(features, labels) per question whose right passage is among the candidates, and the
    number of questions whose right passage the first stage missed."""
    out, missed = [], 0
    substantive = retriever._substantive
    for row in rows:
        found = retriever.candidates(parse_query(row["q"]))
        gold = [compact(g) for g in row["gold"]]
        if found is None:
            missed += 1
            continue
        keep = substantive[found.rows]  # the others are ranked last whatever their score
        chunks = retriever.index.chunks
        cited = [compact("".join(chunks[i].text for i in cited_rows(chunks, int(r)))) for r in found.rows]
        labels = np.array([all(g in text for g in gold) for text in cited]) & keep
        if not labels.any():
            missed += 1
            continue
        out.append((found.features[keep], labels[keep]))
    return out, missed


def fit(data: list[tuple[np.ndarray, np.ndarray]], penalty: float, steps: int = 1500) -> np.ndarray:
    """Listwise softmax weights (Adam on the mean negative log-probability of the right candidates)."""
    w = np.asarray(WEIGHTS, dtype=np.float64)  # from the shipped weights
    m, v = np.zeros_like(w), np.zeros_like(w)
    for t in range(1, steps + 1):
        grad = penalty * 2 * w
        for x, y in data:
            s = x @ w
            p = np.exp(s - s.max())
            p /= p.sum()
            q = p * y / (p * y).sum()
            grad += (x.T @ (p - q)) / len(data)
        m = 0.9 * m + 0.1 * grad
        v = 0.999 * v + 0.001 * grad**2
        w -= 0.05 * (m / (1 - 0.9**t)) / (np.sqrt(v / (1 - 0.999**t)) + 1e-8)
    return w


def hit1(data: list[tuple[np.ndarray, np.ndarray]], w: np.ndarray) -> float:
    return float(np.mean([y[int(np.argmax(x @ w))] for x, y in data])) if data else 0.0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("files", nargs="*", type=Path, default=[SETS / "train.jsonl", SETS / "eval.jsonl"])
    ap.add_argument("--index", type=Path, default=IndexSettings().index_dir)
    args = ap.parse_args()
    retriever = open_retriever(load_index(args.index))
    rows = load([f for f in args.files if f.exists()])
    data, missed = lists(retriever, rows)
    print(f"{len(rows)} questions; right passage among the candidates for {len(data)}, missed {missed}")
    order = np.random.default_rng(SEED).permutation(len(data))
    folds = [order[i::FOLDS] for i in range(FOLDS)]
    best = (-1.0, 0.0)
    print(f"shipped weights: hit@1 among candidates {hit1(data, np.asarray(WEIGHTS)):.3f}")
    for penalty in PENALTIES:
        right = 0.0
        for fold in folds:
            held = set(fold.tolist())
            w = fit([d for i, d in enumerate(data) if i not in held], penalty, steps=600)
            right += hit1([data[i] for i in fold], w) * len(fold)
        cv = right / len(data)
        print(f"L2 {penalty:<5} cross-validated hit@1 among candidates {cv:.3f}")
        best = max(best, (cv, penalty))
    w = fit(data, best[1])
    print(f"fitted with L2 {best[1]}: hit@1 among candidates {hit1(data, w):.3f} (training data)")
    for name, value in zip(FEATURES, w, strict=True):
        print(f"  {name:<16}{value:+.3f}")
    print("WEIGHTS = (" + ", ".join(f"{x:.3f}" for x in w) + ")  # paste into retrieval/rerank.py")


if __name__ == "__main__":
    main()
