"""Definitions found in the documents, extracted at index time for /define, /terms and quizzes.

Four shapes cover Thai policy documents and Acts:
- an Act's definition section: “รัฐบาลดิจิทัล” หมายความว่า …
- a guideline's list of terms: 2) Connected Government หมายถึง …
- a Thai term with its English name: รัฐบาลเปิด (Open Government) หมายถึง …
- a body an Act sets up and names short: ให้มีคณะกรรมการ … เรียกโดยย่อว่า “กกม.” (the abbreviation
  means the full name)
"""

import re
from dataclasses import dataclass, field

from .chunking import ITEM_LABEL
from .documents import Chunk
from .thai_text import compact

MAX_DEFINITIONS = 6  # per lookup
_VERB = r"(?:หมายความว่า|หมายถึง)"
_LABEL = r"(?:[-•*]\s*)?(?:\(?[0-9๐-๙]{1,2}[.)]\s*)?"
_EN = r"[A-Za-z][A-Za-z0-9\- ]{1,60}?"  # an English term
# “term” (English)? [up to 150 characters of wording] หมายความว่า meaning
_QUOTED = re.compile(
    rf"“([^”\n]{{2,80}})”\s*(?:\(([A-Za-z][^()\n]{{1,60}})\))?[^“”\n]{{0,150}}?{_VERB}\s*(?:{_VERB}\s*)?(.*)")
# 1) E-government หรือ Electronic Government หมายถึง meaning
_LATIN = re.compile(
    rf"^{_LABEL}({_EN})\s*(?:หรือ\s+({_EN})\s*)?{_VERB}\s*(.+)")
# รัฐบาลเปิด (Open Government) หมายถึง meaning
_LIST_LEAD = ("ดังต่อไปนี้", ":")
# A meaning's line ending on a word that joins it to what follows goes on in the next paragraph
# (the guideline wraps "… (C2G) ระหว่าง" / "รัฐบาลกับหน่วยงานภาครัฐ (G2G) …" over a blank line).
_RUNS_ON = re.compile(r"(?:ระหว่าง|และ|หรือ|(?<!สิ่ง)ของ|ซึ่ง|โดย|(?<!กำ)กับ|แก่|(?<!ติด)(?<!เชื่อม)ต่อ|อาทิ|เช่น|,)$")
# ให้มีคณะกรรมการคณะหนึ่งเรียกว่า “<name>” เรียกโดยย่อว่า “<abbreviation>” (also without the quotes)
_ABBREVIATED = re.compile(r"(?:ให้มี|ว่า)\s*“?([^“”]{4,120}?)”?\s*เรียกโดยย่อว่า\s*“([^”]{2,20})”")
_THAI = re.compile(
    rf"^{_LABEL}([ก-๙A-Za-z0-9\-]{{2,40}})\s*(?:\(([A-Za-z][^()\n]{{1,60}})\))?\s*{_VERB}\s*(.+)")


@dataclass
class Definition:
    """A term and what the document says it means."""

    term: str
    meaning: str  # the text after หมายความว่า / หมายถึง, to the end of its line
    doc_id: str
    chunk_id: str
    aliases: list[str] = field(default_factory=list)  # other names (English, "หรือ" forms)
    short_for: bool = False  # an abbreviation ("กกม."), whose meaning is the full name

    @property
    def keys(self) -> set[str]:
        return {term_key(t) for t in (self.term, *self.aliases)}


def term_key(term: str) -> str:
    """Comparison form of a term: no spaces or quotes, lower case, Arabic digits."""
    return compact(term.strip("“”\"'()")).lower()


def lookup(glossary: list[Definition], term: str) -> list[Definition]:
    """Definitions of ``term`` (or a name in its parentheses): exact names first, then longer
    terms that contain it ("รัฐบาลดิจิทัล" also finds "การปรับเปลี่ยนภาครัฐเป็นรัฐบาลดิจิทัล")."""
    names = [term, *re.findall(r"\(([^()]+)\)", term), re.sub(r"\([^()]*\)", "", term)]
    keys = {term_key(n) for n in names if len(term_key(n)) >= 2}
    exact = [d for d in glossary if d.keys & keys]
    wider = sorted((d for d in glossary if d not in exact and any(
        len(k) >= 3 and any(k in dk for dk in d.keys) for k in keys)), key=lambda d: len(d.term))
    return (exact + wider)[:MAX_DEFINITIONS]


def extract_definitions(chunks: list[Chunk]) -> list[Definition]:
    """Every definition in ``chunks``, once per (document, term). A definition whose meaning is a
    numbered list ("“ผู้ให้บริการ” หมายความว่า" then "(๑) …", "(๒) …") takes the items that
    follow it, also from the next chunk of the same document."""
    out: list[Definition] = []
    seen: set[tuple[str, str]] = set()
    pending: Definition | None = None  # a definition still collecting its list items
    wrapped: Definition | None = None  # a meaning whose line ends mid-sentence ("… (C2G) ระหว่าง")
    for chunk in chunks:
        if pending is not None and pending.doc_id != chunk.doc_id:
            _finish(pending, out)
            pending = None
        if wrapped is not None and wrapped.doc_id != chunk.doc_id:
            wrapped = None
        for line in (raw.strip() for raw in chunk.text.split("\n")):
            if wrapped is not None and line:
                if not ITEM_LABEL.match(line) and not line.startswith("มาตรา") and _definition(line) is None:
                    wrapped.meaning = f"{wrapped.meaning} {line}"  # one paragraph more, no further
                    wrapped = None
                    continue
                wrapped = None
            if pending is not None and ITEM_LABEL.match(line):
                pending.meaning = f"{pending.meaning} {line}".strip()
                continue
            if pending is not None:
                _finish(pending, out)
                pending = None
            found = _definition(line)
            if found is None:
                continue
            term, aliases, meaning = found
            key = (chunk.doc_id, term_key(term))
            if key in seen:
                continue
            definition = Definition(term, meaning, chunk.doc_id, chunk.chunk_id, aliases)
            seen.add(key)
            if len(meaning) < 10 or meaning.endswith(_LIST_LEAD):
                pending = definition
            else:
                out.append(definition)
                wrapped = definition if _RUNS_ON.search(meaning) else None
        for m in _ABBREVIATED.finditer(" ".join(chunk.text.split())):  # may run over lines
            name, short = m.group(1).strip(), m.group(2).strip()
            key = (chunk.doc_id, term_key(short))
            if key not in seen:
                seen.add(key)
                out.append(Definition(short, name, chunk.doc_id, chunk.chunk_id, short_for=True))
    if pending is not None:
        _finish(pending, out)
    return out


def _finish(definition: Definition, out: list[Definition]) -> None:
    """Keep a list-shaped definition once it has its items (or its own words suffice)."""
    if len(definition.meaning) >= 10:
        out.append(definition)


def _definition(line: str) -> tuple[str, list[str], str] | None:
    for pattern in (_LATIN, _THAI, _QUOTED):
        m = pattern.search(line) if pattern is _QUOTED else pattern.match(line)
        if m:
            term, alias, meaning = (g.strip() if g else g for g in m.groups())
            return term, [alias] if alias else [], meaning
    return None
