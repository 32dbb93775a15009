"""Decide whether the documents answer a question at all.

Near-domain questions ("PDPA ปรับเท่าไหร่", "ข้าราชการลาพักร้อนได้กี่วัน", "งบประมาณปี 2570")
share most of their vocabulary with the documents, so coverage of the whole index's vocabulary
cannot tell them apart. The evidence is measured on the passages the search returns instead:

- ``dense``: the best cosine of a returned passage;
- ``agreement``: BM25 and the dense model prefer the same passage (unrelated scorers rarely do);
- ``support``: the share of the question's content words, weighted by rarity (IDF), that the
  top passages contain (compared without spaces and tone marks, so tokenisation and missing tone
  marks do not count against a question);
- ``gap``: the rarity of the rarest content word that the index knows but the top passages lack
  (0 when none is missing), scaled to [0, 1]: the specific thing asked about is elsewhere;
- ``unknown``: the rarity-weighted share of content words the index has never seen (a passport,
  a pension: topics the collection does not cover);
- ``numbers``: 1 when a number or year the question states (other than a section number) is
  missing from the top passages;
- ``together`` and ``asked``: from the ranking model's features of the top passages
  (``retrieval.rerank``), the most of the question's words one passage holds within a short
  window, and the share of the words next to the question word it holds: a near-domain question
  finds its words scattered over passages about something else;
- ``now``: 1 when the question asks about the present ("คนปัจจุบัน", "ตอนนี้", "ล่าสุด"): the
  documents are dated, and a current office holder or today's figure is beyond them;
- ``ranked`` and ``lead``: the ranking model's score of the best passage and how far it stands
  above the second: the model weighs every match signal at once, and a near-domain question's
  best passage matches it on few of them (measured in 5-fold cross-validation on the calibration
  and training questions: 270 → 320 of 552 unanswerable declined at the same false declines);
- ``kind``: whether a top passage holds the kind of fact the question asks for (a penalty, an
  amount, a time, a list, an actor; ``retrieval.rerank``).

A logistic model combines them; weights and threshold are fitted by
``python benchmarks/calibrate_abstention.py benchmarks/evalsets/calibration.jsonl
benchmarks/evalsets/train.jsonl``: questions written for calibration and for training the
ranking, disjoint from the evaluation set.
"""

import math
import re
from dataclasses import dataclass

from index.thai_text import arabic_digits
from index.tokens import loose_key, toneless, word_tokens

from .query import Query, explained
from .rerank import FEATURES
from .search import Hit
from .words import content_words, idf

# Fitted by benchmarks/calibrate_abstention.py (see docs/benchmarks.md).
# The order of Evidence.features.
WEIGHTS = (31.349, -0.182, 1.195, -0.079, 0.106, -0.799, -0.561, 0.536, -0.241, -3.302, 0.275, 0.101, -0.819)
BIAS = -28.091
THRESHOLD = 0.262
MIN_SUPPORT = 0.12  # below this support, with little agreement, a question is never answered
MIN_AGREEMENT = 0.25
TOP = 3  # passages the evidence is measured on
EVIDENCE_HITS = 10  # passages to search for: the top ones and the ones they must stand out from
NEAR_CHARS = 200  # a quantity asked for is stated this close to one of the question's words
ABOUT_WORD = 3  # the shortest question word (without tone marks) that says what a quantity is of
MAX_FALSE_DECLINES = 0.01  # share of answerable calibration questions the threshold may decline
_NUMBER = re.compile(r"(?<![0-9/])[0-9]{2,}(?![0-9/])")
_SECTION_NUMBER = re.compile(r"(?:มาตรา|ม\.|ข้อ|ฉบับที่)\s*[0-9]+(?:/[0-9]+)?")


# A quantity asked with its unit ("กี่บาท", "ปีละกี่ชั่วโมง", "กี่ล้านคน"): the passages that answer
# state a number with that unit. Counts of list items (กี่ข้อ, กี่ประเภท) are left out: a list
# answers them without writing the number.
_UNITS = ("บาท", "ล้าน", "ชั่วโมง", "นาที", "วัน", "สัปดาห์", "เดือน", "ปี", "ครั้ง", "รอบ", "คน", "หน่วยงาน",
          "ชุด", "แห่ง", "เครื่อง", "ราย", "เปอร์เซ็นต์", "โครงการ", "รางวัล", "จุด", "คะแนน", "เท่า", "แผ่น",
          "เว็บ", "หลัก", "ตัวอักษร")
_ASKED_UNIT = re.compile(toneless(r"กี่\s*(" + "|".join(_UNITS).replace("เปอร์เซ็นต์", "เปอร์เซ็นต์?")
                                  .replace("หลัก", "หลัก(?!เกณฑ์|สูตร|ฐาน|การ)") + "|%)"))  # not a listed หลักเกณฑ์
_SHOWN_UNIT = {toneless(u): u for u in _UNITS} | {toneless("เปอร์เซ็น"): "เปอร์เซ็นต์", "%": "เปอร์เซ็นต์"}
_LISTED_UNITS = frozenset({toneless("โครงการ")})
# A share of a body of people ("กึ่งหนึ่ง", "หนึ่งในสาม", "สองในสาม"), matched on toneless text.
_SHARE = re.compile(toneless(r"กึ่งหนึ่ง|(?:หนึ่ง|สอง|สาม|สี่)ในสาม|(?:หนึ่ง|สอง|สาม)ในสี่"))
# An amount of money asked with "เท่าไร" ("ใช้งบเท่าไหร่", "ค่าถ่ายเอกสารหน้าละเท่าไร", "ปรับเท่าไหร่"):
# answered by a number in baht, or by a share (ร้อยละ) of some sum.
# Matched with its tone marks ("คา" without them is in "คาดว่า"); "เท่าไร" may be typed without.
_ASKED_MONEY = re.compile(r"(?:งบ|วงเงิน|ค่า|เงิน|ราคา|เบี้ย|ทุน|ปรับ)\S{0,30}?\s*(?:เท่?าไ|เท่?าใด)")
_CURRENCY = toneless("(?:บาท|ดอลลาร์|ปอนด์|ยูโร|เยน|หยวน)")
_NUMBER_WORDS = toneless(r"(?:หนึ่ง|สอง|สาม|สี่|ห้า|หก|เจ็ด|แปด|เก้า|สิบ|ยี่|ร้อย|พัน|หมื่น|แสน|ล้าน|เอ็ด)")
_PERCENT = re.compile(toneless(r"%|ร้อยละ|เปอร์เซ็นต์"))  # matched on toneless text
_MONEY_SIGNS = re.compile(rf"{_PERCENT.pattern}|[$£€¥]")  # a share, or a sum in a currency sign
# Facts asked by name, and how a text states them (matched on toneless text with Arabic digits): a
# calendar date ("ประกาศวันไหน", "ปิดรับวันที่เท่าไหร่", "เดือนไหน", "ปีอะไร") by a day, a month or a
# year, or by the day of an event ("ตั้งแต่วันที่ได้รับใบรับแจ้ง", "วันถัดจากวันประกาศ…"); a website, a
# phone number or an e-mail address by one written out.
DATE, WEBSITE, PHONE, EMAIL = "วันที่", "เว็บไซต์", "เบอร์โทรศัพท์", "อีเมล"
NAMED_FACTS = {
    DATE: (re.compile(toneless(r"วัน(?:ที่)?\s*(?:ไหน|ใด|อะไร)|วันที่\s*เท่?าไ|"
                               r"(?:เดือน|ปี|พ\.ศ\.)\s*(?:ไหน|ใด|อะไร)")),
           re.compile(toneless(
               r"มกราคม|กุมภาพันธ์|มีนาคม|เมษายน|พฤษภาคม|มิถุนายน|กรกฎาคม|สิงหาคม|กันยายน|ตุลาคม|พฤศจิกายน|ธันวาคม|"
               r"(?<![ก-๙])(?:ม|มี|เม|พ|มิ|ก|ส|ต|ธ)\.\s?[คยพ]\.|(?<![0-9])[12][0-9]{3}(?![0-9])|วันที่|วันถัด|"
               r"วันประกาศ"))),
    WEBSITE: (re.compile(toneless(r"(?:เว็บไซต์|เว็บ|website|url|ลิงก์|ลิ้งค์|link)\s*(?:ไหน|อะไร|ใด)|"
                                  r"\burl\b"), re.I),
              re.compile(r"https?://|www\.|\.(?:go|or|co|ac|in)\.th\b|\.(?:com|org|net)\b", re.I)),
    PHONE: (re.compile(toneless(r"(?<!ไซ)เบอร์|โทรศัพท์(?:หมายเลข)?\s*(?:อะไร|เท่าไ)|call\s?cent|สายด่วน|"
                                r"hotline"), re.I),
            re.compile(r"(?<![0-9])(?:0[0-9]{1,2}[- ]?[0-9]{3}[- ]?[0-9]{3,4}|1[0-9]{3})(?![0-9])")),
    EMAIL: (re.compile(toneless(r"(?:อีเมล|e-?mail)\s*(?:ติดต่อ|อะไร|ไหน)"), re.I),
            re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+")),
}
# Places and institutions asked by name ("มีจังหวัดอะไรบ้าง", "ธนาคารไหน"): Thai writes their names
# after the noun ("จังหวัดเชียงใหม่", "ธนาคาร SME"), so a text states one by the noun with a name right
# after it, not by the noun alone ("ระดับจังหวัด จำนวน 5 จังหวัด") or a phrase about it ("ธนาคารของรัฐ").
# Companies and countries are often named without the noun ("Sky", "ฝรั่งเศส"): not checked.
_NAMED_NOUNS = ("จังหวัด", "ธนาคาร", "มหาวิทยาลัย", "โรงเรียน", "โรงพยาบาล")
_NOT_A_NAME = r"(?!ของ|ที่|ใน|และ|หรือ|ต่าง|นั้น|นี้|ทั้ง|ไหน|ใด|อะไร|จำนวน|มี|จะ|ได้|ต้อง|ให้|เป็น|ละ)"
NAMED_FACTS |= {f"ชื่อ{noun}": (re.compile(toneless(rf"{noun}\s*(?:ไหน|ใด|อะไร)")),
                               re.compile(toneless(rf"{noun}(?:\s?{_NOT_A_NAME}[ก-ฮเ-ไ]|\s*[A-Za-z])")))
                for noun in _NAMED_NOUNS}
# "How do I …" with a product or technical term the documents never write (VPN, Adobe Acrobat,
# Google Drive): software how-to, which the documents do not teach. A question about the law
# ("มีโทษยังไง", "กฎหมายนิยามยังไง") is left to the evidence.
HOW_TO = "วิธีใช้งานระบบหรือโปรแกรม"
_ABOUT_LAW = re.compile(toneless(r"กฎหมาย|พ\.?\s?ร\.?\s?[บกฎ]|มาตรา|ม\.\s?[0-9]|นิยาม|โทษ|ผิด|สิทธิ|"
                                 r"(?<!เจ้า)หน้าที่|อำนาจ|ระเบียบ|ประกาศ|คำสั่ง|บังคับ"))
_LATIN = re.compile(r"[a-z]")
# The present asked about: documents are dated, so who holds an office now or a figure today is
# beyond them, unless a passage says so in the question's own words.
_ASKS_NOW = re.compile(toneless(r"(?:คน|ชุด|ณ\s*)ปัจจุบัน|ปัจจุบัน(?:คือ|เป็น|ใคร)|ตอนนี้|ขณะนี้|ล่าสุด|ปีนี้|(?<!ทุก)วันนี้|"
                                r"(?:สัปดาห์|อาทิตย์|เดือน)นี้|ปีหน้า|ปีที่แล้ว|เมื่อวาน|พรุ่งนี้|"
                                r"\b(?:current|latest|now)\b"))


def unstated_quantity(question: str, passages: list[str], answer: bool = False,
                      document_frequency: dict[str, int] | None = None) -> str:
    """The unit of a quantity ``question`` asks for ("บาท" in "ค่าธรรมเนียมกี่บาท" and for an amount of
    money asked with "เท่าไร") when none of ``passages`` states a number with that unit (a passport
    fee, a budget, a count the documents never give), or the fact it asks for by name (a key of
    ``NAMED_FACTS``: a date, a website) when none states one; "" otherwise, or when the question
    asks for no such thing. With ``answer``, ``passages`` is the text an answer quotes: it is about the
    question already, so the number need not stand near the question's words, and a count that a
    list answers (กี่โครงการ) may be answered by the list without its number."""
    units = [u for u in _ASKED_UNIT.findall(toneless(question)) if not answer or u not in _LISTED_UNITS]
    money = not units and bool(_ASKED_MONEY.search(question))
    if money:
        units = [_CURRENCY]
    elif not units:
        units = [name for name, (asked, _) in NAMED_FACTS.items() if asked.search(toneless(question))][:1]
    if not units:
        return ""
    text = toneless(arabic_digits(" ".join(passages))).lower()  # as the units were read: no tone marks
    # What the quantity is of: the question's own words, beside the number ("ค่าถ่ายเอกสาร … กี่บาท"
    # is not answered by a fine in baht).
    about = [] if answer else _about_words(question, units, document_frequency)
    for unit in units:
        percent = unit.startswith(toneless("เปอร์เซ็น")) or unit == "%"  # "กี่ %", "กี่เปอร์เซ็น(ต์)"
        found = [m.start() for m in (_MONEY_SIGNS if money else _PERCENT).finditer(text)] \
            if percent or money else []
        if unit in NAMED_FACTS:
            found = [m.start() for m in NAMED_FACTS[unit][1].finditer(text)]
        elif not percent:
            found += [m.start() for m in re.finditer(
                rf"(?:[0-9][0-9,.]*|{_NUMBER_WORDS}+)\s*(?:{toneless('ล้าน')}\s*)?{unit}", text)]
        if unit == toneless("คน"):  # "ไม่น้อยกว่ากึ่งหนึ่งของจำนวนกรรมการ" answers "กี่คนถึงครบองค์ประชุม"
            found += [m.start() for m in _SHARE.finditer(text)]
        if any(not about or any(w in text[max(0, at - NEAR_CHARS): at + NEAR_CHARS] for w in about)
               for at in found):
            return ""
    return "บาท" if money else _SHOWN_UNIT.get(units[0], units[0])


def _about_words(question: str, units: list[str], document_frequency: dict[str, int] | None) -> list[str]:
    """The question's words (without tone marks) that say what a quantity is of; with
    ``document_frequency``, only its rarer half: "ค่าถ่ายเอกสารหน้าละกี่บาท" is about copying, and a
    fine in baht beside the common "เอกสาร" does not state it."""
    words = [w for w in content_words(word_tokens(question)) if len(toneless(w)) >= ABOUT_WORD
             and toneless(w) not in units]
    known = [w for w in words if document_frequency.get(w)] if document_frequency else []
    if known:  # a word no passage holds (a typo) is near nothing
        counts = sorted(document_frequency[w] for w in known)
        median = counts[(len(counts) - 1) // 2]
        words = [w for w in known if document_frequency[w] <= median]
    return list({toneless(w) for w in words})


def untold_how_to(query: Query, document_frequency: dict[str, int]) -> bool:
    """Whether ``query`` asks how to do something with a Latin-script term that no document
    writes and no abbreviation or chat term explains ("ตั้ง VPN ให้เจ้าหน้าที่ทำยังไง")."""
    if "how" not in query.intents or _ABOUT_LAW.search(toneless(query.raw)):
        return False
    return any(_LATIN.search(w) and not document_frequency.get(w) and not explained(w)
               for w in word_tokens(query.raw))


@dataclass
class Evidence:
    """What the abstention model looks at."""

    dense: float
    agreement: float
    support: float
    gap: float
    unknown: float
    numbers: float
    margin: float  # how far the best returned passage stands out from the next ones (cosine)
    together: float = 0.0  # the most of the question's words (by rarity) one top passage holds close together
    asked: float = 0.0  # the share of the words next to the question word one top passage holds
    now: float = 0.0  # 1 when the question asks about the present ("คนปัจจุบัน", "ตอนนี้")
    ranked: float = 0.0  # the ranking model's score of the first passage shown
    lead: float = 0.0  # how far that score stands above the next passage's
    kind: float = 0.0  # a top passage holds the kind of fact asked for (rerank's "kind")

    @property
    def features(self) -> tuple[float, ...]:
        return (self.dense, self.agreement, self.support, self.gap, self.unknown, self.numbers, self.margin,
                self.together, self.asked, self.now, self.ranked, self.lead, self.kind)

    @property
    def probability(self) -> float:
        """Estimated probability that the documents answer the question."""
        z = BIAS + sum(w * x for w, x in zip(WEIGHTS, self.features, strict=True))
        return 1 / (1 + math.exp(-max(-30.0, min(30.0, z))))


def evidence(query: Query, hits: list[Hit], document_frequency: dict[str, int], n: int) -> Evidence:
    """Evidence for ``query`` from its ranked hits; ``document_frequency`` maps BM25 words to the
    number of passages holding them, over ``n`` passages."""
    if not hits:
        return Evidence(0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 0.0)
    top = hits[:TOP]
    text = loose_key(" ".join(" ".join([h.chunk.text, h.chunk.unit, *h.chunk.heading_path]) for h in top))
    words = content_words(query.tokens)
    ceiling = idf("", {}, n)
    weights = {w: idf(w, document_frequency, n) for w in words}
    missing = [w for w in words if loose_key(w) not in text]
    total = sum(weights.values())
    support = 1 - sum(weights[w] for w in missing) / total if total else 0.0
    gap = max((weights[w] for w in missing if w in document_frequency), default=0.0) / ceiling
    unknown = sum(weights[w] for w in missing if w not in document_frequency) / total if total else 1.0
    rest = [h.dense for h in hits[TOP:]]
    margin = max(h.dense for h in top) - (sum(rest) / len(rest) if rest else 0.0)
    raw = query.raw
    for named in query.named or []:  # a law's year is part of its name, not a fact asked about
        if named.mention:
            raw = raw.replace(named.mention, " ")
    stated = _NUMBER.findall(_SECTION_NUMBER.sub(" ", arabic_digits(raw)))
    numbers = float(any(number not in arabic_digits(text) for number in stated))
    lexical_best = max(top, key=lambda h: h.bm25)
    dense_best = max(top, key=lambda h: h.dense)
    agreement = float(lexical_best is dense_best and lexical_best.bm25 > 0)
    ranked = [h for h in top if h.features is not None]
    rows = [h.features for h in ranked]
    together = max((f[FEATURES.index("window")] for f in rows), default=0.0)
    asked = max((f[FEATURES.index("asked")] for f in rows), default=0.0)
    now = float(bool(_ASKS_NOW.search(toneless(raw))))
    ranked_best = ranked[0].score if ranked else 0.0
    lead = ranked[0].score - ranked[1].score if len(ranked) > 1 else 0.0
    kind = max((f[FEATURES.index("kind")] for f in rows), default=0.0)
    return Evidence(dense_best.dense, agreement, support, gap, unknown, numbers, margin, together, asked, now,
                    ranked_best, lead, kind)


def should_abstain(ev: Evidence) -> bool:
    """True when the documents most likely do not answer the question, or when the top passages
    hold almost none of its words and search and meaning disagree (a pasted instruction, chatter):
    on the calibration set no answerable question looks like that."""
    return ev.probability < THRESHOLD or (ev.support < MIN_SUPPORT and ev.agreement < MIN_AGREEMENT)
