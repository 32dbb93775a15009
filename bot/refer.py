"""Recognise chat messages that refer to the previous answer rather than ask afresh.

"มาตราถัดไป", "ต่อเลยครับ", "ย้อนไปก่อนหน้า", "ข้อ 3", "ข้อสามล่ะ", "ข้อต่อไป", "ขอคำตอบอื่น": these
name no subject; the dialogue resolves them against the chat's last answer.
"""

import re
from dataclasses import dataclass

from index.thai_text import arabic_digits

# Thai number words a chat may use for a list item ("ข้อสาม"); "ห้าม", "สามารถ" are not numbers.
_NUMBER_WORDS = {"หนึ่ง": 1, "สอง": 2, "สาม": 3, "สี่": 4, "ห้า": 5, "หก": 6, "เจ็ด": 7, "แปด": 8,
                 "เก้า": 9, "สิบ": 10, "สิบเอ็ด": 11, "สิบสอง": 12, "สิบสาม": 13, "สิบสี่": 14, "สิบห้า": 15}
_NUMBER = "|".join(sorted(_NUMBER_WORDS, key=len, reverse=True))
_PARTICLES = re.compile(r"(?:\s|ครับผม|ครับ|คับ|ค่ะ|คะ|ค่า|จ้า|จ้ะ|นะ|หน่อย|ด้วย|ล่ะ|เลย|อีก|ที|[?？!.])+$")
_NEXT = r"ถัดไป|ถัดมา|ต่อไป|ต่อมา|ถัด|ต่อ|หน้า(?!ที่)"
_BEFORE = r"ก่อนหน้า(?:นี้|นั้น)?|ก่อนหนา|ก่อน|ที่แล้ว|ย้อนหลัง"
_LEAD = r"(?:แล้ว|ขอ|ขอดู|ดู|ไป|ส่วน|งั้น|ย้อน(?:กลับ)?(?:ไป)?|กลับไป|อ่าน)?\s*"
_SECTION_STEP = re.compile(rf"มาตรา\s*(?:ที่)?\s*(?:(?P<next>{_NEXT})|(?P<before>{_BEFORE}))")
_ITEM_STEP = re.compile(rf"^{_LEAD}ข้อ\s*(?:ที่)?\s*(?:(?P<next>{_NEXT})|(?P<before>{_BEFORE}))$")
_BARE_STEP = re.compile(rf"^{_LEAD}(?:อัน|ส่วน|ตัว)?\s*(?:(?P<next>ถัดไป|ถัดมา|ต่อไป|ต่อ)|(?P<before>{_BEFORE}))$")
_ITEM = re.compile(rf"^(?:{_LEAD}|ขยายความ|อธิบาย|รายละเอียด|อยากรู้|อยากทราบ)\s*ข้อ\s*(?:ที่)?\s*"
                   rf"(?P<n>[0-9]+|(?:{_NUMBER})(?![ก-ฮ]))")
_ANOTHER = re.compile(r"(?:ขอ)?คำตอบอื่น|ผลอื่น|อันอื่น|มีอีกไหม|มีอีกมั้ย|ผลลัพธ์ถัดไป|อีกคำตอบ|ตอบอย่างอื่น|"
                      r"แหล่งอื่น|ที่อื่นอีก")


@dataclass(frozen=True)
class Reference:
    """What a message refers to: ``kind`` is "section" or "item" with ``step`` +1/-1 (the next or
    previous one), "item" with number ``n``, "step" (+1/-1: the next item after a list item,
    else the next section) or "another" (another answer)."""

    kind: str
    step: int = 0
    n: int = 0


def parse_reference(text: str) -> Reference | None:
    """The reference ``text`` makes to the previous answer, or None for a question of its own."""
    bare = _PARTICLES.sub("", arabic_digits(text.strip()))
    if m := _SECTION_STEP.search(bare):
        return Reference("section", 1 if m.group("next") else -1)
    if _ANOTHER.search(bare):
        return Reference("another")
    if m := _ITEM_STEP.match(bare):
        return Reference("item", 1 if m.group("next") else -1)
    if m := _ITEM.match(bare):
        n = m.group("n")
        return Reference("item", n=int(n) if n.isdigit() else _NUMBER_WORDS[n])
    if m := _BARE_STEP.match(bare):
        return Reference("step", 1 if m.group("next") else -1)
    return None
