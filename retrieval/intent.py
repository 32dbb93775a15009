"""What a question asks for: who, when, where, how much, a penalty, a list, yes/no, which section, …

Intents decide which clause of a passage the answer quotes first (``retrieval.compose``) and
whether a question about a section is really about the section that refers to it (a penalty, an
appeal, an exception: ``retrieval.search``). Patterns are matched without tone marks, so
"เท่าไหร" and "ใคร" typed without them still count.
"""

import re

from index.tokens import toneless

# Ordered: the first intent found is the one the answer leads with.
_PATTERNS: list[tuple[str, str]] = [
    ("which_section", r"มาตรา\s*(?:ไหน|ใด|อะไร|ที่เท่าไ)|อยู่(?:ใน)?มาตรา|มาตราที่เกี่ยว|ข้อกฎหมายไหน"),
    ("penalty", r"โทษ|ปรับ(?!ปรุง|เปลี่ยน|ใช้|ตัว)|จำคุก|ติดคุก|โดนอะไร|โดนไหม|ผิดกฎหมาย|ความผิด"),
    ("amount", r"เท่าไ|กี่บาท|จำนวนเงิน|ค่าธรรมเนียม|อัตรา|กี่เปอร์เซ็นต์|ร้อยละ"),
    ("when", r"เมื่อไ|ภายในกี่|กี่วัน|กี่ปี|กี่เดือน|กี่ชั่วโมง|บ่อยแค่ไหน|ปีละกี่|ระยะเวลา|วันไหน|"
             r"วันที่เท่า|ตั้งแต่เมื่อ|ใช้บังคับ|มีผล(?:บังคับ)?ตั้งแต่|ครบวาระ|วาระ|ทุกกี่|ช่วงไหน|ปีไหน|พ\.ศ\.\s*อะไร"),
    ("where", r"ที่ไหน(?!เป็น)|สถานที่|ณ\s*ที่ใด|ที่ใด|โรงแรม(?:ไหน|อะไร)|ห้อง(?:ไหน|อะไร)|แถวไหน"),
    ("who", r"ใคร|หน่วยงาน(?:ใด|ไหน|อะไร)|ผู้ใด|ผู้มีอำนาจ|ผู้รับผิดชอบ|ใครเป็น|ประธาน|รักษาการ|"
            r"องค์กรไหน|กระทรวงไหน|ที่ไหนเป็น"),
    ("list", r"อะไรบ้าง|มีอะไร|(?:กี่|[0-9๐-๙]\s*)(?:ประการ|ข้อ|เรื่อง|ด้าน|กลุ่ม|ประเภท|ระยะ|เป้าหมาย|"
             r"ยุทธศาสตร์|ลักษณะ|คน|ชนิด|แบบ|อย่าง|หมวด|ระดับ|ขั้น)|ประกอบด้วย|ได้แก่|บ้าง|ขอรายละเอียด|"
             r"รายการ|ขอรายชื่อ|ทั้งหมด|ครบ|แต่ละ|สรุป"),
    ("yesno", r"ได้ไหม|ได้มั้ย|ได้หรือไม่|ได้ป่าว|ได้เปล่า|หรือไม่|หรือเปล่า|หรือป่าว|ใช่ไหม|ใช่มั้ย|"
              r"ใช่หรือไม่|ผิดไหม|ผิดมั้ย|ต้อง.{0,40}(?:ไหม|มั้ย|ป่าว|เปล่า)|มีไหม|มีมั้ย|(?:ไหม|มั้ย|ป่าว)\s*\S{0,6}$"),
    ("definition", r"คือ\s*(?:อะไร)?\s*\S{0,6}$|คืออะไร|หมายถึง|หมายความว่า|ความหมาย|นิยาม|แปลว่า"),
    ("purpose", r"เพื่ออะไร|วัตถุประสงค์|ทำไม|เหตุผล|จุดประสงค์|เป้าหมาย"),
    ("how", r"อย่างไร|ยังไง|วิธี|ขั้นตอน|ทำไง|แบบไหน|ต้องทำอะไร"),
]
_COMPILED = [(name, re.compile(toneless(pattern))) for name, pattern in _PATTERNS]
# A question naming a section and asking for one of these is answered by the section that refers
# to it ("ไม่ปฏิบัติตามมาตรา 57 โดนปรับเท่าไหร่" → the penalty section citing มาตรา ๕๗).
CONSEQUENCES = frozenset({"penalty"})
_CONSEQUENCE_WORDS = re.compile(toneless(r"อุทธรณ์|ฝ่าฝืน|ไม่ปฏิบัติตาม|ไม่ทำตาม|ไม่ทำ|ละเว้น|โดน"))


# Question words: the words right next to them say what is asked ("ประชุมวันที่เท่าไหร่").
_QUESTION_WORDS = frozenset(toneless(w) for w in str.split(
    "ใคร ไหน ใด อะไร เท่าไร เท่าไหร่ ไหร่ กี่ เมื่อไร เมื่อไหร่ อย่างไร ยังไง ไหม มั้ย หรือไม่ "
    "หรือเปล่า บ้าง แค่ไหน ทำไม"))
_QUESTION_RE = re.compile("|".join(sorted(_QUESTION_WORDS, key=len, reverse=True)))
ASKED_SPAN = 2  # content words either side of a question word that it asks about


def asked_words(tokens: list[str], content: set[str]) -> set[str]:
    """The content words (of ``content``) within ``ASKED_SPAN`` content words of a question word
    in ``tokens``: "การประชุม", "วันที่" in "ในการประชุมวันที่เท่าไหร่". Question words are found in
    the tokens joined without tone marks, because a tokeniser splits one typed without them
    ("เทาไร" → "เทา", "ไร")."""
    spans, questions = _spans(tokens)
    marks = [i for i, (start, end) in enumerate(spans) if any(start < q_end and end > q_start
                                                             for q_start, q_end in questions)]
    out: set[str] = set()
    for i in marks:
        for step in (-1, 1):
            j, found = i + step, 0
            while 0 <= j < len(tokens) and found < ASKED_SPAN:
                if tokens[j] in content:
                    out.add(tokens[j])
                    found += 1
                j += step
    return out


def question_word_tokens(tokens: list[str]) -> set[int]:
    """Indexes of the tokens that are pieces of a question word typed without tone marks, which
    the tokeniser took for words of their own ("เทา", "ไห", "ร" of "โทษเทาไหร")."""
    spans, questions = _spans(tokens)
    return {i for i, (start, end) in enumerate(spans)
            if any(q_start <= start and end <= q_end for q_start, q_end in questions)}


def _spans(tokens: list[str]) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """Where each token stands in the tokens joined without tone marks, and where the question
    words found in that joined text stand."""
    spans, joined = [], ""
    for token in tokens:
        key = toneless(token)
        spans.append((len(joined), len(joined) + len(key)))
        joined += key
    return spans, [m.span() for m in _QUESTION_RE.finditer(joined)]


def intents(question: str) -> list[str]:
    """The intents of ``question``, most specific first (may be empty)."""
    text = toneless(question)
    return [name for name, pattern in _COMPILED if pattern.search(text)]


def asks_something(question: str) -> bool:
    """Whether ``question`` asks anything: an intent, or a question word ("จัดที่ไหน")."""
    return bool(intents(question)) or bool(_QUESTION_RE.search(toneless(question)))


def asking_phrases(question: str) -> list[str]:
    """The parts of ``question`` that say what it asks, in order, as written ("กี่คน",
    "ได้มั้ย", "โทษ"): what a follow-up asking nothing of its own ("แล้วคณะกรรมการวินิจฉัยล่ะ")
    asks again."""
    kept = [i for i, ch in enumerate(question) if toneless(ch)]  # where each toneless char stands
    kept.append(len(question))
    text = toneless(question)
    merged: list[list[int]] = []
    for start, end in sorted(m.span() for _, pattern in _COMPILED for m in pattern.finditer(text)):
        if merged and start <= merged[-1][1]:  # "ใคร" within "ใครเป็น": one phrase
            merged[-1][1] = max(merged[-1][1], end)
        elif end > start:
            merged.append([start, end])
    return [question[kept[start]:kept[end]] for start, end in merged]  # with the tone mark after it


def asks_consequence(question: str, found: list[str]) -> bool:
    """Whether the question asks what follows from a section (penalty, appeal, breach)."""
    return bool(CONSEQUENCES & set(found)) or bool(_CONSEQUENCE_WORDS.search(toneless(question)))


# Why a law was made: its reasons note (หมายเหตุ / เหตุผลในการประกาศใช้) answers.
_REASONS = re.compile(r"เหตุผล(?:ใน)?(?:การ)?(?:ประกาศ|ออก|ตรา)|ทำไม(?:ถึง|จึง)?(?:ต้อง)?(?:ออก|ตรา|มี)|"
                      r"ตราขึ้น(?:ด้วย|เพราะ|เพื่อ)|ออกมาเพราะ|เหตุผล")


def asks_reasons(question: str) -> bool:
    """Whether ``question`` asks why a law was made ("ทำไมถึงต้องออก พ.ร.บ. …", "เหตุผลในการประกาศใช้")."""
    return bool(_REASONS.search(question))
