"""Understand a Thai chat question well enough to search with it.

Chat Thai mixes spelling variants (ดิจิตอล), English terms (E-government), abbreviations (ครม.),
polite particles and filler (ครับ, หน่อย) and either digit system ("มาตรา 15" / "มาตรา ๑๕").
"""

import re
import unicodedata
from dataclasses import dataclass, field

from pythainlp.tokenize import word_tokenize

from index.thai_text import arabic_digits, collapse_spaces
from index.tokens import toneless, word_tokens

from .data_files import data_lines
from .intent import intents

# Common misspellings/transliterations → the spelling used in official documents.
_VARIANTS = [
    (re.compile(r"ดิจิ(?:ตอล|ตัล|ทอล|ทัล)"), "ดิจิทัล"),
    (re.compile(r"อิเล็?[คก]?ทรอนิ(?:[คก]ส์?|ค)"), "อิเล็กทรอนิกส์"),
    (re.compile(r"ไซเบอ(?!ร์)"), "ไซเบอร์"),
    (re.compile(r"อีเมล์"), "อีเมล"),
    (re.compile(r"\be[\s-]?gov(?:ernment)?\b", re.IGNORECASE), "E-government"),
    (re.compile(r"\bopen[\s-]?data\b", re.IGNORECASE), "Open data"),
    (re.compile(r"\bopen[\s-]?gov(?:ernment)?\b", re.IGNORECASE), "Open Government"),
    (re.compile(r"\bsmart[\s-]?gov(?:ernment)?\b", re.IGNORECASE), "Smart Government"),
    (re.compile(r"\bconnected[\s-]?gov(?:ernment)?\b", re.IGNORECASE), "Connected Government"),
]

# Abbreviations → what the documents write out (``data/abbreviations.tsv``); the abbreviation is kept.
_ABBREVIATIONS = dict(line.split("\t", 1) for line in data_lines("abbreviations.tsv"))
_ABBREV_RE = re.compile(
    "|".join(
        rf"(?<![ก-๙A-Za-z]){re.escape(k)}(?![ก-๙A-Za-z])" if k[-1] != "." else re.escape(k)
        for k in sorted(_ABBREVIATIONS, key=len, reverse=True)
    )
)
# Chat words → the documents' wording (``data/chat_terms.tsv``): English whole words, any case;
# Thai (no spaces between words) anywhere.
_CHAT_TERMS = {k.lower(): v for k, v in (line.split("\t", 1) for line in data_lines("chat_terms.tsv"))}
_CHAT_RE = re.compile(
    "|".join(
        rf"(?<![A-Za-z]){re.escape(k)}(?![A-Za-z])" if k.isascii() else re.escape(k)
        for k in sorted(_CHAT_TERMS, key=len, reverse=True)
    ),
    re.IGNORECASE,
)
_EXPLAINED = frozenset(_CHAT_TERMS) | {k.lower() for k in _ABBREVIATIONS}  # see ``explained``
# A Buddhist-era year or range written short ("แผน 63-65", "ปี 66–70", "เมษา 64"): the documents
# write "2563 - 2565", "พ.ศ. 2566".
_SHORT_YEARS = re.compile(r"(?<![0-9./:])([4-9][0-9])(?:\s*[-–]\s*([4-9][0-9]))?(?![0-9./:%])")
_YEAR_CONTEXT = re.compile(r"(?:ปี|พ\.\s?ศ\.|พศ|แผน|ฉบับ|ม\.?ค|ก\.?พ|มี\.?ค|เม\.?ย|เมษา|พ\.?ค|มิ\.?ย|"
                           r"ก\.?ค|ส\.?ค|ก\.?ย|ต\.?ค|พ\.?ย|ธ\.?ค)\.?\s*$")


# Particles and filler that carry no content in a question.
_FILLER = re.compile(
    r"(?:ครับผม|ครับ|ค่ะ|คะ|คับ|จ้ะ|จ้า|นะคะ|นะครับ|หน่อย|ด้วย(?=\s*$)|ขอถาม|อยากทราบว่า|อยากทราบ|"
    r"อยากรู้ว่า|อยากรู้|ช่วยบอก|รบกวน|สอบถาม|ได้ไหม|ได้มั้ย|ไหม|มั้ย|เหรอ|หรอ|ล่ะ|อ่ะ|อะ(?=\s|$)|"
    r"[?？!！]+)"
)
_SECTION_REF = re.compile(r"(?:มาตรา|ม\.)\s*([0-9]+(?:/[0-9]+)?)")
_LIST_INTENT = re.compile(r"อะไรบ้าง|มีอะไร|ได้แก่|กี่(?:ประการ|ข้อ|เรื่อง|ด้าน|กลุ่ม|ประเภท|ระยะ|เป้าหมาย)|"
                          r"ประกอบด้วย|บ้าง|ใครบ้าง|มีกี่|ขอรายชื่อ")
_DEFINITION_INTENT = re.compile(r"คือ\s*\??\s*$|คืออะไร|หมายถึง|หมายความว่า|ความหมาย|นิยาม|แปลว่า")


_DEFINITION_SUBJECT = re.compile(
    # "แล้วคำว่า X ล่ะ หมายถึงอะไร": a follow-up's words around the term ("ส่วน" only as a word of its
    # own, not the start of "ส่วนราชการ"; "ละ"/"นะ" only after a space, not the end of "สถานะ").
    r"^(?:(?:แล้ว|งั้น|ส่วน(?=\s|คำว่า))\s*)?(?:ความหมายของ|นิยามของ|คำนิยามของ|คำว่า|นิยาม|(?:ตาม|ใน|ของ)(?=\s))?"
    r"\s*(.+?)(?:\s*ล่ะ|\s+(?:ละ|นะ))?\s*"
    r"(?:มีความหมายว่าอย่างไร|หมายความว่าอย่างไร|หมายความว่าอะไร|หมายถึงอะไร|หมายถึง|หมายความว่า|"
    r"หมายความว่ายังไง|หมายถึงยังไง|คืออะไร|คือ|แปลว่าอะไร|แปลว่า|ว่าอย่างไร|ว่ายังไง)?"
    r"\s*(?:ครับ|ค่ะ|คะ|คับ|จ้า|นะ|ล่ะ)*\s*$")
# Where the question says whose definition it wants ("… ตาม พ.ร.บ.คอม", "… ในแนวทางของ ก.พ."):
# the document, not part of the term.
_DEFINITION_SOURCE = re.compile(
    r"\s*(?:ตาม|ใน|ของ)\s*(?:พ\.?\s?ร\.?\s?[บกฎ]|พรบ|พรก|พระราช|กฎหมาย|แนวทาง|ประกาศ|ระเบียบ|แผน|"
    r"สำนักงาน|ข่าว).*$")


@dataclass
class Query:
    """A normalised question: text for the dense model, tokens for BM25, and intent."""

    raw: str
    text: str
    tokens: list[str]
    section: str | None  # "15" when the question names มาตรา 15 / มาตรา ๑๕
    wants_list: bool
    wants_definition: bool
    intents: list[str] = field(default_factory=list)  # see retrieval.intent
    toneless_tokens: list[str] = field(default_factory=list)  # for the tone-free BM25 field
    named: list | None = None  # documents it names, set by Retriever.resolve
    near: int | None = None  # row of the passage a follow-up continues from (the conversation's place)


def strip_invisible(text: str) -> str:
    """``text`` without format characters (Unicode category Cf: zero-width space and joiners,
    BOM, bidi marks, soft hyphen). Thai letters, vowels and tone marks are never Cf, so nothing
    Thai needs is lost; no compatibility normalisation (NFKC) is applied."""
    return "".join(ch for ch in text if unicodedata.category(ch) != "Cf")


def strip_filler(text: str) -> str:
    """``text`` without polite particles and filler, removed only as whole words: "คะ" goes from
    "กี่คนคะ" but stays in "คะแนน", as "คับ" in "บังคับ" and "จ้า" in "เจ้าหน้าที่"."""
    found = list(_FILLER.finditer(text))
    if not found:
        return text
    bounds, at = {0}, 0
    for word in word_tokenize(text, engine="newmm", keep_whitespace=True):
        at += len(word)
        bounds.add(at)
    out, start = [], 0
    for m in found:
        # punctuation (?, !) is removed wherever it stands
        if (m.start() in bounds and m.end() in bounds) or not re.search(r"[ก-๙A-Za-z]", m.group()):
            out.append(text[start : m.start()] + " ")
            start = m.end()
    return "".join(out) + text[start:]


def normalise_spelling(text: str) -> str:
    """Common misspellings and transliterations in their official spelling ("ดิจิตอล" → "ดิจิทัล")."""
    for pattern, replacement in _VARIANTS:
        text = pattern.sub(replacement, text)
    return text


def full_years(text: str) -> str:
    """``text`` with each short Buddhist-era range ("63-65") and each short year after a year
    word or a month ("ปี 66", "เม.ย. 64") in its full form ("2563-2565"), as the documents write
    it (the short form kept beside it would be a word no passage holds)."""
    def expand(m: re.Match[str]) -> str:
        first, last = m.group(1), m.group(2)
        if (last and int(last) <= int(first)) or (not last and not _YEAR_CONTEXT.search(text[: m.start()])):
            return m.group(0)
        return f"{m.group(0)} 25{first}-25{last}" if last else f"25{first}"

    return _SHORT_YEARS.sub(expand, text)


def _with_wording(word: str, question: str) -> str:
    """A chat ``word`` followed by the documents' wording for it, unless the question has it."""
    wording = _CHAT_TERMS[word.lower()]
    return word if wording in question else f"{word} {wording} "


def parse_query(question: str) -> Query:
    """Normalise a chat question (spelling, abbreviations, particles, digits) for search."""
    question = strip_invisible(question)
    text = _spelled(question)
    text = _ABBREV_RE.sub(lambda m: f"{m.group(0)} {_ABBREVIATIONS[m.group(0)]}", text)
    text = full_years(text)
    text = _CHAT_RE.sub(lambda m: _with_wording(m.group(0), text), text)
    text = collapse_spaces(strip_filler(text)) or collapse_spaces(question)
    digits = arabic_digits(text)
    section = _SECTION_REF.search(digits)
    return Query(
        raw=question,
        text=text,
        tokens=word_tokens(text),
        section=section.group(1) if section else None,
        wants_list=bool(_LIST_INTENT.search(question)),
        wants_definition=bool(_DEFINITION_INTENT.search(question)),
        intents=intents(question),
        toneless_tokens=word_tokens(toneless(text)),
    )


def explained(word: str) -> bool:
    """Whether ``word`` is an abbreviation or chat term the search reads in the documents' words
    ("depa", "ISP", "sniff")."""
    return word.lower() in _EXPLAINED


def spelled_out(question: str) -> list[str]:
    """The full forms of the abbreviations ``question`` uses ("กสทช." → "สำนักงานคณะกรรมการกิจการ
    กระจายเสียง …"), as ``parse_query`` adds them to the search text."""
    return [_ABBREVIATIONS[m.group(0)] for m in _ABBREV_RE.finditer(_spelled(question))]


def _spelled(question: str) -> str:
    """``question`` without invisible characters and runs of spaces, in the documents' spelling."""
    return normalise_spelling(collapse_spaces(strip_invisible(question)))


def definition_subject(question: str) -> str:
    """The term a definition question asks about ("Open Data คืออะไร" → "Open Data")."""
    m = _DEFINITION_SUBJECT.match(question.strip().strip("?？ "))
    term = (m.group(1) if m else question).strip("“”\"' ")
    return _DEFINITION_SOURCE.sub("", term) or term
