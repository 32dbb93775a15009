"""Retrieval and answer quality on question sets.

Formats: JSON lines ``{"id", "q", "gold": [..], "facts": [..], "doc", "kind", "split"}`` and SQuAD
JSON (XQuAD), whose paragraphs form the pool. A cited passage answers when it contains every gold
string; the answer is correct when its text contains every fact string (both compared with
:func:`index.thai_text.compact`). A line without ``gold`` is a question the documents do not
answer: ``kind`` "near" (near-domain) or "nonsense" (the default for older files is "near").
"""

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from index.thai_text import compact


@dataclass
class Question:
    qid: str
    text: str
    gold: list[str]  # strings the answering passage must contain; empty → not answerable
    gold_doc: str | None = None  # for pool-style sets: the document that answers
    facts: list[str] = field(default_factory=list)  # strings a correct answer text states
    doc: str = ""  # file of the answering document, for grouping by document kind
    kind: str = "answerable"  # "answerable", "near" or "nonsense"
    split: str = ""  # "tune" or "heldout"

    @property
    def answerable(self) -> bool:
        return bool(self.gold) or self.gold_doc is not None


@dataclass
class Outcome:
    """What a method did with one question."""

    abstained: bool
    ranked: list[tuple[str, str]]  # (doc id, passage text), best first
    answer: str = ""  # the answer text; empty for methods that only rank


@dataclass
class Scores:
    """Aggregated figures for one method over one group of questions."""

    n: int = 0
    hit1: float = 0.0
    hit3: float = 0.0
    hit5: float = 0.0
    mrr10: float = 0.0
    correct: float = 0.0  # answer-correct: every fact stated in the answer text
    with_facts: int = 0
    abstained_in_scope: int = 0  # false declines
    offtopic: int = 0
    abstained_offtopic: int = 0

    def row(self) -> str:
        if not self.n:
            return f"{'':>37}{self.abstained_offtopic:>4}/{self.offtopic:<4}"
        correct = f"{self.correct:.3f}" if self.with_facts else "   - "
        return (f"{self.n:>4}  {self.hit1:.3f}  {self.hit3:.3f}  {self.hit5:.3f}  {self.mrr10:.3f}  {correct}"
                f"  {self.abstained_in_scope:>3}/{self.n:<4}"
                + (f" {self.abstained_offtopic:>3}/{self.offtopic}" if self.offtopic else ""))


HEADER = "   n  hit@1  hit@3  hit@5  MRR@10 correct  false-decl  declined"


def read_jsonl(path: Path) -> list[Question]:
    """Questions from a JSON-lines eval file."""
    out = []
    for line in path.read_text("utf-8").splitlines():
        if line.strip():
            obj = json.loads(line)
            gold = list(obj.get("gold", []))
            out.append(Question(obj["id"], obj["q"], gold, facts=list(obj.get("facts", [])),
                                doc=obj.get("doc", ""), split=obj.get("split", ""),
                                kind="answerable" if gold else obj.get("kind", "near")))
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


def states_facts(question: Question, answer: str) -> bool:
    """Whether the answer text states every fact the question asks for."""
    key = compact(answer)
    return all(compact(f) in key for f in question.facts)


def score(questions: Iterable[Question], run: Callable[[Question], Outcome | tuple]) -> Scores:
    """Score ``run(question)`` over a set (``run`` may return an Outcome or, as older callers do,
    ``(abstained, [(doc_id, passage text), ...])``)."""
    s = Scores()
    for q in questions:
        out = run(q)
        if isinstance(out, tuple):
            out = Outcome(*out)
        if not q.answerable:
            s.offtopic += 1
            s.abstained_offtopic += out.abstained
            continue
        s.n += 1
        s.abstained_in_scope += out.abstained
        if q.facts:
            s.with_facts += 1
            s.correct += not out.abstained and states_facts(q, out.answer)
        rank = next((i for i, (d, t) in enumerate(out.ranked[:10], 1) if answers(q, d, t)), None)
        if rank and not out.abstained:
            s.hit1 += rank == 1
            s.hit3 += rank <= 3
            s.hit5 += rank <= 5
            s.mrr10 += 1 / rank
    if s.n:
        s.hit1, s.hit3, s.hit5, s.mrr10 = (x / s.n for x in (s.hit1, s.hit3, s.hit5, s.mrr10))
    if s.with_facts:
        s.correct /= s.with_facts
    return s


def groups(questions: list[Question], kind_of_doc: Callable[[str], str]) -> dict[str, list[Question]]:
    """Questions grouped for the report: answerable ones by the kind of their document (act,
    guideline, news), the others by their kind (near, nonsense), plus "all"."""
    out: dict[str, list[Question]] = {}
    for q in questions:
        key = kind_of_doc(q.doc) if q.answerable else q.kind
        out.setdefault(key, []).append(q)
    out["all"] = list(questions)
    return out
