"""Fit the abstention model (retrieval/abstain.py) on labelled questions.

    python benchmarks/calibrate_abstention.py [--index DIR] [FILE]

FILE holds JSON lines {"q": str, "in_scope": bool} (default: benchmarks/calibration.jsonl,
questions written for calibration, disjoint from the eval sets). Prints the fitted WEIGHTS/BIAS/THRESHOLD
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
        X.append(list(ev.features))
        y.append(1.0 if row["in_scope"] else 0.0)
        print(f"{'in ' if row['in_scope'] else 'off'} dense={ev.dense:.3f} cov={ev.coverage:.2f} "
              f"agree={ev.agreement:.0f} "
              f"{row['q']}")
    X_, y_ = np.array(X), np.array(y)
    mean, std = X_.mean(axis=0), X_.std(axis=0) + 1e-9
    Z = (X_ - mean) / std  # standardised, so one step size suits both features
    w, b = np.zeros(X_.shape[1]), 0.0
    for _ in range(20000):  # plain gradient descent on the log-loss, with a little L2
        p = 1 / (1 + np.exp(-(Z @ w + b)))
        w -= 0.5 * (Z.T @ (p - y_) / len(y_) + 1e-2 * w)
        b -= 0.5 * float(np.mean(p - y_))
    w, b = w / std, b - float(np.sum(w * mean / std))
    p = 1 / (1 + np.exp(-(X_ @ w + b)))
    # Threshold: the midpoint between neighbouring probabilities with the fewest training errors;
    # among equals the widest gap, so the boundary sits where the data leaves the most room.
    ps = np.sort(p)
    cuts = [((ps[i] + ps[i + 1]) / 2, ps[i + 1] - ps[i]) for i in range(len(ps) - 1)]
    threshold = min(cuts, key=lambda c: (np.sum((p >= c[0]) != (y_ == 1)), -c[1]))[0]
    print(f"WEIGHTS = ({', '.join(f'{x:.3f}' for x in w)})\nBIAS = {b:.3f}\nTHRESHOLD = {threshold:.3f}")
    for t in (0.5, threshold):
        print(f"training accuracy at {t:.3f}: {np.mean((p >= t) == (y_ == 1)):.3f} on {len(y_)} questions")


if __name__ == "__main__":
    main()
