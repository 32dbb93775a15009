"""Questions typed without tone marks are read as if typed with them (retrieval/tones.py)."""

from pathlib import Path

from index.store import load_index
from retrieval.answer import ask
from retrieval.followup import topic_words
from retrieval.search import open_retriever
from retrieval.tones import tone_restorer, typed_without_tones


def test_words_are_written_as_the_documents_write_them() -> None:
    restorer = tone_restorer({"แชร์": 2, "ต่อ": 40, "โพสต์": 1, "ข้อมูล": 90, "ที่": 300, "ที": 1, "ต้อง": 80,
                              "แจ้ง": 30, "ได้": 200})
    # The segmenter no longer cuts "แชรตอโพสต" into fragments; the commoner spelling wins.
    assert restorer.restore("แชรตอโพสตปลอมที่รู้").startswith("แชร์ต่อโพสต์ปลอม")
    assert restorer.restore("ขอมูลทีขอ") == "ข้อมูลที่ขอ"
    assert restorer.restore("ตองแจงภายในกีวัน") == "ต้องแจ้งภายในกี่วัน"  # "กี่": a question word
    assert restorer.restore("ขอ PDPA 2562 ไดไหม") == "ขอ PDPA 2562 ได้ไหม"  # Latin and digits kept


def test_only_questions_typed_without_any_tone_mark_are_restored() -> None:
    assert typed_without_tones("หนวยงานรัฐตองพัฒนาทักษะดิจิทัลใหขาราชการดวยมัย")
    assert not typed_without_tones("หน่วยงานรัฐต้องพัฒนาทักษะดิจิทัลให้ข้าราชการ")  # typed with care
    assert not typed_without_tones("ขอมูลคือ")  # too short to tell
    assert not typed_without_tones("What is PDPA?")


def test_a_question_without_tone_marks_finds_its_section(shipped_e5_index: Path) -> None:
    retriever = open_retriever(load_index(shipped_e5_index))
    typed = ask(retriever, "แคกดแชรตอโพสตปลอมทีรูอยูแลววาปลอม ผิดมาตราไหนของ พรบ คอม")
    assert not typed.abstained and typed.question.startswith("แคกดแชร")  # the question as typed
    assert typed.citations[0].section.startswith("มาตรา ๑๔")
    # A follow-up typed the same way keeps its subject words for the topic.
    assert "หน่วยงาน" in topic_words(retriever, "แลวถาหนวยงานไมทำตามละ โทษเทาไหร")
