"""What of a question each clause of a passage holds, and the run of clauses that answers best.

A passage is split into phrases (lines, the spaces between Thai phrases, inline bullets). Each
phrase holds some of the question: its words (those next to the question word weigh more), cues
of what its intent asks for (a penalty, a deadline, a number with its unit, an actor) and a label
the question names ("ยุทธศาสตร์ที่ 4"). Phrases within ``CORE_CHARS`` are scored together, since
a fact often sits a few phrases after the words that name it. ``retrieval.compose`` builds the
answer text around the best run.
"""

import re

from index.chunking import ITEM_LABEL
from index.thai_text import arabic_digits
from index.tokens import loose_key, word_tokens

from .intent import asked_words
from .query import Query, spelled_out
from .words import content_words

FOCUS_BONUS = 1.0  # a clause of the passage the search ranked first, over the rest of its section
ASKED_WEIGHT = 2  # a word next to the question word counts this much (see intent.asked_words)
CORE_CHARS = 280  # phrases within this span are scored together (see best_core)
CUE_WEIGHT = 1.5  # what a clause holding a cue of the question's intent (a penalty, a date) gains
LABEL_WEIGHT = 4.0  # a clause holding the label the question names ("ยุทธศาสตร์ที่ 1")
_NAMED_LABEL = re.compile(r"([ก-๙A-Za-z]{2,})\s*ที่\s*([0-9]{1,2})(?![0-9])")
_THAI_DIGITS = str.maketrans("0123456789", "๐๑๒๓๔๕๖๗๘๙")
# Phrases: lines, spaces between Thai words, and bullets written inline ("… SMEs) - ยุทธศาสตร์ที่ 4").
SENTENCE_BREAK = re.compile(r"\n|(?<=[ก-๙a-z)”])\s{1,2}(?=[ก-ฮเ-ไ“(A-Z])|(?<=\S)\s+(?=[-•]\s)")
# A number with its unit, in digits or written out ("เก้าสิบวัน", "ไม่เกินเจ็ดคน", "ปีละหนึ่งครั้ง").
_NUMBER_WORD = r"(?:หนึ่ง|สอง|สาม(?!าร)|สี่|ห้า(?!ม)|หก|เจ็ด|แปด|เก้า|สิบ|ยี่|ร้อย|พัน(?!ธ)|หมื่น|แสน|ล้าน)"
_COUNT = (rf"(?:[0-9๐-๙]+|{_NUMBER_WORD}+)\s*(?:คน|วัน|เดือน|ปี|ครั้ง|ชั่วโมง|บาท|ประการ|ระดับ|ด้าน|ข้อ|"
          r"รางวัล|ประเภท|กลุ่ม|โครงการ|ระยะ|เท่า|เรื่อง|ส่วน|ล้าน|แสน|หมื่น|พัน|ร้อย)")
# Clauses that hold what an intent asks for.
_CUES = {
    "penalty": r"ระวางโทษ|จำคุก|ปรับไม่เกิน|ปรับตั้งแต่|โทษ",
    "amount": r"บาท|ร้อยละ|จำนวน|ไม่เกิน|ไม่น้อยกว่า|[0-9๐-๙]",
    "when": r"ภายใน|วัน|เดือน|ปี|ตั้งแต่|นับแต่|ก่อน|ครั้ง|วาระ|ใช้บังคับ|[0-9๐-๙]",
    "where": r"(?<![ก-๙])ณ\s|โรงแรม|ห้อง|อาคาร|ตึก|ชั้น|ศูนย์ประชุม|ทำเนียบ|จังหวัด|สถานที่",
    "who": r"เป็นประธาน|ประธาน|รัฐมนตรี|เลขาธิการ|สำนักงาน|คณะกรรมการ|ผู้|นาย|นาง|ดร\.|หน่วยงาน|รักษาการ",
    "yesno": r"เว้นแต่|ไม่ใช้บังคับ|ห้าม|มิให้|ต้อง|ให้ถือว่า|ไม่ได้|ได้|มิได้|ทั้งนี้",
    "list": r"ดังต่อไปนี้|ได้แก่|ประกอบด้วย|[0-9๐-๙]",
    "definition": r"หมายความว่า|หมายถึง",
    "purpose": r"เพื่อ|โดยที่|สมควร|จำเป็น",
    "how": r"โดย|ให้|ต้อง|วิธี",
}
_CUE_RES = {name: re.compile(pattern) for name, pattern in _CUES.items()}
# A reference to a section, paragraph or item ("มาตรา ๑๘ (๔) (๕) และ (๘)", "วรรคสอง", "(๓)"): its
# digits are not the number, date or list an intent asks for.
_REFERENCE = re.compile(r"(?:มาตรา|ม\.)\s*[0-9๐-๙]+(?:/[0-9๐-๙]+)?"
                        r"(?:\s*(?:\(\s*[0-9๐-๙ก-ฮ]{1,3}\s*\)|และ|หรือ))*|"
                        r"\(\s*[0-9๐-๙]{1,3}\s*\)|วรรค(?:หนึ่ง|สอง|สาม|สี่|ห้า|หก|เจ็ด|แปด|เก้า|สิบ)")
_COUNT_RE = re.compile(_COUNT)
_COUNTED = frozenset({"amount", "when", "list"})  # intents whose answer is a number with its unit


def best_clause(query: Query, passage: str, ignore: frozenset[str] = frozenset(), beyond: str = "") -> float:
    """How well the best clause group of ``passage`` answers ``query`` (see ``compose``); with
    ``beyond``, counting only what of the question that text nowhere holds (another part of the
    question, the penalty a duty's section only leads up to)."""
    phrases = [p for p in SENTENCE_BREAK.split(unwrap(passage.split("\n"))) if p.strip()]
    exclude = set(clause_features(query, ignore)(" ".join(beyond.split()))) if beyond else set()
    return best_core(phrases, clause_scores(query, ignore, phrases), [False] * len(phrases), exclude)[0]


def clause_scores(query: Query, ignore: frozenset[str], phrases: list[str]) -> list[dict[str, float]]:
    """What of the question each phrase holds (see ``clause_features``). A label the question names
    ("ยุทธศาสตร์ที่ 4") marks the text under it too, up to the next label of that noun: the
    target "ภายในปี 2568" of ยุทธศาสตร์ที่ 4 sits a long sentence after the label."""
    features = clause_features(query, ignore)
    found = [features(p) for p in phrases]
    nouns = [noun for noun, _ in _named_labels(query)]
    if not nouns or not any("cue:label" in f for f in found):
        return found
    other = re.compile("|".join(rf"{re.escape(n)}\s*ที่\s*[0-9๐-๙]" for n in nouns))
    under = False
    for held, phrase in zip(found, phrases, strict=True):
        under = "cue:label" in held or (under and not other.search(phrase))
        if under:
            held["cue:label"] = LABEL_WEIGHT
    return found


def clause_features(query: Query, ignore: frozenset[str]):  # -> Callable[[str], dict[str, float]]
    """What of the question a clause holds, each with its weight: the question's words (those
    next to the question word count more) and the cues of the question's intents."""
    content = {w for w in content_words(query.tokens) if w not in ignore}
    asked = {loose_key(w) for w in asked_words(word_tokens(query.raw), content)}
    # An abbreviation's full form is one thing asked about, not as many words as it has: the
    # words "กสทช." adds (กระจายเสียง, โทรทัศน์, โทรคมนาคม …) share one word's weight.
    fulls = spelled_out(query.raw)
    typed = content_words(word_tokens(query.raw)) if fulls else set()
    share: dict[str, float] = {}
    for full in fulls:
        added = {loose_key(w) for w in content_words(word_tokens(full)) - typed} - {""}
        share |= {w: min(share.get(w, 1.0), 1 / len(added)) for w in added}
    words = {loose_key(w) for w in content} - {""}
    cues = [(i, _CUE_RES[i]) for i in query.intents if i in _CUE_RES]
    if _COUNTED & set(query.intents):
        cues.append(("count", _COUNT_RE))
    # A label the question names ("ยุทธศาสตร์ที่ 1", "ระยะที่ 2") marks the clause it asks about.
    for noun, number in _named_labels(query):
        cues.append(("label", re.compile(
            rf"{re.escape(noun)}\s*ที่\s*(?:{number}|{number.translate(_THAI_DIGITS)})(?![0-9๐-๙])")))

    def features(phrase: str) -> dict[str, float]:
        key = loose_key(phrase)
        held = {w: float(ASKED_WEIGHT if w in asked else share.get(w, 1)) for w in words if w in key}
        bare = _REFERENCE.sub(" ", phrase)
        held.update({f"cue:{name}": LABEL_WEIGHT if name == "label" else CUE_WEIGHT
                     for name, cue in cues if cue.search(phrase if name == "label" else bare)})
        return held

    return features


def best_core(phrases: list[str], found: list[dict[str, float]], in_focus: list[bool],
               exclude: set[str] | frozenset[str] = frozenset()) -> tuple[float, int, int]:
    """The run of phrases (within ``CORE_CHARS``) holding the most of the question, each word and
    cue counted once: (score, first, end). A fact often sits a few phrases after the words that
    name it ("ให้มีการทบทวนแผน … ทั้งนี้ อย่างน้อยปีละหนึ่งครั้ง"), so phrases are scored together, not
    one by one. Keys in ``exclude`` (what another run already holds) do not count. The run of the
    passage the search ranked first wins ties, then the earlier (a news item's lead paragraph
    comes before its repetitions), then the shorter."""
    best, best_key = (0.0, 0, 0), (0.0, 0, 0)
    for i, phrase in enumerate(phrases):
        union = {k: v for k, v in found[i].items() if k not in exclude}
        if not union:
            continue
        size, end, score = len(phrase), i + 1, sum(union.values())
        j, length = i + 1, len(phrase)
        while j < len(phrases) and length + 1 + len(phrases[j]) <= CORE_CHARS:
            length += 1 + len(phrases[j])
            new = {k: v for k, v in found[j].items() if k not in exclude and k not in union}
            j += 1
            if new:
                union.update(new)
                size, end, score = length, j, sum(union.values())
        total = score + (FOCUS_BONUS if any(in_focus[i:end]) else 0.0)
        key = (total, -i, -size)
        if key > best_key:
            best, best_key = (total, i, end), key
    return best


def _named_labels(query: Query) -> list[tuple[str, str]]:
    """The labels the question names, as (noun, number): ("ยุทธศาสตร์", "4") for "ยุทธศาสตร์ที่ 4";
    "วันที่ 3" is a date, not a label."""
    found = _NAMED_LABEL.finditer(arabic_digits(query.raw))
    return [(noun, m.group(2)) for m in found if (noun := word_tokens(m.group(1))[-1]) != "วัน"]


def unwrap(lines: list[str]) -> str:
    """Join wrapped lines: a line that does not start a list item continues the previous one."""
    out: list[str] = []
    for line in lines:
        if out and not ITEM_LABEL.match(line):
            out[-1] += " " + line
        else:
            out.append(line)
    return "\n".join(out)
