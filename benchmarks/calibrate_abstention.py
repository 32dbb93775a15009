"""Fit the abstention model (retrieval/abstain.py) on labelled questions.

    python benchmarks/calibrate_abstention.py [--index DIR] [FILE]

FILE holds JSON lines {"q": str, "in_scope": bool} (default: benchmarks/calibration.jsonl,
questions written for calibration, disjoint from the eval sets). Prints the fitted WEIGHTS/BIAS
and the training accuracy; paste them into retrieval/abstain.py.
"""

import argparse
import json
from pathlib import Path

import numpy as np

import index  # noqa: F401  (sets offline environment)
from index.settings import IndexSettings
from index.store import load_index
from retrieval.abstain import evidence
from retrieval.query import parse_query
from retrieval.search import open_retriever


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("file", nargs="?", default=Path(__file__).with_name("calibration.jsonl"))
    ap.add_argument("--index", type=Path, default=IndexSettings().index_dir)
    args = ap.parse_args()
    rows = [json.loads(x) for x in Path(args.file).read_text("utf-8").splitlines() if x.strip()]
    retriever = open_retriever(load_index(args.index))
    X, y = [], []
    for row in rows:
        q = parse_query(row["q"])
        hits = retriever.search(q, k=5)
        ev = evidence(q, hits, retriever.vocabulary)
        X.append([ev.dense, ev.coverage])
        y.append(1.0 if row["in_scope"] else 0.0)
        print(f"{'in ' if row['in_scope'] else 'off'} dense={ev.dense:.3f} cov={ev.coverage:.2f} "
              f"{row['q']}")
    X_, y_ = np.array(X), np.array(y)
    mean, std = X_.mean(axis=0), X_.std(axis=0) + 1e-9
    Z = (X_ - mean) / std  # standardised, so one step size suits both features
    w, b = np.zeros(2), 0.0
    for _ in range(20000):  # plain gradient descent on the log-loss, with a little L2
        p = 1 / (1 + np.exp(-(Z @ w + b)))
        w -= 0.5 * (Z.T @ (p - y_) / len(y_) + 1e-2 * w)
        b -= 0.5 * float(np.mean(p - y_))
    w, b = w / std, b - float(np.sum(w * mean / std))
    p = 1 / (1 + np.exp(-(X_ @ w + b)))
    print(f"WEIGHTS = ({w[0]:.3f}, {w[1]:.3f})\nBIAS = {b:.3f}")
    print(f"training accuracy {np.mean((p >= 0.5) == (y_ == 1)):.3f} on {len(y_)} questions")


if __name__ == "__main__":
    main()
