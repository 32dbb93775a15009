"""The second-stage ranking model: its features, its fitting, and what it changes on the real index."""

from pathlib import Path

import numpy as np
import pytest

from index.store import load_index
from retrieval.intent import asked_words
from retrieval.query import parse_query
from retrieval.rerank import FEATURES, WEIGHTS, _best_window, _gram_weights
from retrieval.search import open_retriever


@pytest.fixture(scope="module")
def shipped(shipped_e5_index: Path):
    return open_retriever(load_index(shipped_e5_index))


def test_question_words_typed_without_tone_marks_still_mark_the_asked_words() -> None:
    # newmm splits "เทาไร" into "เทา", "ไร": found in the joined text, not token by token.
    tokens = ["กรรมการ", "อายุ", "หาม", "เกิน", "เทา", "ไร"]
    assert asked_words(tokens, {"กรรมการ", "อายุ", "หาม", "เกิน"}) == {"หาม", "เกิน"}


def test_words_close_together_outweigh_the_same_words_far_apart() -> None:
    words = {"อายุ": 2.0, "เจ็ดสิบปี": 3.0}
    assert _best_window("อายุไม่เกินเจ็ดสิบปี", words) == 5.0
    assert _best_window("อายุ" + "ก" * 400 + "เจ็ดสิบปี", words) == 3.0
    assert _best_window("ไม่มีคำเลย", words) == 0.0


def test_ngrams_every_candidate_holds_carry_no_weight() -> None:
    weights = _gram_weights("abcd", ["xxabcxx", "abcyy", "zzbcdz"])
    assert "abc" not in weights or weights["abc"] < weights["bcd"]
    assert abs(sum(weights.values()) - 1.0) < 1e-9
    assert _gram_weights("ab", ["ab"]) == {}


def test_features_and_weights_line_up(shipped) -> None:
    found = shipped.candidates(parse_query("ข้อมูลจราจรทางคอมพิวเตอร์ หมายถึงข้อมูลอะไรบ้าง"))
    assert found is not None and len(WEIGHTS) == len(FEATURES) == found.features.shape[1]
    assert np.isfinite(found.features).all()
    assert len(found.rows) == len(found.chunks) == len(found.lexical) == len(found.dense)


def test_a_wordy_definition_question_gets_the_definition(shipped) -> None:
    # Colloquial and long, so the glossary's "X คืออะไร" path does not catch it: the ranking must.
    hits = shipped.search(parse_query("ตามกฎหมายคอมพิวเตอร์ traffic data หรือ ข้อมูลจราจรทางคอมพิวเตอร์ "
                                      "นี่หมายถึงข้อมูลอะไรบ้างคะ"), k=3)
    top = hits[0].chunk
    assert top.role == "definition" and "“ข้อมูลจราจรทางคอมพิวเตอร์” หมายความว่า" in top.text


def test_the_defined_term_does_not_pull_the_definitions_to_a_question_about_something_else(shipped) -> None:
    # "หน่วยงานของรัฐ" is defined in มาตรา ๓, but the question asks what agencies must do.
    hits = shipped.search(parse_query("พรบ รัฐบาลดิจิทัล หน่วยงานของรัฐต้องทบทวนแผนปฏิบัติการดิจิทัลบ่อยแค่ไหน"), k=3)
    assert hits[0].chunk.role != "definition"
    assert "ทบทวน" in hits[0].chunk.text
