"""Answer text that states the asked fact, and declines built from what the index holds (issues 11
and 12), on the shipped corpus with the default e5 embedder (see conftest.shipped_e5_index)."""

from pathlib import Path

import pytest

from bot.render_text import render_answer
from index.documents import Chunk
from index.store import load_index
from retrieval.abstain import DATE, HOW_TO, PHONE, WEBSITE, unstated_quantity
from retrieval.answer import CITED_SECTION_CHARS, _naming_words, ask, cited_rows, distinct_sections
from retrieval.clauses import clause_features
from retrieval.compose import MAX_ANSWER_CHARS, MAX_REASONS_CHARS, compose, whole_list
from retrieval.intent import asked_words, intents
from retrieval.query import parse_query
from retrieval.search import Hit, open_retriever


@pytest.fixture(scope="module")
def shipped(shipped_e5_index: Path):
    return open_retriever(load_index(shipped_e5_index))


def test_where_is_an_intent_of_its_own() -> None:
    assert intents("งานมอบรางวัลจัดวันไหน ที่ไหนครับ") == ["when", "where"]
    assert intents("อบรมจัดโรงแรมไหน") == ["where"]
    assert "where" not in intents("ที่ไหนเป็นคนกำหนด")  # "which body", not a place


def test_a_venue_after_a_lead_that_repeats_the_question_is_in_the_answer() -> None:
    # A news item's lead repeats the event's words (and "ประมาณ 2565" ends in ณ, which is not the
    # "ณ" of a place); the venue stands a long paragraph later and is the fact asked.
    lead = "อธิบดีเป็นประธานเปิดการอบรมหลักสูตรความมั่นคงปลอดภัยไซเบอร์ ประจำปีงบประมาณ 2565 "
    passage = (lead * 3 + "โดยมีวัตถุประสงค์เพื่อเผยแพร่ความรู้ความเข้าใจที่ถูกต้องแก่เจ้าหน้าที่ " * 8
               + "ณ ห้องประชุมใหญ่ ชั้น 5 โรงแรมริมน้ำ และผ่านระบบออนไลน์")
    text = compose(parse_query("อบรมหลักสูตรความมั่นคงปลอดภัยไซเบอร์ปี 2565 จัดที่ไหนครับ"), passage, lead=False)
    assert "โรงแรมริมน้ำ" in text


def test_an_answer_never_starts_with_a_surname() -> None:
    # Thai writes a space between given name and surname, which the phrase split takes for a
    # break: with a tight budget the chosen clauses started at the surname ("ใจดีมาก ปลัด…").
    passage = ("ข่าวประชาสัมพันธ์ของกระทรวงเรื่องการพัฒนาบุคลากรภาครัฐด้านดิจิทัลทั่วประเทศ " * 4
               + "ด้วย “Cloud First” ศาสตราจารย์สมชาย ใจดีมาก ปลัดกระทรวงดิจิทัล เป็นประธานเปิดการอบรมครั้งนี้ "
               + "โดยมีผู้เข้าร่วมจากหน่วยงานต่างๆทั่วประเทศจำนวนมากกว่าหนึ่งพันคนและผู้แทนจากภาคเอกชน " * 4)
    text = compose(parse_query("ใครเป็นประธานเปิดการอบรมครั้งนี้"), passage, lead=False, limit=150)
    assert "ศาสตราจารย์สมชาย ใจดีมาก" in text


def test_an_answer_never_starts_mid_sentence() -> None:
    # Thai legal text puts a space before "หรือ"/"ซึ่ง"/"และ" inside one sentence: a clause
    # opening with one takes the clause it continues, or says the sentence began before ("…").
    passage = ("ข้อความทั่วไปของมาตรานี้ที่ไม่เกี่ยวกับคำถามเลย " * 8
               + "ผู้ให้บริการ หมายความว่า ผู้ให้บริการแก่บุคคลอื่นในนามของตนเอง หรือในนามหรือเพื่อประโยชน์ของบุคคลอื่น "
               + "ข้อความทั่วไปของมาตรานี้ที่ไม่เกี่ยวกับคำถามเลย " * 8)
    text = compose(parse_query("ให้บริการเพื่อประโยชน์ของบุคคลอื่นนับเป็นผู้ให้บริการไหม"), passage, lead=False, limit=200)
    assert not text.startswith(("หรือ", "และ", "ซึ่ง"))
    assert compose(parse_query("อะไรบ้าง"), "และในท้ายที่สุดภาครัฐจะเปลี่ยนไป") == "… และในท้ายที่สุดภาครัฐจะเปลี่ยนไป"


def test_words_next_to_the_question_word_are_what_is_asked() -> None:
    tokens = ["ครม.", "มีมติ", "อนุมัติ", "แผน", "ใน", "การประชุม", "วันที่", "เท่าไหร่"]
    content = {"มีมติ", "อนุมัติ", "แผน", "การประชุม", "วันที่"}
    assert asked_words(tokens, content) == {"การประชุม", "วันที่"}
    assert asked_words(["ใคร", "เป็น", "ผู้จัดงาน", "มอบ", "รางวัล"], {"ผู้จัดงาน", "มอบ", "รางวัล"}) == \
        {"ผู้จัดงาน", "มอบ"}
    assert asked_words(["แผน", "พัฒนา"], {"แผน", "พัฒนา"}) == set()  # no question word


def test_a_quantity_is_supported_only_by_a_number_with_its_unit() -> None:
    assert unstated_quantity("โทษปรับสูงสุดกี่บาท", ["ต้องระวางโทษปรับไม่เกินหนึ่งแสนบาท"]) == ""
    assert unstated_quantity("ค่าธรรมเนียมทำพาสปอร์ตกี่บาท", ["ให้เรียกเก็บค่าธรรมเนียมตามที่กำหนด"]) == "บาท"
    assert unstated_quantity("แอปทางรัฐมีบัญชีผู้ใช้กี่ล้านคน", ["มีบัญชีประมาณ 15-17 ล้านคน"]) == ""
    assert unstated_quantity("ต้องแจ้งภายในกี่วัน", ["ให้แจ้งภายในสามสิบวันนับแต่วันที่"]) == ""
    assert unstated_quantity("อบรมปีละกี่ชัวโมง", ["ต้องอบรมอย่างน้อยปีละ ๑๒ ชั่วโมง"]) == ""  # no tone marks
    assert unstated_quantity("แบ่งเป็นกี่ประเภท", ["แบ่งเป็นประเภทต่าง ๆ ดังนี้"]) == ""  # a list answers counts
    # The number must stand near what the question says it is of: a fine is not a fee.
    fine = "ผู้ใดฝ่าฝืนต้องระวางโทษปรับไม่เกินหนึ่งแสนบาท " + "ข้อความอื่นที่ไม่เกี่ยวข้อง " * 20
    assert unstated_quantity("ทำพาสปอร์ตค่าธรรมเนียมกี่บาท", [fine + "ค่าธรรมเนียมให้เป็นไปตามที่กำหนด"]) == "บาท"
    assert unstated_quantity("ทำพาสปอร์ตค่าธรรมเนียมกี่บาท", ["ค่าธรรมเนียมเล่มละ 1,000 บาท"]) == ""
    # a percentage is stated as ร้อยละ, %, or เปอร์เซ็นต์ (asked with or without its final ต์)
    share = "ให้สำนักงาน กสทช. จัดสรรให้ในอัตราร้อยละสิบห้าของรายได้"
    assert unstated_quantity("กองทุนได้ส่วนแบ่งจากรายได้ กสทช. กี่เปอร์เซ็นต์", [share]) == ""
    assert unstated_quantity("กองทุนได้ส่วนแบ่งจากรายได้ กสทช. กี่เปอร์เซ็น", [share]) == ""
    assert unstated_quantity("กองทุนได้ส่วนแบ่งจากรายได้ กสทช. กี่เปอร์เซ็นต์", ["รายได้ของกองทุน"]) != ""
    assert unstated_quantity("กองทุนได้ส่วนแบ่งจากรายได้ กสทช. กี่ %", [share]) == ""
    assert unstated_quantity("ค่าวิทยากรโดนหัก ณ ที่จ่ายกี่ %", ["ค่าตอบแทนวิทยากรให้เป็นไปตามระเบียบ"]) == "เปอร์เซ็นต์"
    # What the amount is of is told by the question's rarer words: a fine beside the common "หน้า"
    # does not state the copying fee.
    fine = ["ให้ยื่นเอกสารทุกหน้า ผู้ใดฝ่าฝืนต้องระวางโทษปรับไม่เกินห้าพันบาท"]
    assert unstated_quantity("ค่าถ่ายเอกสารหน้าละกี่บาท", fine) == ""
    df = {"ถ่ายเอกสาร": 1, "หน้า": 30}
    assert unstated_quantity("ค่าถ่ายเอกสารหน้าละกี่บาท", fine, document_frequency=df) == "บาท"
    # a place or an organisation asked by name is stated by its name, not by the noun alone
    awards = ["รางวัลรัฐบาลดิจิทัลระดับจังหวัด จำนวน 5 จังหวัด"]
    assert unstated_quantity("รางวัลระดับจังหวัด 5 จังหวัด มีจังหวัดอะไรบ้างคะ", awards) == "ชื่อจังหวัด"
    named = ["รางวัลรัฐบาลดิจิทัลระดับจังหวัด ได้แก่ จังหวัดภูเก็ต จังหวัดขอนแก่น"]
    assert unstated_quantity("รางวัลระดับจังหวัด มีจังหวัดอะไรบ้างคะ", named) == ""
    central = ["ให้ธนาคารแห่งประเทศไทยเป็นผู้กำกับดูแล"]  # "แห่ง…" is part of the name
    assert unstated_quantity("ธนาคารไหนเป็นผู้กำกับดูแลคะ", central) == ""
    assert unstated_quantity("จังหวัดไหนได้รางวัล", ["ผู้ว่าราชการจังหวัดมีหน้าที่ส่งเสริม"]) == "ชื่อจังหวัด"
    # counts a list answers are not units: "กี่หลักเกณฑ์", "กี่หลักสูตร"
    assert unstated_quantity("มีกี่หลักเกณฑ์", ["ให้คำนึงถึงหลักเกณฑ์ดังต่อไปนี้"]) == ""
    # other counted things: times over, sheets, digits
    assert unstated_quantity("ต้องชดใช้ทุนกี่เท่าของเวลาที่ลา", ["ต้องปฏิบัติงานชดใช้ทุนตามสัญญา"]) == "เท่า"
    assert unstated_quantity("ต้องชดใช้ทุนกี่เท่าของเวลาที่ลา", ["ชดใช้ทุนเป็นเวลาสองเท่าของเวลาที่ลา"]) == ""
    # an amount of money asked with "เท่าไร" is a quantity in a currency, or a share of a sum
    assert unstated_quantity("แผนนี้ใช้งบประมาณเท่าไหร่", ["แผนนี้มีโครงการสำคัญหลายโครงการ"]) == "บาท"
    assert unstated_quantity("แผนนี้ใช้งบประมาณเทาไหร", ["แผนนี้ใช้งบประมาณ 3,000 ล้านบาท"]) == ""
    assert unstated_quantity("มหาวิทยาลัยได้เงินบริจาคเท่าไร", ["มหาวิทยาลัยได้เงินบริจาค 5 ล้านดอลลาร์"]) == ""
    assert unstated_quantity("กองทุนได้เงินจาก กสทช. เท่าไร", [share]) == ""
    assert unstated_quantity("คาดว่ามีประชากรเท่าไร", ["ไม่มีตัวเลข"]) == ""  # not money
    # a share of a body answers a head count ("กี่คนถึงครบองค์ประชุม")
    assert unstated_quantity("ต้องมากี่คนถึงครบองค์ประชุม", ["ต้องมีกรรมการมาประชุมไม่น้อยกว่ากึ่งหนึ่งจึงเป็นองค์ประชุม"]) == ""
    # The text an answer quotes: no nearness needed, and a list may answer a count of projects.
    assert unstated_quantity("งานนี้มีทั้งหมดกี่รางวัล", ["รางวัลดีเด่น จำนวน 5 รางวัล"], answer=True) == ""
    assert unstated_quantity("ยุทธศาสตร์ที่ 1 มีกี่โครงการ", ["เช่น โครงการ ก โครงการ ข"], answer=True) == ""
    assert unstated_quantity("ลาคลอดได้กี่วัน", ["ให้แจ้งผลการพิจารณาโดยเร็ว"], answer=True) == "วัน"


def test_the_list_item_asked_about_is_shown_whole() -> None:
    long_tail = " ".join(["รายละเอียดของหลักการข้อนี้ที่ยาวมาก"] * 8)
    items = [f"{n}. หลักการที่ {n} {long_tail}" for n in (1, 3)]
    asked = "2. การพัฒนาข้าราชการเพื่อบทบาทผู้นำ ของข้าราชการ 4 กลุ่ม ได้แก่ ผู้บริหาร ผู้อำนวยการ และผู้ปฏิบัติงาน " + long_tail
    chunk = Chunk("c1", "d", "\n".join(["ประกอบด้วยหลักการ 3 ประการ ดังนี้", items[0], asked, items[1]]))
    text = whole_list(parse_query("หลักการ 3 ประการ ประกอบด้วยอะไรบ้าง ข้อไหนพูดถึงข้าราชการ 4 กลุ่ม"), [chunk], 0)
    assert "และผู้ปฏิบัติงาน" in text  # the asked item, past the share of the others
    assert "1. หลักการที่ 1" in text and "3. หลักการที่ 3" in text  # every item still shows
    # Asked only about what the item says, not about the list its lead-in names: the item alone.
    text = whole_list(parse_query("ข้าราชการ 4 กลุ่มที่ต้องมีบทบาทผู้นำ มีใครบ้าง"), [chunk], 0)
    assert "และผู้ปฏิบัติงาน" in text and "หลักการที่ 1" not in text


def test_a_question_in_two_parts_gets_both_from_the_whole_section(shipped) -> None:
    # The two deadlines sit in two paragraphs (and two passages) of one long section.
    answer = ask(shipped, "พ.ร.บ.ไซเบอร์ หน่วยงานโครงสร้างพื้นฐานสำคัญทางสารสนเทศต้องแจ้งรายชื่อผู้ดูแลระบบ"
                          "คอมพิวเตอร์ภายในกี่วัน แล้วถ้าเปลี่ยนตัวต้องแจ้งล่วงหน้ากี่วัน")
    assert not answer.abstained
    assert "ภายในสามสิบวัน" in answer.answer and "ไม่น้อยกว่าเจ็ดวัน" in answer.answer


def test_why_an_act_was_made_is_answered_by_its_reasons_whole(shipped) -> None:
    answer = ask(shipped, "เหตุผลในการประกาศใช้พระราชบัญญัติการพัฒนาดิจิทัลเพื่อเศรษฐกิจและสังคม คืออะไร")
    assert not answer.abstained
    assert "ลดความซ้ำซ้อน" in answer.answer and "จึงจำเป็นต้องตราพระราชบัญญัตินี้" in answer.answer
    assert "จัดทำ" not in answer.answer  # the clerk line closing the text is not an answer
    assert len(answer.answer) <= MAX_REASONS_CHARS + 10


@pytest.mark.parametrize(("question", "not_found"), [
    ("พ.ร.บ.รัฐบาลดิจิทัล มาตรา 40 ว่าอย่างไร", "มาตรา ๔๐ ของพระราชบัญญัติการบริหารงานและการให้บริการภาครัฐ"),
    ("มาตรา 500 ว่าด้วยอะไร", "มาตรา ๕๐๐"),
    ("พ.ร.บ.รัฐบาลดิจิทัล ไม่ทำตามมาตรา 12 โทษเท่าไร", "โทษตามมาตรา ๑๒ ของพระราชบัญญัติการบริหารงาน"),
])
def test_a_section_or_penalty_the_collection_lacks_is_declined_by_name(shipped, question: str,
                                                                        not_found: str) -> None:
    answer = ask(shipped, question)
    assert answer.abstained and not answer.citations
    assert answer.not_found.startswith(not_found)


@pytest.mark.parametrize("question", ["เงินเดือนข้าราชการแรกบรรจุปริญญาตรีเท่าไหร่",
                                      "ข้าราชการจะขอย้ายข้ามกระทรวงต้องทำยังไงบ้าง"])
def test_civil_service_matters_the_documents_do_not_cover_are_declined(shipped, question: str) -> None:
    # The passages found share the question's words ("ข้าราชการ", "เงินเดือน") but match it on few
    # of the ranking model's signals: its low score is evidence the documents do not answer.
    answer = ask(shipped, question)
    assert answer.abstained and not answer.citations


def test_a_count_the_answer_does_not_state_is_declined(shipped) -> None:
    # The passages found hold some number of days (a deadline elsewhere in the Act); the text the
    # answer would quote holds none for what is asked: it is declined, not answered with a section.
    answer = ask(shipped, "ขาดราชการติดต่อกันเกินกี่วันถึงถือว่าผิดวินัยร้ายแรง")
    assert answer.abstained and not answer.citations and answer.unstated == "วัน"
    assert "ไม่ได้ระบุจำนวนวันที่ถาม" in render_answer(answer)  # the decline says what was missing
    answer = ask(shipped, "ผู้ให้บริการต้องเก็บข้อมูลจราจรทางคอมพิวเตอร์ไว้อย่างน้อยกี่วัน")
    assert not answer.abstained and "เก้าสิบวัน" in answer.answer


def test_a_date_or_contact_the_answer_does_not_state_is_declined(shipped) -> None:
    assert unstated_quantity("ประกาศในราชกิจจาฯ วันไหนคะ", ["ประกาศ ณ วันที่ ๒๘ กุมภาพันธ์ ๒๕๖๖"]) == ""
    assert unstated_quantity("เปิดบริการได้ตั้งแต่วันไหน", ["ประกอบธุรกิจได้ตั้งแต่วันที่ได้รับใบรับแจ้ง"]) == ""
    assert unstated_quantity("แผนนี้ครอบคลุมปีไหนถึงปีไหน", ["แผนพัฒนารัฐบาลดิจิทัล พ.ศ. 2563 - 2565"]) == ""
    assert unstated_quantity("จัดประชุมเดือนไหน", ["การประชุมให้เป็นไปตามระเบียบที่คณะกรรมการกำหนด"]) == DATE
    # A website, a phone number or an e-mail address asked is stated written out, or not at all.
    assert unstated_quantity("แจ้งเหตุผ่านเว็บไซต์ไหน", ["แจ้งเหตุได้ที่ www.thaicert.or.th"]) == ""
    assert unstated_quantity("แจ้งเหตุผ่านเว็บไซต์ไหน", ["ให้แจ้งเหตุต่อสำนักงาน"]) == WEBSITE
    assert unstated_quantity("call center ของ DGA เบอร์อะไร", ["ติดต่อ DGA ได้ที่ 02-612-6000"]) == ""
    assert unstated_quantity("call center ของ DGA เบอร์อะไร", ["DGA ให้บริการประชาชน"]) == PHONE
    assert unstated_quantity("ภัยไซเบอร์คืออะไร", ["ภัยคุกคามทางไซเบอร์"]) == ""  # "ไซเบอร์" asks no number
    answer = ask(shipped, "คณะกรรมการพัฒนารัฐบาลดิจิทัลประชุมนัดแรกวันไหนคะ")
    assert answer.abstained and not answer.citations and answer.unstated == DATE
    assert "ไม่ได้ระบุวันที่ที่ถาม" in render_answer(answer)
    answer = ask(shipped, "พรบ ไซเบอร์ ใช้บังคับวันไหน")
    assert not answer.abstained and "วันถัดจากวันประกาศในราชกิจจานุเบกษา" in answer.answer


def test_software_how_to_is_declined_but_the_law_about_it_is_answered(shipped) -> None:
    answer = ask(shipped, "ตั้งค่า VPN ให้เจ้าหน้าที่ทำงานจากบ้านทำยังไงครับ")
    assert answer.abstained and not answer.citations and answer.unstated == HOW_TO
    assert "ไม่ได้ระบุวิธีใช้งานระบบหรือโปรแกรมที่ถาม" in render_answer(answer)
    # "sniff" is a chat term for ดักรับ, and the question is about the law's penalty.
    answer = ask(shipped, "แอบ sniff ดักข้อมูลคนอื่นในเน็ต มีโทษตาม พรบ คอม ยังไง")
    assert not answer.abstained and answer.citations[0].section.startswith("มาตรา ๘")


def test_a_penalty_the_act_sets_is_answered_with_its_amount(shipped) -> None:
    answer = ask(shipped, "พ.ร.บ.คอม เข้าถึงระบบคอมพิวเตอร์ของคนอื่นโดยมิชอบ ปรับไม่เกินกี่บาท")
    assert not answer.abstained and "ปรับไม่เกินหนึ่งหมื่นบาท" in answer.answer


def test_a_section_that_sets_its_own_penalty_answers_for_it(shipped) -> None:
    """"มาตรา 5 โทษเท่าไหร่": มาตรา ๕ of the Computer Crime Act sets its own penalty, so it comes
    first, not a later section that cites it; a duty whose penalty is set elsewhere ("มาตรา 57"
    of the Cybersecurity Act) still leads to the section that sets it."""
    own = ask(shipped, "พรบ คอม มาตรา 5 โทษเท่าไหร่ครับ")
    assert own.citations[0].section.startswith("มาตรา ๕") and "หกเดือน" in own.answer
    elsewhere = ask(shipped, "มาตรา 57 ไม่ทำตามโดนปรับเท่าไหร่")
    assert elsewhere.citations[0].section.startswith("มาตรา ๗๓") and "สองแสนบาท" in elsewhere.answer
    # A long section split over passages sets its own penalty when any passage of it does, and a
    # fine the committee orders ("มีคำสั่งปรับ") is a penalty too.
    long = ask(shipped, "มาตรา 14 พรบ คอม มีความผิดอะไรบ้าง")
    assert long.citations[0].section.startswith("มาตรา ๑๔")
    ordered = ask(shipped, "ผู้ขึ้นทะเบียนฝ่าฝืนหลักเกณฑ์การประกอบธุรกิจตามมาตรา 33/1 พรบ ธุรกรรมฯ โดนปรับเท่าไหร่")
    assert ordered.citations[0].section.startswith("มาตรา ๓๓/๑") and "หนึ่งล้านบาท" in ordered.answer


def test_a_fact_a_few_phrases_after_the_asked_words_is_in_the_answer(shipped) -> None:
    """Phrases are scored together: "ทบทวนแผน … ทั้งนี้ อย่างน้อยปีละหนึ่งครั้ง" is one clause group,
    so the frequency at its end is not elided by "…"."""
    answer = ask(shipped, "พ.ร.บ.รัฐบาลดิจิทัล หน่วยงานของรัฐต้องทบทวนแผนปฏิบัติการบ่อยแค่ไหน")
    assert not answer.abstained and "อย่างน้อยปีละหนึ่งครั้ง" in answer.answer


def test_the_digits_of_section_references_are_not_the_number_asked(shipped) -> None:
    """"กี่วัน" is answered by "สามสิบวัน" and "หกสิบวัน", not by a clause that only cites
    "มาตรา ๑๘ (๔) (๕) … (๘)"; "คอม" of "ยึดคอม" still counts although "พรบ คอม" names the Act."""
    answer = ask(shipped, "ตำรวจยึดคอมไว้ได้นานสุดกี่วัน ขยายได้อีกเท่าไหร่ ตาม พรบ คอม")
    assert not answer.abstained
    assert "สามสิบวัน" in answer.answer and "หกสิบวัน" in answer.answer
    filler = " ".join(["ให้พนักงานเจ้าหน้าที่ดำเนินการตามมาตรา ๑๘ (๔) (๕) (๖) (๗) และ (๘)"] * 8)
    passage = f"{filler} พนักงานเจ้าหน้าที่จะสั่งยึดหรืออายัดไว้เกินสามสิบวันมิได้ {filler}"
    assert "สามสิบวัน" in compose(parse_query("ยึดไว้ได้กี่วัน"), passage, lead=False)


def test_an_abbreviations_full_form_weighs_as_one_word() -> None:
    """"กสทช." adds its full name's words to the search; a clause that spells that name out does
    not outweigh the one stating the share asked about."""
    query = parse_query("กสทช. ต้องแบ่งรายได้ให้กองทุนกี่เปอร์เซ็นต์")
    held = clause_features(query, frozenset())
    name = held("ให้กองทุนได้รับเงินตามกฎหมายว่าด้วยคณะกรรมการกิจการกระจายเสียง กิจการโทรทัศน์ "
                "และกิจการโทรคมนาคมแห่งชาติ")
    share = held("โดยให้สำนักงาน กสทช. จัดสรรให้ในอัตราร้อยละสิบห้าของรายได้")
    assert sum(share.values()) > sum(name.values())


def test_a_list_item_answer_keeps_the_lead_in_that_says_whose_duty_it_is(shipped) -> None:
    """"ใคร…" answered by item (๔) of a duties section: its lead-in names the committee."""
    answer = ask(shipped, "ใครมีหน้าที่กำหนดแนวทางการพัฒนาศักยภาพบุคลากรภาครัฐ ตาม พรบ รัฐบาลดิจิทัล")
    assert not answer.abstained
    assert "ให้คณะกรรมการพัฒนารัฐบาลดิจิทัลมีหน้าที่และอำนาจ" in answer.answer
    assert "กำหนดแนวทางการพัฒนาศักยภาพบุคลากรภาครัฐ" in answer.answer
    filler = " ".join(["รายละเอียดของหน้าที่ข้อนี้ที่ยาวมาก"] * 12)
    passage = "\n".join(["มาตรา ๙ ให้สำนักงานมีหน้าที่และอำนาจ ดังต่อไปนี้",
                         *(f"({n}) ส่งเสริมงานด้านที่ {n} {filler}" for n in "๑๒๓"),
                         f"(๔) จัดทำทะเบียนผู้เชี่ยวชาญด้านดิจิทัล {filler}"])
    text = compose(parse_query("ใครจัดทำทะเบียนผู้เชี่ยวชาญด้านดิจิทัล"), passage)
    assert text.startswith("มาตรา ๙ ให้สำนักงานมีหน้าที่และอำนาจ") and "(๔) จัดทำทะเบียน" in text


def test_each_part_of_a_question_in_two_parts_is_answered(shipped) -> None:
    """"ใครเป็นประธาน แล้ว … กี่คน": the chair (item (๑)) and the count (item (๓)) of one section."""
    answer = ask(shipped, "พ.ร.บ.ไซเบอร์ กมช. ใครนั่งเป็นประธาน แล้วกรรมการผู้ทรงคุณวุฒิมีได้สูงสุดกี่คน")
    assert not answer.abstained
    assert "นายกรัฐมนตรี" in answer.answer and "ไม่เกินเจ็ดคน" in answer.answer


def test_the_date_of_a_news_item_is_given_not_its_headline(shipped) -> None:
    answer = ask(shipped, "ครม. อนุมัติแผนพัฒนารัฐบาลดิจิทัลของประเทศไทย พ.ศ. 2566 – 2570 ในการประชุมวันที่เท่าไร")
    assert not answer.abstained and "28 กุมภาพันธ์ 2566" in answer.answer


def test_a_section_just_over_the_limit_is_shown_whole(shipped) -> None:
    """มาตรา ๒๒ of the digital development Act is a little over 700 characters: its last sentence,
    the decision being final, is not cut off."""
    answer = ask(shipped, "คณะกรรมการเฉพาะด้านกับหน่วยงานของรัฐเห็นไม่ตรงกันเรื่องแผนปฏิบัติการ ใครวินิจฉัยชี้ขาด")
    assert not answer.abstained and "ให้เป็นที่สุด" in answer.answer


def test_which_heading_a_clause_stands_under_is_answered_with_the_heading() -> None:
    """"ยุทธศาสตร์ไหน": the nearest "ยุทธศาสตร์ที่ N" before the clause that names the project,
    although the next heading follows it closely."""
    filler = " ".join(["รายละเอียดของแผนงานที่ยาวมากในข่าวนี้"] * 12)
    passage = (f"- ยุทธศาสตร์ที่ 2 พัฒนาบริการประชาชน {filler} - ยุทธศาสตร์ที่ 3 อำนวยความสะดวกแก่ภาคธุรกิจ "
               f"{filler} เช่น โครงการพัฒนาระบบฐานข้อมูลการเกษตร โครงการหนึ่งรหัสหนึ่งผู้ประกอบการ "
               f"- ยุทธศาสตร์ที่ 4 ส่งเสริมการมีส่วนร่วมของประชาชน {filler}")
    text = compose(parse_query("โครงการหนึ่งรหัสหนึ่งผู้ประกอบการ อยู่ในยุทธศาสตร์ไหน"), passage, lead=False)
    assert "ยุทธศาสตร์ที่ 3" in text and "โครงการหนึ่งรหัสหนึ่งผู้ประกอบการ" in text
    assert len(text) <= MAX_ANSWER_CHARS + 10


def test_which_item_a_clause_stands_under_is_answered_with_its_number() -> None:
    """"ข้อไหน" of a list numbered "1." … "3.", line by line: the item's own line heads the answer."""
    filler = " ".join(["รายละเอียดของหลักการที่ยาวมากในแนวทางนี้"] * 10)
    passage = "\n".join([f"1. การพัฒนาที่เชื่อมโยงทิศทางการพัฒนาประเทศ {filler}",
                         f"2. การพัฒนาระบบและเครื่องมือเพื่อช่วยสร้างแรงจูงใจ {filler} การสร้างแรงจูงใจในการเรียนรู้ "
                         f"(Incentives) และผู้มีส่วนเกี่ยวข้อง (Stakeholders) {filler}",
                         f"3. การพัฒนาที่ส่งเสริมการสร้างสมดุล {filler}"])
    text = compose(parse_query("Incentives กับ Stakeholders อยู่ในหลักการข้อไหน"), passage, lead=False)
    assert text.startswith("2. การพัฒนาระบบ") and "(Incentives)" in text


def test_a_label_the_question_names_marks_the_clause_it_asks_about() -> None:
    filler = " ".join(["ข้อความประกอบที่ไม่เกี่ยวกับคำถามเลยแม้แต่น้อย"] * 12)
    passage = (f"แผนพัฒนารัฐบาลดิจิทัล ไฟเขียว {filler} ยุทธศาสตร์สำคัญ คือ - ยุทธศาสตร์ที่ 1 : "
               f"ยกระดับการเปลี่ยนผ่านดิจิทัลภาครัฐ {filler} - ยุทธศาสตร์ที่ 2 : พัฒนาบริการที่สะดวก {filler}")
    question = 'ยุทธศาสตร์ที่ 1 ในข่าว "ไฟเขียว แผนพัฒนารัฐบาลดิจิทัล ปี 66 - 70" คืออะไร'
    # The quoted headline names the news item; it does not say which clause answers.
    text = compose(parse_query(question), passage, _naming_words(parse_query(question), ""), lead=False)
    assert "ยกระดับการเปลี่ยนผ่านดิจิทัลภาครัฐ" in text


def test_a_long_list_item_asked_about_shows_the_clauses_that_answer() -> None:
    """The asked item is longer than an answer: its clauses that answer (the systems it links
    with, at its end) are shown after its head, not only its head."""
    tail = " ".join(["การสร้างบรรยากาศและชุมชนการเรียนรู้ที่ต่อเนื่อง"] * 9)
    items = [f"{n}. หลักการที่ {n} ของการพัฒนาที่มุ่งเน้นทักษะ" for n in (1, 2)]
    asked = (f"3. การพัฒนาระบบและเครื่องมือ {tail} รวมถึงการเชื่อมโยงกลไกการพัฒนากับกลไกการบริหาร"
             "ทรัพยากรบุคคลระบบต่าง ๆ อาทิ การเตรียมกำลังคน การสรรหา การประเมินผลการปฏิบัติราชการ")
    chunk = Chunk("c1", "d", "\n".join(["ประกอบด้วยหลักการ 3 ประการ ดังนี้", *items, asked]))
    text = whole_list(parse_query("กลไกพัฒนาข้าราชการเชื่อมโยงกับการบริหารทรัพยากรบุคคลเรื่องไหนบ้าง"), [chunk], 0)
    assert "การประเมินผลการปฏิบัติราชการ" in text
    assert text.startswith("3. การพัฒนาระบบและเครื่องมือ")  # the item the question is about, alone


def test_a_question_in_chat_words_is_answered_from_the_section_in_statute_words(shipped) -> None:
    answer = ask(shipped, "ISP ต้องเก็บ log ไว้อย่างน้อยกี่วัน")
    assert not answer.abstained
    first = answer.citations[0]
    assert first.doc_id == "computer_crime_act_2550" and first.section == "มาตรา ๒๖"
    assert "ไม่น้อยกว่าเก้าสิบวัน" in answer.answer


def test_a_definition_asked_of_one_act_gives_that_acts_definition(shipped) -> None:
    every = ask(shipped, "คณะกรรมการ หมายถึงอะไร")
    assert len({c.doc_id for c in every.citations}) > 1  # several Acts define it
    answer = ask(shipped, "คำว่า คณะกรรมการ ตาม พ.ร.บ.ข้อมูลข่าวสาร หมายความว่ายังไง")
    assert [c.doc_id for c in answer.citations] == ["official_information_act_2540"]
    assert "คณะกรรมการข้อมูลข่าวสารของราชการ" in answer.answer
    # The Act named first, and by its name without "การ" as people type it.
    assert len({c.doc_id for c in ask(shipped, "หน่วยงานของรัฐ หมายถึงอะไร").citations}) > 1
    answer = ask(shipped, "ตาม พรบ บริหารงานและให้บริการภาครัฐผ่านระบบดิจิทัล หน่วยงานของรัฐ หมายถึงอะไร")
    assert [c.doc_id for c in answer.citations] == ["digital_government_act_2562"]
    assert "หน่วยงานของรัฐ" in answer.answer


def test_a_question_about_the_present_is_declined_but_the_same_role_in_the_law_is_answered(shipped) -> None:
    # The documents are dated: who holds an office now is beyond them; who holds it by law is not.
    for question in ("ตอนนี้ใครดำรงตำแหน่งเลขาธิการคณะกรรมการข้อมูลข่าวสารของราชการคะ",
                     "รัฐมนตรีดีอีคนปัจจุบันชื่ออะไรครับ", "วันนี้หุ้นไทยปิดที่กี่จุดครับ",
                     "ปีที่แล้วมีคนโดนฟ้องตาม พรบ คอม กี่ราย"):
        answer = ask(shipped, question)
        assert answer.abstained and answer.evidence is not None and answer.evidence.now == 1.0
        assert "ไม่มีข้อมูลล่าสุดหรือปัจจุบัน" in render_answer(answer)  # the decline says why
    answer = ask(shipped, "ใครเป็นประธานกรรมการข้อมูลข่าวสารของราชการ")
    assert not answer.abstained and answer.evidence.now == 0.0
    assert "มอบหมายเป็นประธาน" in answer.answer


def _section(doc: str, label: str, n: int, size: int) -> list[Chunk]:
    return [Chunk(f"{doc}{label}-{i}", doc, f"{label} ส่วนที่ {i} " + "ก" * size, section=label, role="section")
            for i in range(n)]


def test_a_citation_shows_the_whole_section_its_passage_belongs_to() -> None:
    chunks = [*_section("d", "มาตรา ๑", 1, 300), *_section("d", "มาตรา ๒", 3, 400),
              *_section("d", "มาตรา ๓", 1, 300)]
    assert list(cited_rows(chunks, 2)) == [1, 2, 3]  # all of มาตรา ๒, not มาตรา ๑ or ๓
    # Another passage of a section already cited is not cited again; the next section moves up.
    hits = [Hit(i, chunks[i], 1.0 - i / 10, 0.0, 0.0) for i in (2, 1, 4, 3, 0)]
    assert [h.position for h in distinct_sections(chunks, hits)] == [2, 4, 0]


def test_a_long_section_is_cited_by_the_passages_nearest_to_the_one_found() -> None:
    chunks = _section("d", "มาตรา ๙", 8, 600)
    rows = cited_rows(chunks, 5)
    assert 5 in rows and len(rows) > 1
    assert sum(len(chunks[i].text) for i in rows) <= CITED_SECTION_CHARS


def test_an_inline_list_is_answered_with_every_item() -> None:
    """A count asked of a list written inline in a news paragraph: the number and every item,
    the last one too, although the items together are longer than a sentence answer."""
    filler = " ".join(["ข้อความประกอบที่ไม่เกี่ยวกับคำถามเลย"] * 10)
    items = " ".join(f"({n}) รางวัลประเภทที่ {n} สำหรับหน่วยงานดีเด่นด้านการให้บริการประชาชน จำนวน {n} รางวัล"
                     for n in range(1, 9))
    passage = f"{filler} นายกรัฐมนตรีมอบรางวัลรวม 36 รางวัล แบ่งเป็นประเภทต่าง ๆ ดังนี้ {items} จากนั้น {filler}"
    text = compose(parse_query("รางวัลปีนี้มีทั้งหมดกี่รางวัล แบ่งกี่ประเภท"), passage, lead=False)
    assert "36 รางวัล" in text
    assert all(f"({n}) รางวัลประเภทที่ {n}" in text for n in range(1, 9)), text


def test_a_label_the_question_names_marks_the_text_under_it() -> None:
    """The target of "ยุทธศาสตร์ที่ 4" stands a long sentence after its label, and the previous
    strategy has a target year of its own: the named strategy's year is given."""
    filler = "เพื่อทุกภาคส่วนมีส่วนร่วมในการดำเนินงานภาครัฐที่มีความโปร่งใสและตรวจสอบได้ผ่านช่องทางที่หลากหลาย"
    passage = (f"- ยุทธศาสตร์ที่ 3 สร้างมูลค่าเพิ่มแก่ภาคธุรกิจ {filler} โดยภายในปี 2570 ระดับความสำเร็จคิดเป็นร้อยละ 100 "
               f"- ยุทธศาสตร์ที่ 4 ส่งเสริมการมีส่วนร่วมของประชาชน {filler} {filler} "
               f"โดยภายในปี 2568 ร้อยละความสำเร็จของการจัดให้มีช่องทางคิดเป็นร้อยละ 100 {filler} {filler}")
    text = compose(parse_query("ยุทธศาสตร์ที่ 4 ต้องมีช่องทางการมีส่วนร่วมภายในปีไหน"), passage, lead=False)
    assert "ภายในปี 2568" in text


def test_a_summary_of_n_strategies_lists_every_bulleted_item() -> None:
    assert parse_query("สรุป 4 ยุทธศาสตร์ของแผนนี้หน่อยครับ").intents[:1] == ["list"]
    filler = " ".join(["รายละเอียดของยุทธศาสตร์นี้ที่ยาวมากในข่าว"] * 6)
    bullets = " ".join(f"- ยุทธศาสตร์ที่ {n} : เป้าหมายหลักข้อที่ {n} ของแผน {filler}" for n in range(1, 5))
    passage = f"ครม. อนุมัติแผนพัฒนารัฐบาลดิจิทัล {filler} 4 ยุทธศาสตร์สำคัญของแผนฉบับนี้ คือ {bullets} จากนั้น {filler}"
    text = compose(parse_query("สรุป 4 ยุทธศาสตร์ของแผนนี้หน่อยครับ"), passage, lead=False)
    assert all(f"ยุทธศาสตร์ที่ {n} : เป้าหมายหลักข้อที่ {n}" in text for n in range(1, 5)), text


def test_a_section_split_over_passages_is_cited_once_and_whole(shipped) -> None:
    answer = ask(shipped, "พ.ร.บ.คอม มาตรา 18 ให้อำนาจพนักงานเจ้าหน้าที่ทำอะไรได้บ้าง")
    first = answer.citations[0]
    assert first.section == "มาตรา ๑๘" and "(๑)" in first.text and "(๘)" in first.text
    assert all(not (c.section or "").startswith("มาตรา ๑๘") for c in answer.citations[1:])


def test_another_answer_quotes_the_first_passage_it_cites(shipped) -> None:
    """Later passages of a section already cited are skipped: the answer text of the next
    results comes from their first citation, not from a passage that is not cited."""
    for skip in (3, 6, 9):
        answer = ask(shipped, "กองทุนพัฒนาดิจิทัลเพื่อเศรษฐกิจและสังคม", skip=skip)
        label = answer.citations[0].section
        assert label and answer.answer.startswith(label), (skip, label, answer.answer[:40])


def test_two_hits_in_one_long_section_are_cited_without_overlap() -> None:
    chunks = _section("d", "มาตรา ๖๐", 5, 600)
    first = cited_rows(chunks, 1)
    second = cited_rows(chunks, 4, set(first))
    assert 4 in second and not set(first) & set(second)
    hits = [Hit(i, chunks[i], 1.0 - i / 10, 0.0, 0.0) for i in (1, 4)]
    assert [h.position for h in distinct_sections(chunks, hits)] == [1, 4]


@pytest.mark.parametrize(("question", "term", "fact"), [
    # The term asked about is the definitions section's seventh; the section's first ones mention it.
    ("ข้อมูลข่าวสารส่วนบุคคล ตาม พรบ ข้อมูลข่าวสาร หมายถึงอะไรบ้างคะ", "ข้อมูลข่าวสารส่วนบุคคล", "ลายพิมพ์นิ้วมือ"),
    # A yes/no question about what a defined term covers; the Act's name holds another defined term.
    ("มหาวิทยาลัยรัฐกับศาล ถือเป็นหน่วยงานของรัฐตาม พรบ บริหารงานภาครัฐผ่านระบบดิจิทัลด้วยมั้ย",
     "หน่วยงานของรัฐ", "สถาบันอุดมศึกษาของรัฐ"),
])
def test_a_defined_term_asked_about_is_answered_with_its_definition(shipped, question: str, term: str,
                                                                     fact: str) -> None:
    answer = ask(shipped, question)
    assert not answer.abstained
    # the definition leads, as a definitions-section answer or as the glossary's ("• “term” (Act) …")
    lead = answer.answer.split(": ", 1)[-1].removeprefix("• ")
    assert lead.startswith(f"“{term}”") and "หมายความว่า" in lead.split("\n")[0]
    assert fact in answer.answer


def test_a_question_about_when_is_not_answered_with_a_definition(shipped) -> None:
    # "อิเล็กทรอนิกส์" is defined by the Act the question names, but the question asks when (typed
    # without tone marks: read as "อีเมลถือว่าส่งแล้วเมื่อไหร่").
    answer = ask(shipped, "อีเมลถือวาสงแลวเมือไหร ตามกฎหมายธุรกรรมอิเล็กทรอนิกส์")
    assert "หมายความว่า" not in answer.answer.split("\n")[0]
    assert answer.citations[0].section.startswith("มาตรา ๒๒")
