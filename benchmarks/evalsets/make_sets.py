"""Assemble the evaluation and calibration sets from the helpers' raw files, and split the
evaluation set into a tuning half and a held-out half with a fixed seed.

    python benchmarks/evalsets/make_sets.py

Writes ``eval.jsonl`` (every question with ``"split": "tune" | "heldout"``),
``calibration.jsonl`` (``{"q", "in_scope"}``, for ``benchmarks/calibrate_abstention.py``) and
``train.jsonl`` (questions with gold passages written for ``benchmarks/fit_ranker.py``). Each
stratum (one document, or one kind of unanswerable question) is shuffled with a seed derived from
SEED and its name and dealt alternately, so adding a document never moves another's questions
between halves. How the questions were written: AUTHORING.md.
"""

import json
import random
from pathlib import Path

SEED = 20261124
HERE = Path(__file__).parent


def _rows(pattern: str) -> list[dict]:
    rows = []
    for path in sorted((HERE / "raw").glob(pattern)):
        rows += [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]
    return rows


def _split(rows: list[dict]) -> list[dict]:
    strata: dict[str, list[dict]] = {}
    for row in rows:
        strata.setdefault(row.get("doc") or row.get("kind", "near"), []).append(row)
    out = []
    for name in sorted(strata):
        members = sorted(strata[name], key=lambda r: r["id"])
        random.Random(f"{SEED}:{name}").shuffle(members)
        for i, row in enumerate(members):
            out.append({**row, "split": "tune" if i % 2 == 0 else "heldout"})
    return sorted(out, key=lambda r: r["id"])


def main() -> None:
    evaluation = _split(_rows("*_eval.jsonl"))
    with (HERE / "eval.jsonl").open("w", encoding="utf-8") as fh:
        for row in evaluation:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    calibration = [{"q": r["q"], "in_scope": bool(r.get("gold")), "kind": r.get("kind", "answerable")}
                   for r in _rows("*_calib.jsonl")]
    with (HERE / "calibration.jsonl").open("w", encoding="utf-8") as fh:
        for row in calibration:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    training = _rows("*_train.jsonl")
    with (HERE / "train.jsonl").open("w", encoding="utf-8") as fh:
        for row in training:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    answerable = [r for r in evaluation if r.get("gold")]
    print(f"eval: {len(evaluation)} questions ({len(answerable)} answerable), "
          f"calibration: {len(calibration)} ({sum(r['in_scope'] for r in calibration)} answerable), "
          f"training: {len(training)}")


if __name__ == "__main__":
    main()
