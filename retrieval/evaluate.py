"""Retrieval quality on question sets: hit@1/3/5, MRR@10 and abstention rate.

Formats: JSON lines ``{"id", "q", "gold": [..]}`` (a passage answers when it contains every gold
string, compared with :func:`index.thai_text.compact`; no ``gold`` means the question should be
abstained on), and SQuAD JSON (XQuAD), whose paragraphs form the pool.
"""

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from index.thai_text import compact


@dataclass
class Question:
    qid: str
    text: str
    gold: list[str]  # strings the answering passage must contain; empty → off-topic
    gold_doc: str | None = None  # for pool-style sets: the document that answers


@dataclass
class Scores:
    """Aggregated figures for one method."""

    n: int = 0
    hit1: float = 0.0
    hit3: float = 0.0
    hit5: float = 0.0
    mrr10: float = 0.0
    abstained_in_scope: int = 0
    offtopic: int = 0
    abstained_offtopic: int = 0

    def row(self) -> str:
        return (f"{self.hit1:.3f}  {self.hit3:.3f}  {self.hit5:.3f}  {self.mrr10:.3f}  "
                f"{self.abstained_in_scope:>3}/{self.n:<4} {self.abstained_offtopic:>3}/{self.offtopic}")


def read_jsonl(path: Path) -> list[Question]:
    """Questions from a JSON-lines eval file."""
    out = []
    for line in path.read_text("utf-8").splitlines():
        if line.strip():
            obj = json.loads(line)
            out.append(Question(obj["id"], obj["q"], list(obj.get("gold", []))))
    return out


def read_squad(path: Path) -> tuple[list[Question], dict[str, str]]:
    """Questions and their paragraph pool from a SQuAD-format file: (questions, {doc_id: text})."""
    data = json.loads(path.read_text("utf-8"))
    pool: dict[str, str] = {}
    questions: list[Question] = []
    for a, article in enumerate(data["data"]):
        for p, paragraph in enumerate(article["paragraphs"]):
            doc_id = f"p{a:03d}_{p:02d}"
            pool[doc_id] = paragraph["context"]
            for qa in paragraph["qas"]:
                questions.append(Question(qa["id"], qa["question"], [], gold_doc=doc_id))
    return questions, pool


def answers(question: Question, doc_id: str, text: str) -> bool:
    """Whether a cited passage answers the question."""
    if question.gold_doc is not None:
        return doc_id == question.gold_doc
    key = compact(text)
    return all(compact(g) in key for g in question.gold)


def score(questions: list[Question],
          run: Callable[[Question], tuple[bool, list[tuple[str, str]]]]) -> Scores:
    """Score ``run(question) -> (abstained, [(doc_id, passage text), ...])`` over a set."""
    s = Scores()
    for q in questions:
        abstained, ranked = run(q)
        if not q.gold and q.gold_doc is None:
            s.offtopic += 1
            s.abstained_offtopic += abstained
            continue
        s.n += 1
        s.abstained_in_scope += abstained
        rank = next((i for i, (d, t) in enumerate(ranked[:10], 1) if answers(q, d, t)), None)
        if rank:
            s.hit1 += rank == 1
            s.hit3 += rank <= 3
            s.hit5 += rank <= 5
            s.mrr10 += 1 / rank
    if s.n:
        s.hit1, s.hit3, s.hit5, s.mrr10 = (x / s.n for x in (s.hit1, s.hit3, s.hit5, s.mrr10))
    return s
