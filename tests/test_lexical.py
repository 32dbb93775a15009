"""Which words BM25 scores (index/lexical.py), on the real bm25s indexes of the shipped corpus:
every known word below ``COMMON_MIN_ROWS`` passages (the shipped ranking is unchanged), and from
there on all but the words in more than half of the passages."""

import json
from pathlib import Path

import numpy as np
import pytest

from index import lexical
from index.lexical import scored_words
from index.store import load_index
from retrieval.query import parse_query
from retrieval.search import open_retriever

ROOT = Path(__file__).resolve().parent.parent
QUESTIONS = [json.loads(x)["q"] for x in
             (ROOT / "benchmarks" / "evalsets" / "eval.jsonl").read_text("utf-8").splitlines()[:60]]


@pytest.fixture(scope="module")
def published(shipped_index: Path):
    return load_index(shipped_index)


def _passages_with(model, word: str) -> int:
    """Passages bm25s gives a score for ``word`` (its document frequency, counted afresh)."""
    return int(np.count_nonzero(model.get_scores([word])))


def test_the_shipped_corpus_scores_every_known_word(published) -> None:
    size = len(published.chunks)
    assert size < lexical.COMMON_MIN_ROWS
    for text in QUESTIONS:
        tokens = parse_query(text).tokens
        known = [t for t in tokens if t in published.bm25.vocab_dict]
        assert scored_words(published.bm25, tokens, size) == known


def test_a_large_collection_leaves_out_the_words_in_most_passages(
        published, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lexical, "COMMON_MIN_ROWS", 1)  # the shipped corpus taken as a large one
    model, size = published.bm25, len(published.chunks)
    retriever = open_retriever(published)
    left_out = 0
    for text in QUESTIONS:
        query = parse_query(text)
        known = [t for t in query.tokens if t in model.vocab_dict]
        common = {t for t in known if _passages_with(model, t) > size / 2}
        words = scored_words(model, query.tokens, size)
        assert words == ([t for t in known if t not in common] or known), text
        left_out += len(known) - len(words)
        if words:  # the search's BM25 is bm25s's over exactly those words
            assert np.array_equal(retriever.bm25_scores(query), model.get_scores(words))
    assert left_out, "some questions ask words that are in most passages"
    last = len(model.scores["indptr"]) - 1
    every = [t for t, i in model.vocab_dict.items() if i < last and _passages_with(model, t) > size / 2][:3]
    assert every and scored_words(model, every, size) == every  # only common words: all kept
