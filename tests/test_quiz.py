"""Quiz items generated from the shipped corpus: every one keeps the rules trainers rely on, is
answered by its cited passage, and the validator refuses each kind of defect."""

import re
from pathlib import Path

import pytest

from index.glossary import lookup
from index.store import load_index
from index.thai_text import arabic_digits, compact
from retrieval.quiz import generate_quiz
from retrieval.quiz_check import meaning_kind, problems
from retrieval.search import open_retriever


@pytest.fixture(scope="module")
def shipped(shipped_index: Path):
    return open_retriever(load_index(shipped_index))


def _in_passage(choice: str, passage: str) -> bool:
    return compact(choice) in compact(passage)


def test_every_generated_item_keeps_the_rules_and_is_answered_by_its_passage(shipped) -> None:
    index = shipped.index
    questions = generate_quiz(shipped, 1000, seed=7)
    assert len(questions) >= 200  # `sarabun quiz --count 200` is filled
    assert {q.kind for q in questions} == {"definition", "term", "list item", "date", "section"}
    for q in questions:
        assert problems(index, q.question, q.choices, q.answer, q.citation.chunk_id, q.kind,
                        q.subject) == [], q.question
        correct = q.choices[q.answer]
        if q.kind == "definition":
            term = q.question.split("“")[1].split("”")[0]
            meanings = [d.meaning for d in lookup(index.glossary, term) if term in (d.term, *d.aliases)]
            assert _in_passage(correct, q.citation.text)
            for i, choice in enumerate(q.choices):
                if i != q.answer:  # no distractor is a meaning any document gives the term
                    assert not any(compact(m).startswith(compact(choice)) for m in meanings), choice
        elif q.kind == "term":
            assert _in_passage(correct, q.citation.text) and correct in {d.term for d in index.glossary}
        elif q.kind == "date":  # the blanked date is the only choice the passage contains
            assert [_in_passage(c, q.citation.text) for c in q.choices].count(True) == 1, q.question
        elif q.kind == "section":  # the quoted sentence is in the section chosen, and only there
            assert arabic_digits(q.citation.section or "").startswith(arabic_digits(correct)), q.question
            assert _in_passage(q.subject.removesuffix(" …"), q.citation.text)
        else:  # a list item: the numbered position asked is the correct choice's, no other's
            number = int(q.question.rsplit("(", 1)[1].split(")")[0])
            lines = [line for line in q.citation.text.split("\n") if _in_passage(correct[:60], line)]
            assert any(re.match(rf"^\D{{0,3}}{number}\D", arabic_digits(line)) for line in lines), q.question
    assert [q.question for q in generate_quiz(shipped, 5, seed=7)] == \
        [q.question for q in generate_quiz(shipped, 5, seed=7)]  # deterministic


def test_the_validator_refuses_each_kind_of_defect(shipped) -> None:
    index = shipped.index
    act = next(c for c in index.chunks if c.doc_id == "computer_crime_act_2550" and c.role == "section")
    metadata = next(c for c in index.chunks if c.role == "metadata")
    title = index.documents[act.doc_id].title
    good = [f"ตาม{title} “ผู้ใช้บริการ” หมายความว่าอย่างไร",
            ["บุคคลที่ใช้บริการของผู้ให้บริการไม่ว่าต้องเสียค่าใช้บริการหรือไม่ก็ตาม",
             "ผู้ให้บริการเก็บรักษาข้อมูลคอมพิวเตอร์เพื่อประโยชน์ของบุคคลอื่น",
             "ผู้ซึ่งรัฐมนตรีแต่งตั้งให้ปฏิบัติการตามพระราชบัญญัตินี้",
             "ผู้ซึ่งถือข้อมูลสำหรับใช้สร้างลายมือชื่ออิเล็กทรอนิกส์"], 2, act.chunk_id, "definition",
            "ผู้ใช้บริการ"]

    def broken(**change) -> list[str]:
        names = ["question", "choices", "answer", "chunk_id", "kind", "subject"]
        item = dict(zip(names, good, strict=True)) | change
        return problems(index, **item)

    def term_item(meaning: str, choices: list[str], answer: int) -> list[str]:
        """What "which term means “meaning”" with these choices breaks."""
        return broken(question=f"ตาม{title} คำใดหมายความว่า “{meaning}”", kind="term", subject=meaning,
                      choices=choices, answer=answer)

    assert broken() == []
    assert any(p.startswith("metadata") for p in broken(chunk_id=metadata.chunk_id))
    assert any(p.startswith("document") for p in broken(question="“ผู้ใช้บริการ” หมายความว่าอย่างไร"))
    assert any(p.startswith("subject") for p in broken(question=f"ตาม{title} ข้อใดถูกต้อง"))
    clipped = [*good[1][:3], "ผู้ซึ่งถือข้อมูลสำหรับใช้สร้างลายมือชื่อ …"]
    assert any(p.startswith("fragment") for p in broken(choices=clipped))
    dangling = [*good[1][:3], "ผู้ซึ่งถือข้อมูลดังต่อไปนี้"]
    assert any(p.startswith("fragment") for p in broken(choices=dangling))
    # An item cut where the source wraps a cross-reference ("…สิ่งที่กล่าวมาใน" / "(๑) ถึง (๕)").
    wrapped = [*good[1][:3], "ผู้ซึ่งรับรองการมีอยู่ของสิ่งที่กล่าวมาใน"]
    assert any(p.startswith("fragment") for p in broken(choices=wrapped))
    other_kind = [*good[1][:3], "การกระทำใด ๆ ที่เกี่ยวกับกิจกรรมในทางแพ่งและพาณิชย์"]
    assert any(p.startswith("distractors") for p in broken(choices=other_kind))
    # The answer repeats the term's words and no distractor does: it can be picked unread.
    echo = ["ผู้ใช้บริการของผู้ให้บริการไม่ว่าต้องเสียค่าใช้บริการหรือไม่ก็ตาม",
            "ผู้ซึ่งรัฐมนตรีแต่งตั้งให้ปฏิบัติการตามพระราชบัญญัตินี้",
            "ผู้ซึ่งถือข้อมูลสำหรับใช้สร้างลายมือชื่ออิเล็กทรอนิกส์", "ผู้ซึ่งอาจกระทำการใด ๆ โดยขึ้นอยู่กับใบรับรอง"]
    assert any(p.startswith("answer in stem") for p in broken(choices=echo, answer=0))
    assert any(p.startswith("answer in stem") for p in broken(
        question=f"ตาม{title} คำใดหมายความว่า “ผู้ใช้บริการของผู้ให้บริการ”", kind="term",
        choices=["ผู้ใช้บริการ", "ผู้ให้บริการ", "รัฐมนตรี", "พนักงานเจ้าหน้าที่"], answer=0,
        subject="ผู้ใช้บริการของผู้ให้บริการ"))
    assert any(p.startswith("choices") for p in broken(choices=good[1][:3]))
    # A list announced inside a choice cannot be shown whole.
    listed = [*good[1][:3], "ผู้ซึ่งมีลักษณะ ดังต่อไปนี้ (ก) เป็นผู้ให้บริการ"]
    assert any(p.startswith("fragment") for p in broken(choices=listed))
    # The paragraph after a list, glued to its last item by the source's line wrapping.
    items = ["ทุนประเดิมที่รัฐบาลจัดสรรให้", "เงินอุดหนุนทั่วไปที่รัฐบาลจัดสรรให้เป็นรายปี",
             "ค่าธรรมเนียมหรือรายได้อันเกิดจากการดำเนินการ",
             "ดอกผลของเงินของสำนักงาน เงินและทรัพย์สินของสำนักงานตามวรรคหนึ่ง ต้องนำส่งคลัง"]
    glued = broken(question=f"ตาม{title} ทุนของสำนักงาน ประกอบด้วย — ข้อ (1) คือข้อใด", choices=items,
                   answer=0, kind="list item", subject="ทุนของสำนักงาน ประกอบด้วย")
    assert any(p.startswith("fragment") and "runs on" in p for p in glued)
    # A term's distractors name the same kind of thing as its meaning (not agencies for an act).
    term = f"ตาม{title} คำใดหมายความว่า “การนำเทคโนโลยีดิจิทัลมาใช้ในการบริหารงาน”"
    agencies = ["รัฐบาลดิจิทัล", "สำนักงาน", "หน่วยงานของรัฐ", "ดิจิทัล"]
    assert any(p.startswith("distractors") for p in broken(
        question=term, choices=agencies, answer=0, kind="term", subject="การนำเทคโนโลยีดิจิทัลมาใช้ในการบริหารงาน"))
    # A person's term among bodies: "ผู้ใช้บริการ" (ผู้ซึ่ง…) is not offered with committees.
    person = f"ตาม{title} คำใดหมายความว่า “ผู้ซึ่งรัฐมนตรีแต่งตั้งให้ปฏิบัติการตามพระราชบัญญัตินี้”"
    assert any(p.startswith("distractors") for p in broken(
        question=person, choices=["พนักงานเจ้าหน้าที่", "หน่วยงานของรัฐ", "คณะกรรมการ", "ผู้ให้บริการ"], answer=0,
        kind="term", subject="ผู้ซึ่งรัฐมนตรีแต่งตั้งให้ปฏิบัติการตามพระราชบัญญัตินี้"))
    # A term the quoted meaning itself names is ruled out unread.
    named = f"ตาม{title} คำใดหมายความว่า “ข้อมูลคอมพิวเตอร์ที่เกี่ยวกับการติดต่อสื่อสารของระบบคอมพิวเตอร์”"
    assert any("names a choice" in p for p in broken(
        question=named, choices=["ข้อมูลจราจรทางคอมพิวเตอร์", "ข้อมูลคอมพิวเตอร์", "ระบบคอมพิวเตอร์", "ผู้ให้บริการ"],
        answer=0, kind="term", subject="ข้อมูลคอมพิวเตอร์ที่เกี่ยวกับการติดต่อสื่อสารของระบบคอมพิวเตอร์"))
    # A meaning that runs on into the next term's definition.
    run_on = [*good[1][:3], "ผู้ซึ่งถือข้อมูล “ไซเบอร์” หมายความรวมถึง ข้อมูลและการสื่อสาร"]
    assert any("next definition" in p for p in broken(choices=run_on))
    # A list item's stem must quote the words announcing the list, not only the start of a long lead-in.
    unannounced = broken(question=f"ตาม{title} ทุนของสำนักงาน — ข้อ (1) คือข้อใด", choices=[*items[:3], "รายได้อื่น"],
                         answer=0, kind="list item", subject="ทุนของสำนักงาน")
    assert any("announce" in p for p in unannounced)
    cut = broken(question=f"ตาม{title} … ๑๔ และมาตรา ๑๕ ให้ถือปฏิบัติ ดังต่อไปนี้ — ข้อ (1) คือข้อใด",
                 choices=[*items[:3], "รายได้อื่น"], answer=0, kind="list item",
                 subject="๑๔ และมาตรา ๑๕ ให้ถือปฏิบัติ ดังต่อไปนี้")
    assert any("middle of a phrase" in p for p in cut)
    # A choice opening with the term asked is picked, or ruled out, without knowing the meaning.
    restated = [*good[1][:3], "ผู้ใช้บริการตามกฎหมายว่าด้วยการประกอบกิจการ"]
    assert any(p.startswith("answer in stem") for p in broken(choices=restated))
    excluding = [*good[1][:3], "ผู้ซึ่งรับข้อมูล ทั้งนี้ ไม่รวมถึงผู้ใช้บริการ"]  # names the term it is not
    assert any(p.startswith("answer in stem") for p in broken(choices=excluding))
    # A date whose year the stem shows ("ครั้งที่ 1/2560"): a choice of another year is ruled out.
    meeting = "…ในการประชุมครั้งที่ 1/2560 เมื่อวันที่ ____ ได้มีมติ…"
    years = broken(question=f"ตาม{title}: “{meeting}” ช่องว่างคือวันใด", kind="date", subject=meeting, answer=0,
                   choices=["16 มกราคม 2560", "23 มกราคม 2560", "2 กันยายน 2540", "22 มิถุนายน 2565"])
    assert any("year" in p for p in years)
    # "Which section says …" with a choice the quoted sentence itself cites.
    section = f"ตาม{title} ข้อความ “ผู้ใดล่วงรู้มาตรการป้องกันตามมาตรา ๑๘ แล้วนำไปเปิดเผย” อยู่ในมาตราใด"
    assert any("cites a choice" in p for p in broken(
        question=section, choices=["มาตรา ๖", "มาตรา ๑๘", "มาตรา ๔", "มาตรา ๒๔"], answer=3, kind="section",
        subject="ผู้ใดล่วงรู้มาตรการป้องกันตามมาตรา ๑๘ แล้วนำไปเปิดเผย"))
    # A list's stem that keeps only the end of a long lead-in never says what the list is of.
    headless = "… ต้องสอดคล้องกับนโยบายและแผนระดับชาติ และอย่างน้อยต้องกำหนดเรื่องดังต่อไปนี้ด้วย"
    assert any("leaves out the start" in p for p in broken(
        question=f"ตาม{title} มาตรา ๔๑ {headless} — ข้อ (2) คือข้อใด", choices=[*items[:3], "รายได้อื่น"], answer=0,
        kind="list item", subject=headless))
    # A date's quote that starts on a joining word ("…และสังคม ระยะ 20 ปี") starts mid-name.
    mid_name = "…และสังคม ระยะ 20 ปี ซึ่งได้รับความเห็นชอบจากคณะรัฐมนตรีเมื่อวันที่ ____ ภายใต้วิสัยทัศน์…"
    assert any("middle of a phrase" in p for p in broken(
        question=f"ตาม{title}: “{mid_name}” ช่องว่างคือวันใด", kind="date", subject=mid_name, answer=0,
        choices=["5 เมษายน 2559", "2 กันยายน 2540", "22 มิถุนายน 2565", "24 พฤษภาคม 2562"]))
    # The answer's words written inside the quoted meaning, more than any distractor's: picked unread.
    owner = "ผู้ซึ่งถือข้อมูลสำหรับใช้สร้างลายมือชื่ออิเล็กทรอนิกส์และสร้างลายมือชื่ออิเล็กทรอนิกส์นั้นในนามตนเอง"
    assert any(p.startswith("answer in stem") for p in term_item(
        owner, ["คู่กรณีที่เกี่ยวข้อง", "เจ้าของลายมือชื่อ", "ผู้อำนวยการ", "บุคคลที่เป็นสื่อกลาง"], 1))
    # "คำใดหมายความว่า “คณะกรรมการการรักษาความมั่นคงปลอดภัยไซเบอร์แห่งชาติ”" → "กมช.": initials.
    board = "คณะกรรมการการรักษาความมั่นคงปลอดภัยไซเบอร์แห่งชาติ"
    assert any("abbreviation" in p for p in term_item(board, ["กมช.", "กกม.", "สำนักงาน", "คณะกรรมการ"], 0))
    short = "กบส."
    assert any("abbreviation" in p for p in broken(
        question=f"ตาม{title} “{short}” หมายความว่าอย่างไร", kind="definition", subject=short, answer=0,
        choices=["คณะกรรมการบริหารสำนักงานการรักษาความมั่นคงปลอดภัยไซเบอร์แห่งชาติ",
                 "คณะกรรมการกำกับดูแลด้านความมั่นคงปลอดภัยไซเบอร์",
                 "คณะกรรมการการรักษาความมั่นคงปลอดภัยไซเบอร์แห่งชาติ", "คณะกรรมการพัฒนารัฐบาลดิจิทัล"]))
    # A compound the word breaker keeps whole still echoes the meaning ("…ของรัฐ").
    official = "ผู้ซึ่งปฏิบัติงานให้แก่หน่วยงานของรัฐ"
    assert any(p.startswith("answer in stem") for p in term_item(
        official, ["เจ้าหน้าที่ของรัฐ", "เลขาธิการ", "บุคคล", "คนต่างด้าว"], 0))
    # An English term for a Thai meaning: translating "เปิด" picks "Open Government".
    opened = "รัฐบาลที่เปิดให้ประชาชนเข้ามามีส่วนร่วมและตรวจสอบ"
    assert any("translating" in p for p in term_item(
        opened, ["Open Government", "Smart Government", "Connected Government", "E-government"], 0))
    # A long lead-in shortened so that the part left out is the list's quoted name.
    focus = next(c for c in index.chunks if "“จุดเน้นการพัฒนาภาครัฐ”" in f"{c.lead_in} {c.text}")
    source = " ".join(f"{focus.lead_in} {focus.text}".split())
    at = source.index("“จุดเน้นการพัฒนาภาครัฐ”")
    nameless = f"{source[at - 50 : at - 10]} … {source[at + 40 : at + 90]}"
    assert any("names the list" in p for p in broken(
        question=f"ตาม{title} {nameless} — ข้อ (1) คือข้อใด", kind="list item", subject=nameless,
        chunk_id=focus.chunk_id, choices=[*items[:3], "รายได้อื่น"], answer=0))
    # A section of an amending Act printed after the main Act: its content is already in the main text.
    amending = next(c for c in index.chunks if c.unit and c.role == "section")
    assert any(p.startswith("amendment") for p in broken(chunk_id=amending.chunk_id))



def test_meanings_are_told_apart_by_what_they_name() -> None:
    assert meaning_kind("(๑) ผู้ให้บริการแก่บุคคลอื่นในการเข้าสู่อินเทอร์เน็ต") == "person"  # a list: its first item
    assert meaning_kind("คณะกรรมการกำกับดูแลด้านความมั่นคงปลอดภัยไซเบอร์") == "body"
    assert meaning_kind("ข้อมูลข่าวสารเกี่ยวกับสิ่งเฉพาะตัวของบุคคล") == "information"
    assert meaning_kind("ภัยคุกคามที่มีลักษณะการเพิ่มขึ้นอย่างมีนัยสำคัญ") == "threat"
    assert meaning_kind("คอมพิวเตอร์หรือระบบคอมพิวเตอร์ซึ่งหน่วยงานของรัฐใช้") == "system"
    assert meaning_kind("การนำเทคโนโลยีดิจิทัลมาใช้เป็นเครื่องมือ") == "act"
    assert meaning_kind("รัฐบาลที่เปิดเผยข้อมูลต่อสาธารณะ") == "government"  # not an agency
    assert meaning_kind("ระเบียบหรือหลักเกณฑ์ที่คณะกรรมการกำหนด") == "rule"  # not an incident or an act
    assert meaning_kind("เรื่องราว หรือข้อเท็จจริง ไม่ว่าจะปรากฏในรูปแบบของตัวอักษร") == "information"
    assert meaning_kind("E-government ที่ถูกพัฒนาถึงขั้นที่ทำให้หน่วยงานภาครัฐเชื่อมโยงกัน") == "government"
