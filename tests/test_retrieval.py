"""Query normalisation, fusion, abstention, answers, follow-ups and the JSON contract,
with the real model and index."""

import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from bot.dialogue import NOTHING_TO_FOLLOW, Dialogue, Turn
from retrieval.answer import Answer, ask
from retrieval.compose import MAX_ANSWER_CHARS
from retrieval.evaluate import read_jsonl, score
from retrieval.fuse import rrf
from retrieval.query import definition_subject, parse_query

from .conftest import SHARED_EVAL


def test_query_normalisation() -> None:
    q = parse_query("รัฐบาลดิจิตอลคืออะไรครับ")
    assert q.text == "รัฐบาลดิจิทัลคืออะไร" and q.wants_definition
    assert "ครับ" not in q.tokens
    # Particles go only as whole words: "คะ" of "คะแนน", "คับ" of "บังคับ", "จ้า" of "เจ้าหน้าที่" stay.
    assert parse_query("เจ้าหน้าที่ใช้บังคับได้กี่คะแนนคะ").text == "เจ้าหน้าที่ใช้บังคับได้กี่คะแนน"
    assert parse_query("พ.ร.บ. ดิจิทัล มาตรา ๑๕").section == "15"
    assert parse_query("มาตรา 15 ว่าอย่างไร").section == "15"
    assert "คณะรัฐมนตรี" in parse_query("ครม. เห็นชอบอะไร").tokens
    assert "e-government" in parse_query("e government คือ").tokens
    assert parse_query("มีกี่ประการ").wants_list
    assert parse_query("ขอรายชื่อยุทธศาสตร์ของแผนหน่อยครับ").wants_list
    assert not parse_query("ต้องแจ้งรายชื่อผู้ดูแลระบบภายในกี่วัน").wants_list  # names to send, not a list asked
    assert parse_query("G2C กับ 5G ต่างกันอย่างไร").tokens[:3] == ["g2c", "กับ", "5g"]


def test_the_term_of_a_definition_question_leaves_out_whose_definition() -> None:
    assert definition_subject("Open Government ในแนวทางของ ก.พ. หมายความว่ายังไง") == "Open Government"
    assert definition_subject("ข้อมูลจราจรทางคอมพิวเตอร์ ตาม พรบ คอม หมายถึงอะไร") == "ข้อมูลจราจรทางคอมพิวเตอร์"
    assert definition_subject("รัฐบาลดิจิทัลคืออะไร") == "รัฐบาลดิจิทัล"
    # a follow-up's words and polite particles around the term
    assert definition_subject("แล้วคำว่า รัฐบาลดิจิทัล ล่ะ หมายถึงอะไร") == "รัฐบาลดิจิทัล"
    assert definition_subject("ส่วน ผู้ใช้บริการล่ะ หมายถึงอะไรครับ") == "ผู้ใช้บริการ"
    # ... but not the start or the end of a term that writes them ("ส่วนราชการ", "สถานะ")
    assert definition_subject("ส่วนราชการ หมายถึงอะไร") == "ส่วนราชการ"
    assert definition_subject("สถานะ คืออะไร") == "สถานะ"


def test_chat_words_gain_the_documents_wording() -> None:
    text = parse_query("ISP ต้องเก็บ LOG ไว้กี่วัน").text
    assert "ผู้ให้บริการ" in text and "ข้อมูลจราจรทางคอมพิวเตอร์" in text and "LOG" in text
    assert "ชุดคำสั่งไม่พึงประสงค์" in parse_query("ส่งมัลแวร์ให้คนอื่นผิดไหม").text
    # "ใช้ไม่ได้" is what an Act words as "ไม่ใช้บังคับ"
    assert "ไม่ใช้บังคับ" in parse_query("การประชุมแบบไหนที่ พ.ร.ก.นี้ใช้ไม่ได้").text
    selling = parse_query("เขียนโปรแกรมเจาะระบบแล้วเอาไปขาย ผิดไหม").text  # the Act's "จำหน่าย…ชุดคำสั่ง"
    assert "จำหน่าย" in selling and "ชุดคำสั่ง" in selling
    assert "หน่วยงานโครงสร้างพื้นฐานสำคัญทางสารสนเทศ" in parse_query("cii ต้องทำอะไรบ้าง").text
    # "เลขาฯ" is a secretary-general or a committee's secretary: both are searched
    secretary = parse_query("แล้วใครเป็นเลขาฯ ครับ").text
    assert "เลขาธิการ" in secretary and "เลขานุการ" in secretary
    # English words match whole words only; wording the question already has is not added twice.
    assert "ข้อมูลจราจร" not in parse_query("เขียน blog วิจารณ์รัฐบาลได้ไหม").text
    assert parse_query("ติดคุก จำคุกกี่ปี").text.count("จำคุก") == 1


def test_agency_nicknames_and_short_years_are_written_out_as_the_documents_write_them() -> None:
    assert "สำนักงานส่งเสริมเศรษฐกิจดิจิทัล" in parse_query("ผอ.ดีป้า ต้องอายุไม่เกินเท่าไหร่").text
    assert "สำนักงานส่งเสริมเศรษฐกิจดิจิทัล" in parse_query("พนักงาน depa ได้ค่าชดเชยไหม").text
    assert "คณะกรรมการข้อมูลข่าวสารของราชการ" in parse_query("กรรมการใน กขร. อยู่ได้กี่ปี").text
    assert "ดีป้า" in parse_query("ผอ.ดีป้า ต้องอายุเท่าไหร่").text  # the nickname is kept
    # A range is kept and written out; a single year after a year word or a month is replaced.
    assert parse_query("แผน รบ.ดิจิทัล 63-65 มีกี่ยุทธศาสตร์").text.startswith("แผน รบ.ดิจิทัล 63-65 2563-2565")
    assert "เมษา 2564" in parse_query("ครม.เคาะร่างแผนเมื่อเมษา 64").text
    assert "ปี 2562" in parse_query("พ.ร.บ.ธุรกรรม ฉบับที่ 4 ปี 62 ออกมาทำไม").text
    # Other two-digit numbers are not years.
    assert parse_query("ต้องแจ้งภายใน 90 วัน").text == "ต้องแจ้งภายใน 90 วัน"
    assert parse_query("อายุไม่เกิน 65 ปี ใช่ไหม").text.startswith("อายุไม่เกิน 65 ปี")
    assert "2570-2566" not in parse_query("ข้อ 70-66").text


def test_answer_quotes_the_matching_phrase_with_context(retriever) -> None:
    answer = ask(retriever, "G2C คือปฏิสัมพันธ์แบบไหน")
    assert not answer.abstained and "(G2C)" in answer.citations[0].text
    assert "ระหว่างภาครัฐกับประชาชน (G2C)" in answer.answer  # not just the bare "(G2C)"
    assert len(answer.answer) <= MAX_ANSWER_CHARS + 10


def test_rrf_rewards_agreement() -> None:
    fused = rrf(np.array([0, 1, 2]), np.array([2, 0, 3]), size=4)
    assert fused.argmax() == 0 and fused[3] > 0 and fused[1] < fused[2]


def test_cited_answer_for_list_question(retriever) -> None:
    answer = ask(retriever, "รัฐบาลดิจิทัลมีคุณลักษณะอะไรบ้างคะ")
    assert not answer.abstained
    top = answer.citations[0]
    assert top.doc_id == "ocsc_digital_skills_guideline_2560" and "4 ประการ" in top.text
    assert "1) E-government" in answer.answer  # the list itself is in the answer,
    assert "4) Smart Government" in answer.answer  # whole, though it spans several passages
    assert answer.answer.startswith("จากความหมายของการปรับเปลี่ยนภาครัฐเป็นรัฐบาลดิจิทัล")  # its lead-in


def test_section_number_in_either_digit_system(retriever) -> None:
    for question in ("พ.ร.บ. รัฐบาลดิจิทัล มาตรา 6 ว่าอย่างไร", "มาตรา ๖ ว่าด้วยอะไร"):
        top = ask(retriever, question).citations[0]
        assert top.section and top.section.startswith("มาตรา ๖"), question


def test_pdf_citation_has_page(retriever) -> None:
    top = ask(retriever, "หนังสือราชการอิเล็กทรอนิกส์ต้องเก็บรักษาไว้กี่ปี").citations[0]
    assert top.doc_id == "circular" and top.page == 2 and top.printed_page == "๒"


@pytest.mark.parametrize("question", ["วิธีทำผัดกะเพราหมูสับ", "ราคาทองคำวันนี้เท่าไร",
                                      "ทีมฟุตบอลไหนชนะเมื่อคืน"])
def test_off_topic_is_abstained(retriever, question: str) -> None:
    answer = ask(retriever, question)
    assert answer.abstained and not answer.citations and answer.suggestions


def _answer(reply: Turn | str) -> Answer:
    assert isinstance(reply, Turn), reply
    return reply.answer


def test_follow_ups(retriever) -> None:
    dialogue = Dialogue(retriever, k=2)
    first = _answer(dialogue.reply("chat-1", "จุดเน้นการพัฒนาภาครัฐ 4 เรื่องมีอะไรบ้าง"))
    assert not first.abstained
    item = _answer(dialogue.reply("chat-1", "แล้วข้อ 3 ล่ะ"))
    assert "Driving Innovation" in item.answer
    other = _answer(dialogue.reply("chat-1", "ขอคำตอบอื่น"))
    assert {c.chunk_id for c in other.citations}.isdisjoint({c.chunk_id for c in first.citations})
    section = _answer(dialogue.reply("chat-2", "มาตรา 6 คณะกรรมการพัฒนารัฐบาลดิจิทัลประกอบด้วยใคร"))
    assert section.citations[0].section.startswith("มาตรา ๖")
    previous = _answer(dialogue.reply("chat-2", "มาตราก่อนหน้า"))
    assert previous.citations[0].section == "มาตรา ๕"
    later = time.time() + dialogue.turns.ttl + 1
    dialogue.turns.clock = lambda: later  # turns expire: chat-1's answers are forgotten
    assert dialogue.reply("chat-1", "ขอคำตอบอื่น") == NOTHING_TO_FOLLOW
    assert "กรุณาพิมพ์คำถาม" in dialogue.reply("chat-3", "🙏🙏")


def test_more_by_reference_pages_through_results(retriever) -> None:
    dialogue = Dialogue(retriever, k=1)
    first = dialogue.reply("chat", "จุดเน้นการพัฒนาภาครัฐมีอะไรบ้าง")
    assert isinstance(first, Turn)
    dialogue.reply("chat", "มาตรา 6 ว่าอย่างไร")  # a later question does not change the button's turn
    second = dialogue.more(first.ref)
    assert isinstance(second, Turn) and second.question == first.question and second.skip == 1
    assert second.answer.citations[0].chunk_id != first.answer.citations[0].chunk_id
    assert dialogue.more("no-such-ref") == "ยังไม่มีคำถามก่อนหน้าในแชตนี้ค่ะ ลองพิมพ์คำถามใหม่ได้เลย"


def test_ask_json_contract(small_index: Path) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "bot", "ask", "--json", "-k", "2", "--index", str(small_index)],
        input="รัฐบาลดิจิทัลหมายความว่าอะไร\nสูตรต้มยำกุ้ง\n", capture_output=True, text=True,
        timeout=300)
    assert out.returncode == 0, out.stderr
    rows = [json.loads(line) for line in out.stdout.splitlines()]
    assert [r["abstained"] for r in rows] == [False, True]
    answered = rows[0]
    assert set(answered) == {"question", "abstained", "answer", "citations"}
    assert len(answered["citations"]) == 2
    c = answered["citations"][0]
    assert set(c) == {"rank", "doc_id", "title", "source", "page", "section", "text", "score",
                                "ocr", "ocr_confidence"}
    assert c["rank"] == 1 and isinstance(c["score"], float) and c["text"]
    assert rows[1]["citations"] == []


@pytest.mark.skipif(not (SHARED_EVAL / "seed_dev.jsonl").exists(), reason="../shared/eval absent")
def test_seed_questions_on_small_index(retriever) -> None:
    questions = read_jsonl(SHARED_EVAL / "seed_dev.jsonl")

    def run(q):
        hits = retriever.search(parse_query(q.text), k=5)
        return False, [(h.chunk.doc_id, h.chunk.text) for h in hits]

    assert score(questions, run).hit5 >= 0.9


def test_a_document_named_without_words_keeps_the_question_whole(retriever) -> None:
    """A conversation can scope a search to a document the question itself does not name (an
    empty mention): the question must be searched as typed, not split into characters."""
    from retrieval.documents import Named

    question = "คณะกรรมการมีหน้าที่อะไรบ้าง"
    plain = retriever.search(parse_query(question), k=5)
    doc = plain[0].chunk.doc_id
    scoped = parse_query(question)
    scoped.named = [Named("", [doc])]
    hits = retriever.search(scoped, k=5)
    assert hits and {h.chunk.doc_id for h in hits} == {doc}
    assert hits[0].chunk.chunk_id == plain[0].chunk.chunk_id
