"""Named documents, cross-references, declines and follow-ups on the whole shipped corpus (real
index with the default e5 embedder; see conftest.shipped_e5_index)."""

from pathlib import Path

import pytest

from bot.dialogue import NOTHING_AFTER_DECLINE, NOTHING_TO_FOLLOW, Dialogue
from bot.render_text import render_answer
from index.store import load_index
from retrieval.answer import ask
from retrieval.compose import list_item
from retrieval.documents import named_documents
from retrieval.intent import intents
from retrieval.search import open_retriever


@pytest.fixture(scope="module")
def shipped(shipped_e5_index: Path):
    return open_retriever(load_index(shipped_e5_index))


@pytest.mark.parametrize(("question", "doc_id"), [
    ("พรบ คอม มาตรา 14 ว่าไง", "computer_crime_act_2550"),
    ("พ.ร.บ.ข้อมูลข่าวสารกำหนดว่าอะไร", "official_information_act_2540"),
    ("พ.ร.ก.ประชุมออนไลน์ ต้องมีองค์ประชุมไหม", "emergency_decree_electronic_meetings_2563"),
    ("พระราชบัญญัติการรักษาความมั่นคงปลอดภัยไซเบอร์ พ.ศ. 2562 ใครรักษาการ", "cybersecurity_act_2562"),
    ("ETA section 7 says what", "electronic_transactions_act_2544"),
])
def test_documents_named_in_questions(shipped, question: str, doc_id: str) -> None:
    named = named_documents(question, shipped.names)
    assert [n.doc_ids for n in named] == [[doc_id]]
    answer = ask(shipped, question)
    assert all(c.doc_id == doc_id for c in answer.citations)


@pytest.mark.parametrize(("question", "title"), [
    ("กฎหมายฟอกเงินกำหนดอะไร", ""),  # not how the name begins: search decides
    ("กฎหมายป้องกันและปราบปรามการฟอกเงินกำหนดอะไร", "พระราชบัญญัติป้องกันและปราบปรามการฟอกเงิน"),
    ("กฎหมายเรื่องลิขสิทธิ์คุ้มครองอะไร", "พระราชบัญญัติลิขสิทธิ์"),
    ("พ.ร.บ.ลิขสิทธิ์ คุ้มครองอะไร", "พระราชบัญญัติลิขสิทธิ์"),  # the list's "(ฉบับ Update ล่าสุด)" titles
    ("ตามกฎหมายกำหนดให้หน่วยงานทำอะไร", ""),  # law in general
    ("กฎหมายโรงเรียนในแอฟริกาใต้รับรองโรงเรียนแบบไหน", ""),  # a part of a Thai title ("โรงเรียนเอกชน")
    ("แชร์ภาพโป๊ ผิดมาตราไหนของกฎหมายคอม", ""),  # the collection's: search decides, not the name
])
def test_the_word_law_names_only_a_known_law_the_collection_lacks(shipped, question: str, title: str) -> None:
    named = named_documents(question, shipped.names)
    assert [n.title.split(" พ.ศ.")[0] for n in named] == ([title] if title else [])


def test_a_mention_takes_the_marks_of_its_last_letter(shipped) -> None:
    # "ไซเบอร์" is matched without tone marks; the "์" must go with the name, not stay in the question.
    named = named_documents("ใครรักษาการตาม พ.ร.บ.ไซเบอร์ ครับ", shipped.names)
    assert [n.mention for n in named] == ["พ.ร.บ.ไซเบอร์"]


def test_long_name_does_not_pull_the_title_section(shipped) -> None:
    answer = ask(shipped, "ตาม พ.ร.บ.การบริหารงานและการให้บริการภาครัฐผ่านระบบดิจิทัล ใครรักษาการ")
    assert not answer.abstained and "รักษาการ" in answer.answer
    assert answer.citations[0].section != "มาตรา ๑"


@pytest.mark.parametrize("question", ["PDPA ปรับเท่าไหร่", "พ.ร.บ.คุ้มครองข้อมูลส่วนบุคคล โทษสูงสุดเท่าไร",
                                      "ระเบียบงานสารบรรณ หนังสือราชการมีกี่ชนิด",
                                      # named without a statute word, or by the body that issues it
                                      "รัฐธรรมนูญ 2560 มาตราไหนรับรองสิทธิรับรู้ข้อมูลข่าวสาร",
                                      "กฎหมายแรงงานให้ลูกจ้างลาป่วยได้ปีละกี่วัน",
                                      "ประกาศกระทรวงดีอี เรื่องการเก็บข้อมูลจราจร กำหนดอะไรบ้าง",
                                      # "กฎหมาย" and a known law's name
                                      "กฎหมายป้องกันและปราบปรามการฟอกเงิน ธุรกรรมเกินกี่บาทต้องรายงาน",
                                      "กฎหมายเรื่องลิขสิทธิ์ ถ้าหน่วยงานใช้โปรแกรมเถื่อนมีโทษยังไง"])
def test_a_law_the_collection_lacks_is_declined_by_name(shipped, question: str) -> None:
    answer = ask(shipped, question)
    assert answer.abstained and not answer.citations and answer.not_found
    text = render_answer(answer)
    assert answer.not_found in text and "ไม่อยู่ในคลังเอกสาร" in text


@pytest.mark.parametrize("question", ["ทำไมต้องออก พรบ ข้อมูลข่าวสารของราชการ",
                                      "พ.ร.บ.บริหารงานภาครัฐผ่านระบบดิจิทัล ออกมาเพราะอะไรครับ"])
def test_why_a_named_act_was_made_is_answered_from_its_reasons_note(shipped, question: str) -> None:
    # The question's words are mostly the Act's name; its reasons note, ranked first, answers it.
    answer = ask(shipped, question)
    assert not answer.abstained
    assert "เหตุผล" in answer.citations[0].section or "หมายเหตุ" in answer.citations[0].section


@pytest.mark.parametrize(("question", "section", "title"), [
    # The year picks the Act among the main Act and its amending Acts in one file.
    ("พ.ร.บ.ธุรกรรมทางอิเล็กทรอนิกส์ พ.ศ. 2544 เริ่มใช้บังคับเมื่อไร", "มาตรา ๒",
     "พระราชบัญญัติว่าด้วยธุรกรรมทางอิเล็กทรอนิกส์ พ.ศ. ๒๕๔๔"),
    # "Why was it made", once the name is taken out, is its reasons note whatever words remain.
    ("พ.ร.บ.ธุรกรรมทางอิเล็กทรอนิกส์ 2551 ออกมาเพราะอะไร", "เหตุผลในการประกาศใช้",
     "พระราชบัญญัติว่าด้วยธุรกรรมทางอิเล็กทรอนิกส์ (ฉบับที่ ๒) พ.ศ. ๒๕๕๑"),
])
def test_an_act_named_with_its_year_is_that_act(shipped, question: str, section: str, title: str) -> None:
    answer = ask(shipped, question)
    assert not answer.abstained
    assert (answer.citations[0].section, answer.citations[0].title) == (section, title)


def test_a_lacking_law_named_beside_a_collection_document_is_context(shipped) -> None:
    # The court named after a law is not the law; a law named beside an Act of the collection is
    # context, and the Act is what is asked about.
    answer = ask(shipped, "พ.ร.บ.ธุรกรรมทางอิเล็กทรอนิกส์ แก้ไขเพราะศาลรัฐธรรมนูญวินิจฉัยว่าอะไร")
    assert not answer.abstained and answer.citations[0].doc_id == "electronic_transactions_act_2544"
    # The lacking law's words are what is asked about in the Act: they stay in the search.
    answer = ask(shipped, "พ.ร.บ.ธุรกรรมทางอิเล็กทรอนิกส์ มีผลต่อกฎหมายคุ้มครองผู้บริโภคไหม")
    assert not answer.abstained and answer.citations[0].section == "มาตรา ๓"
    assert "คุ้มครองผู้บริโภค" in answer.answer


@pytest.mark.parametrize(("question", "fact"), [
    ("อบรม PDPA ของรองปลัดภานุวัฒน์ จัดที่ห้องไหน ชั้นอะไรครับ", "Jubilee Ballroom ชั้น 11"),
    # abbreviations the news writes out ("ธ.ค.", "ก.อุตฯ") and words typed without tone marks
    ("หลักสูตร PDPA สำหรับผู้บริหารที่ ก.อุตฯ จัดอบรมเมื่อ ธ.ค. 64 ชื่อหลักสูตรอะไร", "หลักสูตร"),
    ("อุตสาหกรรมจังหวัดไดเขารวมอบรม PDPA ดวยมัย", "อุตสาหกรรมจังหวัด"),
])
def test_a_lacking_law_that_a_document_writes_about_is_answered_from_that_document(
        shipped, question: str, fact: str) -> None:
    # PDPA is not in the collection, but a news item reports a PDPA course: what it says is
    # answerable, with a search limited to it; a PDPA fine (above) is still declined by name.
    answer = ask(shipped, question)
    assert not answer.abstained
    assert {c.doc_id for c in answer.citations} == {"news_2022-11-05_digital_skills_training_civil_servants"}
    assert any(fact in c.text for c in answer.citations)


def test_penalty_of_a_named_section_is_found_through_the_reference_graph(shipped) -> None:
    answer = ask(shipped, "ถ้าทำธุรกิจที่ต้องแจ้งตามมาตรา 33 พรบ ธุรกรรมฯ แต่ไม่แจ้ง โดนโทษอะไร")
    assert answer.citations[0].section == "มาตรา ๔๔"
    assert "จำคุกไม่เกินหนึ่งปี" in answer.answer


def test_amending_act_sections_are_cited_as_that_act(shipped) -> None:
    answer = ask(shipped, "พรบ ธุรกรรมฯ ฉบับที่ 4 ผู้ให้บริการยืนยันตัวตนที่มีอยู่เดิมต้องยื่นขอใบอนุญาตภายในกี่วัน")
    top = answer.citations[0]
    assert "(ฉบับที่ ๔)" in top.title and top.section == "มาตรา ๗"
    assert "เก้าสิบวัน" in answer.answer


def test_questions_without_tone_marks_find_their_section(shipped) -> None:
    answer = ask(shipped, "พรบ ขอมูลขาวสาร หนวยงานตองเปิดเผยขอมูลอะไรบาง")
    assert not answer.abstained and answer.citations[0].doc_id == "official_information_act_2540"


def test_intents_and_inline_list_items() -> None:
    assert intents("โทษเทาไหร")[:1] == ["penalty"]
    assert "yesno" in intents("ต้องขออนุญาตศาลก่อนไหมคะ")
    assert intents("อยู่มาตราไหน")[0] == "which_section"
    text = "เป้าหมาย 4 ด้าน ได้แก่ (1) ลดความเหลื่อมล้ำ (2) เปิดเผยข้อมูล (3) อำนวยความสะดวก และ (4) ภาครัฐปรับตัว"
    assert list_item(text, 2) == "(2) เปิดเผยข้อมูล"
    assert list_item(text, 4).startswith("(4) ภาครัฐปรับตัว") and list_item(text, 5) is None


def test_follow_ups(shipped) -> None:
    dialogue = Dialogue(shipped)
    assert dialogue.reply("c", "มาตราถัดไป") == NOTHING_TO_FOLLOW  # nothing to refer to yet
    first = dialogue.reply("c", "พรบ คอม มาตรา 5 ว่าอย่างไร")
    assert first.answer.citations[0].section == "มาตรา ๕"
    nxt = dialogue.reply("c", "มาตราถัดไป")
    assert nxt.answer.citations[0].section == "มาตรา ๖"
    nxt = dialogue.reply("c", "มาตราต่อไปครับ")
    assert nxt.answer.citations[0].section == "มาตรา ๗"
    back = dialogue.reply("c", "มาตราก่อนหน้า")
    assert back.answer.citations[0].section == "มาตรา ๖"
    dialogue.reply("c", "PDPA ปรับเท่าไหร่")  # declined: a law the collection lacks
    assert dialogue.reply("c", "แล้วข้อ 2 ล่ะ") == NOTHING_AFTER_DECLINE


def test_list_items_repeatedly(shipped) -> None:
    dialogue = Dialogue(shipped)
    dialogue.reply("l", "พรบ ข้อมูลข่าวสาร มาตรา 9 ข้อมูลที่ต้องเปิดให้ประชาชนตรวจดูมีอะไรบ้าง")
    second = dialogue.reply("l", "ข้อ 2")
    fourth = dialogue.reply("l", "แล้วข้อ 4 ล่ะ")
    assert second.answer.answer.startswith("(๒)") and fourth.answer.answer.startswith("(๔)")


def test_list_items_are_read_from_the_whole_section(shipped) -> None:
    # มาตรา ๒๔ lists its cases over two passages and the answer shortens them: items come whole.
    dialogue = Dialogue(shipped)
    first = dialogue.reply("c", "หน่วยงานรัฐจะเปิดเผยข้อมูลส่วนบุคคลโดยไม่ได้รับความยินยอมได้ในกรณีไหนบ้างคะ")
    assert first.answer.citations[0].section.startswith("มาตรา ๒๔")
    assert "เพื่อประโยชน์ในการศึกษาวิจัยโดยไม่ระบุชื่อ" in dialogue.reply("c", "ข้อ 4 ค่ะ").answer.answer
    assert "ระงับอันตรายต่อชีวิตหรือสุขภาพ" in dialogue.reply("c", "ข้อ 7").answer.answer


def test_a_follow_up_with_nothing_before_it_says_so(shipped) -> None:
    assert Dialogue(shipped).reply("new", "แล้วใครเป็นประธาน") == NOTHING_TO_FOLLOW


def test_thai_without_spaces_is_clipped_between_words() -> None:
    from retrieval.compose import clip
    item = "(๑) จัดให้มีระบบข้อมูลข่าวสารส่วนบุคคลเพียงเท่าที่เกี่ยวข้องและจำเป็นเพื่อการดำเนินงานของหน่วยงานของรัฐ"
    short = clip(item, 60)
    assert short.endswith(" …") and len(short) <= 62
    assert short.startswith("(๑) จัดให้มีระบบข้อมูลข่าวสาร")  # never "(๑) …" and never a broken word
    assert item.startswith(short.removesuffix(" …"))



def test_a_topic_follow_up_looks_around_the_last_answer_first(shipped) -> None:
    # "ภายในกี่วัน" alone matches any deadline in the Act; after a question about a complaint it is
    # the complaint's deadline: the passages around the last answer are preferred.
    dialogue = Dialogue(shipped)
    dialogue.reply("c", "หน่วยงานไม่ยอมจัดหาข้อมูลข่าวสารให้ตามที่ขอ ร้องเรียนที่ไหนได้บ้าง")
    follow = dialogue.reply("c", "ต้องพิจารณาให้เสร็จภายในกี่วัน")
    assert "ต้องพิจารณาให้แล้วเสร็จภายในสามสิบวัน" in follow.answer.answer


def test_references_to_the_last_answer_are_recognised() -> None:
    from bot.refer import Reference, parse_reference
    assert parse_reference("ย้อนไปมาตราก่อนหน้าหน่อย") == Reference("section", -1)
    assert parse_reference("แล้วมาตราถัดไปล่ะ") == Reference("section", 1)
    assert parse_reference("ต่อเลยครับ") == parse_reference("ถัดไป") == Reference("step", 1)
    assert parse_reference("ก่อนหน้านี้ล่ะ") == Reference("step", -1)
    assert parse_reference("ข้อต่อไปครับ") == Reference("item", 1)
    assert parse_reference("ข้อก่อนหน้า") == Reference("item", -1)
    assert parse_reference("ส่วนข้อ ๓ ล่ะ") == parse_reference("ข้อสามล่ะ") == Reference("item", n=3)
    assert parse_reference("มีคำตอบอื่นไหมคะ") == Reference("another")
    for question in ("ข้อมูลส่วนบุคคลคืออะไร", "ข้อห้ามมีอะไรบ้าง", "ต่ออายุใบอนุญาตได้ไหม",
                     "ก่อนหน้านี้มีกฎหมายอะไร", "มาตรา 5 ว่าอย่างไร"):
        assert parse_reference(question) is None, question


def test_a_scoped_follow_up_searches_the_question_as_asked(shipped) -> None:
    # The conversation's document scopes the search like a name in the question would (the
    # question was once split into single characters when no name was written).
    named = ask(shipped, "พรบ ข้อมูลข่าวสาร ใครเป็นเลขานุการของคณะกรรมการ")
    scoped = ask(shipped, "ใครเป็นเลขานุการของคณะกรรมการ", within="official_information_act_2540")
    assert scoped.citations[0].chunk_id == named.citations[0].chunk_id


def test_topic_follow_ups_carry_the_subject_of_the_conversation(shipped) -> None:
    dialogue = Dialogue(shipped)
    dialogue.reply("t", "คณะกรรมการข้อมูลข่าวสารของราชการ ประกอบด้วยใครบ้างครับ")
    chair = dialogue.reply("t", "แล้วใครเป็นประธาน")  # the committee asked about, not any committee
    assert chair.follow_up and "ซึ่งนายกรัฐมนตรีมอบหมายเป็นประธาน" in chair.answer.answer
    assert chair.answer.question == "แล้วใครเป็นประธาน" and "คณะกรรมการ" in chair.topic
    secretary = dialogue.reply("t", "ใครเปนเลขานุการครับ")  # the subject carries over two turns
    assert "ให้ปลัดสำนักนายกรัฐมนตรีแต่งตั้งข้าราชการ" in secretary.answer.answer
    other = dialogue.reply("t", "ขอคำตอบอื่น")  # more results of the follow-up, still in its Act
    assert {c.doc_id for c in other.answer.citations} == {"official_information_act_2540"}


def test_a_short_new_question_is_not_taken_for_a_follow_up(shipped) -> None:
    # Short, and "นี้" in "วันนี้", but nothing the last answer's Act holds: asked afresh, declined.
    dialogue = Dialogue(shipped)
    dialogue.reply("g", "พรบ คอม มาตรา 5 ว่าอย่างไร")
    gold = dialogue.reply("g", "ราคาทองวันนี้")
    assert not gold.follow_up and gold.answer.abstained


def test_a_follow_up_about_another_part_of_the_act_is_not_held_to_the_last_section(shipped) -> None:
    dialogue = Dialogue(shipped)
    dialogue.reply("a", "พ.ร.ก. ประชุมผ่านสื่ออิเล็กทรอนิกส์ ไม่ใช้บังคับกับการประชุมอะไรบ้าง")
    minister = dialogue.reply("a", "ใครรักษาการตาม พรก นี้")
    assert "รักษาการตามพระราชกำหนดนี้" in minister.answer.answer


def test_list_items_over_several_passages_and_the_next_item(shipped) -> None:
    dialogue = Dialogue(shipped)
    dialogue.reply("i", "คุณลักษณะของรัฐบาลดิจิทัลของไทย 4 ประการ มีอะไรบ้าง")
    assert "Connected Government หมายถึง" in dialogue.reply("i", "ข้อ 2").answer.answer
    assert "Open Government หมายถึง" in dialogue.reply("i", "ข้อต่อไป").answer.answer
    assert "Smart Government หมายถึง" in dialogue.reply("i", "ข้อสี่ล่ะครับ").answer.answer
    # An item cut where its passage ends is read whole from the next passage.
    dialogue.reply("j", "ก.พ. เห็นชอบกรอบแนวคิดการพัฒนาข้าราชการเพื่อไปสู่ประเทศไทย 4.0 มีหลักการกี่ประการ")
    assert "ของข้าราชการ 4 กลุ่ม" in dialogue.reply("j", "ข้อ 2 คืออะไร").answer.answer


def test_a_numbered_part_named_in_the_last_answer(shipped) -> None:
    dialogue = Dialogue(shipped)
    dialogue.reply("o", "4 เป้าหมายรัฐบาลดิจิทัล มีอะไรบ้าง")
    goal = dialogue.reply("o", "เป้าหมายที่ 4 คืออะไร")
    assert goal.answer.answer.startswith("เป้าหมายที่ 4") and "Agile Government" in goal.answer.answer


def test_another_answer_after_a_list_item_shows_a_passage_not_shown_yet(shipped) -> None:
    dialogue = Dialogue(shipped)
    dialogue.reply("m", "หน่วยงานรัฐจะเปิดเผยข้อมูลส่วนบุคคลโดยไม่ได้รับความยินยอมได้ในกรณีไหนบ้างคะ")
    item = dialogue.reply("m", "ข้อ 7")
    other = dialogue.reply("m", "มีคำตอบอื่นไหมคะ")
    assert other.answer.citations[0].chunk_id != item.answer.citations[0].chunk_id


def test_next_and_previous_in_a_document_without_sections(shipped) -> None:
    dialogue = Dialogue(shipped)
    first = dialogue.reply("s", "4 เป้าหมายรัฐบาลดิจิทัล มีอะไรบ้าง").answer.citations[0]
    after = dialogue.reply("s", "ต่อเลยครับ").answer.citations[0]  # a news item: the next passage
    back = dialogue.reply("s", "ก่อนหน้านี้ล่ะ").answer.citations[0]
    assert after.doc_id == first.doc_id and after.chunk_id != first.chunk_id
    assert back.chunk_id == first.chunk_id


def test_a_penalty_asked_of_an_act_without_penalty_provisions_is_declined(shipped) -> None:
    # The e-meeting decree and the Digital Government Act set no penalty anywhere: the fine asked
    # is not in the collection, and another Act's fine must not stand in for it.
    for question in ("จัดประชุม e-meeting ไม่ตามมาตรฐาน โดนปรับเท่าไหร่ครับ ตาม พรก ประชุมออนไลน์",
                     "พรบ รัฐบาลดิจิทัล หน่วยงานไม่ทำแผนปฏิบัติการ มีโทษจำคุกไหม"):
        answer = ask(shipped, question)
        assert answer.abstained and answer.not_found.startswith("บทกำหนดโทษใน")
        assert "ไม่อยู่ในคลังเอกสาร" in render_answer(answer)
    # An Act that does set penalties still answers.
    answer = ask(shipped, "พรบ คอม เข้าถึงระบบคอมพิวเตอร์ของคนอื่นโดยมิชอบ โทษเท่าไหร่")
    assert not answer.abstained and "ระวางโทษ" in answer.answer
