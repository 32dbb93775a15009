"""Follow-ups through the dialogue core shared by `sarabun chat`, Telegram and LINE, on the whole
shipped corpus (real index with the default e5 embedder; see conftest.shipped_e5_index): how a
follow-up is recognised and what of the last turn it carries (issue 12, round 7)."""

from pathlib import Path

import pytest

from bot.dialogue import NO_BEFORE, NOTHING_AFTER_DECLINE, NOTHING_TO_FOLLOW, Dialogue
from index.store import load_index
from index.tokens import word_tokens
from retrieval.intent import question_word_tokens
from retrieval.search import open_retriever


@pytest.fixture(scope="module")
def shipped(shipped_e5_index: Path):
    return open_retriever(load_index(shipped_e5_index))


def test_question_words_typed_without_tone_marks_are_no_subject() -> None:
    tokens = word_tokens("โทษเทาไหร")  # the tokeniser takes "เทา", "ไห" for words
    assert [tokens[i] for i in sorted(question_word_tokens(tokens))] == tokens[1:]
    tokens = word_tokens("ข้อมูลที่เกี่ยวกับบุคคล")  # "กี่" inside "เกี่ยว" is no question word
    assert not question_word_tokens(tokens)


def test_a_penalty_follow_up_typed_without_tone_marks_stays_on_the_section(shipped) -> None:
    dialogue = Dialogue(shipped)
    first = dialogue.reply("p", "ส่งอีเมลสแปมโดยปลอมแหล่งที่มา ผิด พรบ คอม มั้ย")
    assert first.answer.citations[0].section == "มาตรา ๑๑"
    penalty = dialogue.reply("p", "โทษเทาไหร")
    assert penalty.follow_up and penalty.answer.citations[0].section == "มาตรา ๑๑"
    assert "ต้องระวางโทษปรับไม่เกินหนึ่งแสนบาท" in penalty.answer.answer


def test_a_penalty_follow_up_with_a_subject_of_its_own_reaches_the_penalty_section(shipped) -> None:
    # The summons is มาตรา ๓๒ of the Official Information Act; its penalty is in the section that
    # cites it, found as for a มาตรา named in the question.
    dialogue = Dialogue(shipped)
    dialogue.reply("s", "หน่วยงานไม่ยอมจัดหาข้อมูลข่าวสารให้ตามที่ขอ ร้องเรียนที่ไหนได้บ้าง")
    penalty = dialogue.reply("s", "ถ้าคณะกรรมการเรียกไปให้ถ้อยคำแล้วไม่ไป โทษเท่าไร")
    assert penalty.follow_up and "ต้องระวางโทษจำคุกไม่เกินสามเดือน" in penalty.answer.answer
    assert "มาตรา ๓๒" in penalty.answer.citations[0].text


def test_a_question_pointing_at_a_thing_of_the_last_document_stays_there(shipped) -> None:
    # "งานอบรมนี้": the news item says "เปิดการอบรม", not "เปิดงาน"; most of the words are its own
    # and the question points back, so it is asked within that news item.
    dialogue = Dialogue(shipped)
    first = dialogue.reply("e", "ระบบ e-Office ของภาครัฐคืออะไร").answer.citations[0].doc_id
    chair = dialogue.reply("e", "ใครเป็นประธานเปิดงานอบรมนี้")
    assert chair.follow_up and {c.doc_id for c in chair.answer.citations} == {first}
    # "วันนี้" points at the present, not at the conversation: a new question, declined.
    assert not dialogue.reply("e", "ราคาทองวันนี้เท่าไรครับ").follow_up


def test_a_long_question_pointing_back_carries_the_topic(shipped) -> None:
    # Over MAX_CARRY_CHARS, but "แบบนี้" points at what was just asked: the same Act, not a new search.
    dialogue = Dialogue(shipped)
    first = dialogue.reply("p", "นำข้อมูลคอมพิวเตอร์อันเป็นเท็จเข้าสู่ระบบคอมพิวเตอร์ มีความผิดตาม พรบ คอม ไหม")
    long = dialogue.reply("p", "ถ้าผู้ดูแลเว็บไซต์รู้แล้วยังปล่อยให้สมาชิกโพสต์ข้อความแบบนี้ต่อไปเรื่อยๆ ล่ะครับ มีความผิดไหม")
    assert long.follow_up and long.answer.citations[0].doc_id == first.answer.citations[0].doc_id


def test_an_item_announcing_sub_items_comes_with_them(shipped) -> None:
    # มาตรา ๖๐ (๓) "… ที่มีลักษณะ ดังต่อไปนี้" then "(ก) …", "(ข) …": the item is all of that.
    dialogue = Dialogue(shipped)
    dialogue.reply("s", "ภัยคุกคามทางไซเบอร์ ตาม พรบ ไซเบอร์ แบ่งเป็นกี่ระดับ อะไรบ้าง")
    third = dialogue.reply("s", "แล้วข้อ 3 คืออะไร").answer.answer
    assert third.startswith("(๓) ภัยคุกคามทางไซเบอร์ในระดับวิกฤติ") and "\n(ก) " in third


def test_a_definition_asked_as_a_follow_up_is_the_terms_definition(shipped) -> None:
    dialogue = Dialogue(shipped)
    dialogue.reply("d", "ผู้ให้บริการ ตาม พรบ คอม คืออะไร")
    other = dialogue.reply("d", "แล้วคำว่า ผู้ใช้บริการ ล่ะ หมายถึงอะไร")
    assert other.answer.answer.startswith("• “ผู้ใช้บริการ”")


def test_more_ways_of_referring_to_the_last_answer() -> None:
    from bot.refer import LAST_ITEM, Reference, parse_reference
    assert parse_reference("ย้อนกลับ") == parse_reference("กลับไปหน่อย") == Reference("step", -1)
    assert parse_reference("ขอรายละเอียดข้อ 1") == parse_reference("ข้อแรก") == Reference("item", n=1)
    assert parse_reference("ข้อสุดท้ายล่ะ") == Reference("item", n=LAST_ITEM)
    # "ม." is how chats shorten มาตรา: a step, not a question about some section.
    assert parse_reference("ม.ถัดไปค่ะ") == parse_reference("ต่อไปครับ ม.ถัดไป") == Reference("section", 1)
    assert parse_reference("ขอ ม.ก่อนหน้า") == Reference("section", -1)
    assert parse_reference("ม.26 ว่าไง") is None
    for text in ("อันที่ 2", "ประการที่ 2", "(2) คืออะไร", "ขอดูข้อ ๒"):
        assert parse_reference(text) == Reference("item", n=2), text
    for text in ("ไม่ใช่อันนี้", "มีผลลัพธ์อื่นอีกไหม", "อื่นๆ ล่ะ", "ยังไม่ตรง ขออีก", "มีอย่างอื่นอีกไหม"):
        assert parse_reference(text) == Reference("another"), text
    for question in ("หน่วยงานอื่นต้องทำไหม", "ไม่ใช่ข้าราชการใช้ได้ไหม", "ลำดับขั้นตอนเป็นอย่างไร",
                     "ย้อนหลังได้ไหม", "2 ปี", "ข้อมูลอื่นที่เกี่ยวข้องมีอะไร"):
        assert parse_reference(question) is None, question


def test_first_last_and_stepping_back_through_an_inline_list(shipped) -> None:
    # The 2021 news item lists its four strategies as "1) … 2) …".
    dialogue = Dialogue(shipped)
    dialogue.reply("n", "ร่างแผนพัฒนารัฐบาลดิจิทัล พ.ศ. 2563-2565 มีกี่ยุทธศาสตร์")
    assert dialogue.reply("n", "ข้อแรก").answer.answer.startswith("1) ยกระดับคุณภาพการให้บริการ")
    assert dialogue.reply("n", "ข้อสุดท้ายครับ").answer.answer.startswith("4) พัฒนากลไกการมีส่วนร่วม")
    assert dialogue.reply("n", "ย้อนกลับ").answer.answer.startswith("3) ผลักดันให้เกิดธรรมาภิบาลข้อมูล")
    assert dialogue.reply("n", "อันที่ 2").answer.answer.startswith("2) อำนวยความสะดวกภาคธุรกิจ")


def test_a_question_asking_about_nothing_named_needs_a_conversation(shipped) -> None:
    dialogue = Dialogue(shipped)
    assert dialogue.reply("q", "โทษเท่าไร") == NOTHING_TO_FOLLOW  # at the start
    assert dialogue.reply("q", "สูตรต้มยำกุ้งทำยังไง").answer.abstained  # a subject: declined
    for question in ("ใครเป็นประธาน", "ต้องทำภายในกี่วัน", "ผิดไหม", "ข้อ 2", "แล้วถ้าไม่ทำล่ะ"):  # after a decline
        assert dialogue.reply("q", question) == NOTHING_AFTER_DECLINE, question
    # "แล้ว…" with a subject of its own is a question of its own, asked afresh.
    fresh = dialogue.reply("q", "แล้วถ้าผู้ให้บริการไม่เก็บข้อมูลจราจรทางคอมพิวเตอร์ไว้ล่ะครับ ผิดไหม")
    assert not fresh.follow_up and fresh.answer.citations[0].section == "มาตรา ๒๖"
    dialogue.reply("q", "สูตรต้มยำกุ้งทำยังไง")
    # With a conversation the same question is a follow-up, and stepping back through sections works.
    dialogue.reply("q", "พรบ ข้อมูลข่าวสาร มาตรา 7 ว่าอย่างไร")
    assert dialogue.reply("q", "มาตราถัดไป").answer.citations[0].section == "มาตรา ๘"
    assert dialogue.reply("q", "ถัดไป").answer.citations[0].section.startswith("มาตรา ๙")
    assert dialogue.reply("q", "ย้อนกลับ").answer.citations[0].section == "มาตรา ๘"
    dialogue.reply("q", "พรบ ไซเบอร์ มาตรา 1")
    assert dialogue.reply("q", "มาตราก่อนหน้า") == NO_BEFORE  # the first section: says so


def test_a_follow_up_naming_a_section_gets_that_section_of_the_same_document(shipped) -> None:
    dialogue = Dialogue(shipped)
    dialogue.reply("m", "พรบ คอม เข้าถึงระบบคอมพิวเตอร์ของคนอื่นโดยมิชอบ โทษเท่าไหร่")
    named = dialogue.reply("m", "มาตรา 27 ว่าอย่างไร")  # not the last section, nor another Act's 27
    assert named.follow_up and named.answer.citations[0].section == "มาตรา ๒๗"
    assert named.answer.citations[0].doc_id == "computer_crime_act_2550"
    assert dialogue.reply("m", "แล้วมาตรา 9 ล่ะ").answer.citations[0].section == "มาตรา ๙"


def test_a_follow_up_asking_nothing_of_its_own_asks_the_last_question_again(shipped) -> None:
    dialogue = Dialogue(shipped)
    dialogue.reply("w", "คณะกรรมการข้อมูลข่าวสารของราชการมีกี่คน")
    other = dialogue.reply("w", "แล้วคณะกรรมการวินิจฉัยล่ะ")  # how many, of the other committee
    assert other.follow_up and "ต้องไม่น้อยกว่าสามคน" in other.answer.answer
    # Naming another Act: the same question of that Act, not a section of the last one.
    dialogue.reply("x", "พรบ ข้อมูลข่าวสาร ใครรักษาการ")
    switched = dialogue.reply("x", "แล้ว พรบ รัฐบาลดิจิทัล ล่ะ")
    assert switched.answer.citations[0].doc_id == "digital_government_act_2562"
    assert "ให้นายกรัฐมนตรีรักษาการตามพระราชบัญญัตินี้" in switched.answer.answer


def test_a_follow_up_made_only_of_what_it_asks_carries_the_topic(shipped) -> None:
    # "มีโทษไหม": "มีโทษ" is not a word of the Act (it says "ต้องระวางโทษ"), yet the question is
    # about nothing else than the last answer.
    dialogue = Dialogue(shipped)
    dialogue.reply("y", "ผู้ให้บริการต้องเก็บข้อมูลจราจรทางคอมพิวเตอร์ไว้กี่วัน")
    penalty = dialogue.reply("y", "มีโทษไหม")
    assert penalty.follow_up and penalty.answer.citations[0].doc_id == "computer_crime_act_2550"
    assert "ระวางโทษ" in penalty.answer.answer


def test_list_items_named_by_the_question_and_never_from_another_document(shipped) -> None:
    # The news item lists "เป้าหมายที่ 1 … เป้าหมายที่ 4" in a paragraph after the lead the answer
    # quotes; another document (the OCSC guideline) has a list "1) … 4)" that must not answer.
    dialogue = Dialogue(shipped)
    first = dialogue.reply("g", "4 เป้าหมายรัฐบาลดิจิทัล มีอะไรบ้าง").answer.citations[0].doc_id
    second = dialogue.reply("g", "ข้อ 2")
    assert second.answer.answer.startswith("เป้าหมายที่ 2 การเพิ่มความสามารถ")
    assert second.answer.citations[0].doc_id == first
    assert dialogue.reply("g", "ข้อสุดท้าย").answer.answer.startswith("เป้าหมายที่ 4")
    # A series the question names, numbered inside a paragraph that numbers its own points "1. … 4.".
    dialogue.reply("s", "แผนพัฒนารัฐบาลดิจิทัล 2566-2570 มียุทธศาสตร์อะไรบ้าง")
    assert dialogue.reply("s", "ยุทธศาสตร์ที่ 3 ล่ะ").answer.answer.startswith("ยุทธศาสตร์ที่ 3 สร้างมูลค่าเพิ่ม")
    assert dialogue.reply("s", "ข้อ 4").answer.answer.startswith("ยุทธศาสตร์ที่ 4 ส่งเสริมการมีส่วนร่วม")


def test_another_answer_goes_on_outside_a_short_document_it_ran_out_of(shipped) -> None:
    # A topic follow-up is searched within the news item; once its few passages are shown,
    # "another answer" goes on with the results outside it instead of saying there are none.
    dialogue = Dialogue(shipped)
    dialogue.reply("o", "4 เป้าหมายรัฐบาลดิจิทัล มีอะไรบ้าง")
    chair = dialogue.reply("o", "ใครเป็นประธานการประชุม")
    news = chair.scope
    assert chair.follow_up and news
    seen = {c.chunk_id for c in chair.answer.citations}
    for _ in range(3):
        other = dialogue.reply("o", "ขอคำตอบอื่น")
        assert not isinstance(other, str), other
        first = other.answer.citations[0]
        assert first.chunk_id not in seen
        seen.update(c.chunk_id for c in other.answer.citations)
    assert other.outside == news and first.doc_id != news  # ran out of it, went on elsewhere
    # "จัดที่ไหน" asks something ("ไหน"): it is not taken for the last question asked again.
    dialogue.reply("p", "หลักสูตร PDPA ระยะที่ 1 สำหรับผู้บริหาร ใครเป็นประธานเปิดการอบรม")
    assert dialogue.reply("p", "จัดที่ไหน").question == "จัดที่ไหน"
