"""Fit the abstention model (retrieval/abstain.py) on labelled questions.

    python benchmarks/calibrate_abstention.py [--index DIR] [FILE ...]

Each FILE holds JSON lines {"q": str, "in_scope": bool} (default: benchmarks/evalsets/calibration.jsonl,
written for calibration, disjoint from the evaluation set); a line with "gold" instead counts as
answerable, and a line of the held-out half ("split": "heldout") is never read. Questions naming a
law the collection lacks are declined by rule and left out. Prints the fitted WEIGHTS/BIAS/THRESHOLD and the
calibration figures; paste them into retrieval/abstain.py.
"""

import argparse
import json
from pathlib import Path

import numpy as np

import index  # noqa: F401  (sets offline environment)
from index.settings import IndexSettings
from index.store import load_index
from retrieval.abstain import EVIDENCE_HITS, MAX_FALSE_DECLINES, evidence
from retrieval.query import parse_query
from retrieval.search import open_retriever

DEFAULT = Path(__file__).parent / "evalsets" / "calibration.jsonl"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("files", nargs="*", type=Path, default=[DEFAULT])
    ap.add_argument("--index", type=Path, default=IndexSettings().index_dir)
    ap.add_argument("-v", "--verbose", action="store_true", help="print every question's features")
    args = ap.parse_args()
    rows = [json.loads(x) for f in args.files for x in f.read_text("utf-8").splitlines() if x.strip()]
    rows = [{**r, "in_scope": r.get("in_scope", bool(r.get("gold")))}
            for r in rows if r.get("split") != "heldout"]
    retriever = open_retriever(load_index(args.index))
    X, y = [], []
    for row in rows:
        q = parse_query(row["q"])
        if any(n.missing for n in retriever.resolve(q)):
            continue
        hits = retriever.search(q, k=EVIDENCE_HITS)
        ev = evidence(q, hits, retriever.document_frequency, len(retriever.index.chunks))
        X.append(list(ev.features))
        y.append(1.0 if row["in_scope"] else 0.0)
        if args.verbose:
            print(f"{'in ' if row['in_scope'] else 'off'} " + " ".join(f"{x:.2f}" for x in ev.features)
                  + f" {row['q'][:80]}")
    X_, y_ = np.array(X), np.array(y)
    mean, std = X_.mean(axis=0), X_.std(axis=0) + 1e-9
    Z = (X_ - mean) / std  # standardised, so one step size suits every feature
    w, b = np.zeros(X_.shape[1]), 0.0
    for _ in range(20000):  # plain gradient descent on the log-loss, with a little L2
        p = 1 / (1 + np.exp(-(Z @ w + b)))
        w -= 0.5 * (Z.T @ (p - y_) / len(y_) + 1e-2 * w)
        b -= 0.5 * float(np.mean(p - y_))
    w, b = w / std, b - float(np.sum(w * mean / std))
    p = 1 / (1 + np.exp(-(X_ @ w + b)))
    # Threshold: decline as many unanswerable questions as possible while declining at most
    # MAX_FALSE_DECLINES of the answerable ones.
    answerable = np.sort(p[y_ == 1])
    allowed = int(np.floor(MAX_FALSE_DECLINES * len(answerable)))
    threshold = float(answerable[allowed] - 1e-4) if len(answerable) else 0.5
    print(f"WEIGHTS = ({', '.join(f'{x:.3f}' for x in w)})\nBIAS = {b:.3f}\nTHRESHOLD = {threshold:.3f}")
    declined = p < threshold
    print(f"calibration ({len(y_)} questions, {int(y_.sum())} answerable): false declines "
          f"{int(np.sum(declined & (y_ == 1)))}/{int(y_.sum())}, unanswerable declined "
          f"{int(np.sum(declined & (y_ == 0)))}/{int(np.sum(y_ == 0))}")


if __name__ == "__main__":
    main()
