"""Documents named in questions: the collection's own (by title, Act unit or alias) and laws it lacks.

People name a law the way they say it: "พ.ร.บ.ข้อมูลข่าวสาร", "พรบ คอม", "พระราชบัญญัติการรักษา
ความมั่นคงปลอดภัยไซเบอร์ พ.ศ. 2562", "PDPA". A mention is a statute word (พ.ร.บ., พรบ, พ.ร.ก.,
ระเบียบสำนักนายกรัฐมนตรี …) followed by a name, or an alias written anywhere (Latin acronyms and
English names). Names are compared in a compact form (no spaces, Arabic digits, without the statute
word, the year and "ว่าด้วย"/"การ") by their common prefix, so a shortened name ("ข้อมูลข่าวสาร")
finds the full one ("ข้อมูลข่าวสารของราชการ") and a name followed by the question without a space
still matches.

The names of laws the collection lacks come from ``data/law_titles.txt`` (the Council of State's
list) and ``data/law_names_extra.tsv`` (regulations, recent Acts and acronyms the list misses).
"""

import re
from dataclasses import dataclass, field
from functools import lru_cache

from index.documents import DocumentInfo
from index.thai_text import arabic_digits, collapse_spaces, compact
from index.tokens import loose_key

from .data_files import data_lines

# Rules and announcements, named by who issues them ("ประกาศกระทรวงดีอี"): not an Act of that body.
_ISSUED = r"กฎกระทรวง|ประกาศ(?:กระทรวง|คณะกรรมการ|สำนักงาน|กรม)"
# Statute words people write before a law's name, longest first.
_STATUTE = (r"พระราชบัญญัติ|พ\.\s?ร\.\s?บ\.?|พรบ\.?|พระราชกำหนด|พ\.\s?ร\.\s?ก\.?|พรก\.?|"
            r"พระราชกฤษฎีกา|พ\.\s?ร\.\s?ฎ\.?|พรฎ\.?|ประมวลกฎหมาย|กฎหมาย(?=ว่าด้วย)|"
            r"ระเบียบ(?=สำนักนายก|กระทรวง|กรม|คณะกรรมการ|ก\.\s?พ|งาน|การลา|ว่าด้วย|ข้าราชการ)|"
            rf"กฎ\s?ก\.\s?พ\.?|{_ISSUED}")
_MENTION = re.compile(rf"(?:{_STATUTE})[\s.]*([^\s?？!]*)")
# "กฎหมาย" alone is the word for law in general ("ตามกฎหมายกำหนด"): it names a law only when the
# words after it are the name of a known law the collection lacks ("กฎหมายฟอกเงิน",
# "กฎหมายเรื่องลิขสิทธิ์").
_LAW_WORD = re.compile(r"(?<!ประมวล)กฎหมาย(?!ว่าด้วย)(?:เรื่อง|เกี่ยวกับ)?[\s.]*([^\s?？!]*)")
_YEAR_AFTER = re.compile(r"^\s*(?:\(?ฉบับที่\s*[0-9๐-๙]+\)?\s*)?(?:พ\.\s?ศ\.\s*|พศ\.?\s*|ปี\s*)?"
                         r"[0-9๐-๙]{2,4}(?![0-9๐-๙])")
_EDITION = re.compile(r"\(?ฉบับที่\s*([0-9๐-๙]+)\)?")
_LATIN = re.compile(r"[A-Za-z]")
# Mentions that point back at "this Act" rather than naming one.
_GENERIC = re.compile(r"^(?:นี้|ฉบับนี้|ดังกล่าว|ฯ|ที่|ทุกฉบับ|อะไร|ไหน|ใด|ตัวนี้|ตาม|$)")
# A court named after a law ("ศาลรัฐธรรมนูญ", "ศาลแรงงาน") is not the law.
_COURT = "ศาล"
_MARK = re.compile("[\u0e31\u0e34-\u0e3a\u0e47-\u0e4e]")  # Thai vowel and tone marks over or under a letter
_UPDATED = loose_key("(ฉบับ Update ล่าสุด)")
MIN_PREFIX = 4  # characters of a name that must agree
MIN_NAME = 3  # shortest name that counts when matched whole ("คอม")


@dataclass
class Named:
    """A document or law a question names."""

    mention: str  # the words of the question that name it (statute word and name)
    doc_ids: list[str] = field(default_factory=list)  # documents of the collection it is
    title: str = ""  # the law's title when the collection lacks it
    edition: str | None = None  # "2" for "(ฉบับที่ ๒)"
    year: str | None = None  # the Buddhist-era year written after the name ("2544"; "44", "2001" too)

    @property
    def missing(self) -> bool:
        """The question names a law that is not in the collection."""
        return not self.doc_ids


def name_key(name: str) -> str:
    """Comparison form of a law's name: compact, without statute word, year, edition, ฯ, dots."""
    key = loose_key(name)  # "ขอมูลขาวสาร" is "ข้อมูลข่าวสาร" typed without tone marks
    key = re.sub(rf"^(?:{_STATUTE}|กฎหมาย)", "", key)  # "กฎหมายคุ้มครองแรงงาน" as a law calls it
    key = _EDITION.sub("", key)
    key = key.replace(_UPDATED, "")  # the Council of State's list marks consolidated texts
    key = key.replace("ฯ", "").replace(".", "").strip()
    key = re.sub(r"(?:พศ|พุทธศักราช)?[0-9]{4}$", "", key)
    return re.sub(r"^ว่าด้วย", "", key)


def _variants(key: str) -> set[str]:
    # People drop the nominaliser "การ": "พรบ บริหารงานและให้บริการภาครัฐ…" for "การบริหารงานและการให้…".
    return {k for k in (key, re.sub(r"^การ", "", key), re.sub(r"(?:^|(?<=และ)|(?<=หรือ))การ", "", key))
            if len(k) >= 2}


@dataclass
class Catalogue:
    """Names of the collection's documents and of the laws it lacks, ready for matching."""

    own: dict[str, set[str]]  # name key → doc ids
    own_anywhere: dict[str, set[str]]  # aliases recognised anywhere in a question → doc ids
    external: dict[str, str]  # name key → title of a law the collection lacks
    external_anywhere: dict[str, str]  # Latin aliases and Thai names distinctive enough alone
    issued: set[str] = field(default_factory=set)  # doc ids that are rules or announcements


def catalogue(documents: dict[str, DocumentInfo]) -> Catalogue:
    """Names of ``documents`` (titles, Act units, aliases) and of the laws they are not."""
    own: dict[str, set[str]] = {}
    own_anywhere: dict[str, set[str]] = {}
    for doc in documents.values():
        for name in [doc.title, *doc.aliases]:
            for key in _variants(name_key(name)):
                own.setdefault(key, set()).add(doc.doc_id)
        for alias in doc.aliases:  # Thai names need a statute word before them, Latin ones do not
            if _LATIN.search(alias):
                own_anywhere.setdefault(collapse_spaces(alias).lower(), set()).add(doc.doc_id)
    external: dict[str, str] = {}
    external_anywhere: dict[str, str] = {}
    for title, aliases, anywhere in _law_names():
        for name in [title, *aliases]:
            for key in _variants(name_key(name)):
                if key not in own:
                    external.setdefault(key, title)
        for alias in [a for a in aliases if _LATIN.search(a)] + anywhere:
            if collapse_spaces(alias).lower() not in own_anywhere:
                external_anywhere.setdefault(collapse_spaces(alias).lower(), title)
    issued = {d.doc_id for d in documents.values() if re.match(_ISSUED, d.title)}
    return Catalogue(own, own_anywhere, external, external_anywhere, issued)


def named_documents(question: str, names: Catalogue) -> list[Named]:
    """The documents and laws ``question`` names, in order of mention."""
    found: list[Named] = []
    edition = (m := _EDITION.search(question)) and m.group(1)
    for m in _MENTION.finditer(question):
        words = m.group(1)
        if _GENERIC.match(compact(words)):
            continue
        named = _resolve(m.group(0), words, names)
        if re.match(_ISSUED, m.group(0)) and (named is None or not set(named.doc_ids) & names.issued):
            named = Named(m.group(0).strip(), [], m.group(0).strip())  # no such rule in the collection
        year = _YEAR_AFTER.match(question[m.end():])
        if named and year and named.mention == m.group(0).strip():
            named.mention += year.group(0)  # the year belongs to the name, not to the question
            named.year = _buddhist_year(re.findall(r"[0-9]+", arabic_digits(year.group(0)))[-1])
        if named:
            named.edition = compact(edition) if edition else None
            found.append(named)
    for m in _LAW_WORD.finditer(question):
        named = _known_lacking(m.group(0), m.group(1), names)
        if named and not any(set(named.doc_ids) & set(n.doc_ids) or (named.title and n.title == named.title)
                             for n in found):
            found.append(named)
    text = collapse_spaces(question).lower()
    for alias, ids in names.own_anywhere.items():
        if _contains(text, alias) and not any(set(ids) & set(n.doc_ids) for n in found):
            found.append(Named(alias, sorted(ids)))
    for alias, title in names.external_anywhere.items():
        if _contains(text, alias) and not any(n.title == title for n in found):
            found.append(Named(alias, [], title))
    return found


def _buddhist_year(digits: str) -> str:
    """"2544" from "2544", "44" or "2001"."""
    if len(digits) == 2:
        return "25" + digits
    return str(int(digits) + 543) if digits.startswith(("19", "20")) else digits


def _contains(text: str, alias: str) -> bool:
    return re.search(rf"(?<![a-z])(?<!{_COURT}){re.escape(alias)}(?![a-z])", text) is not None


def _resolve(mention: str, words: str, names: Catalogue) -> Named | None:
    """The best-matching name for the word after a statute word. A law whose name matches no
    document of the collection and none of the known laws is still "missing" unless its name
    overlaps one of the collection's names (then it is ambiguous and search decides)."""
    key = name_key(words)
    if len(key) < 2:
        return None
    head = name_key(words.split("ฯ")[0])  # "ธุรกรรมฯ": the abbreviated name ends at ฯ
    best_own, own_ids = _best(key, head, names.own)
    best_ext, ext_title = _best(key, head, names.external)
    if best_own and best_own >= best_ext:
        return Named(_consumed(mention, words, best_own), sorted(own_ids))
    if best_ext:
        return Named(_consumed(mention, words, best_ext), [], ext_title)
    if any(len(k) >= MIN_PREFIX and (k in head or head in k) for k in names.own):
        return None
    return Named(mention.strip(), [], mention.strip())


def _known_lacking(mention: str, words: str, names: Catalogue) -> Named | None:
    """The law the collection lacks whose whole name the words after a bare "กฎหมาย" start with
    ("กฎหมายป้องกันและปราบปรามการฟอกเงิน"). A part of a name is not enough after so common a
    word ("กฎหมายโรงเรียนในแอฟริกาใต้" is not the Private Schools Act), nor is a name one of the
    collection's matches as well ("กฎหมายไซเบอร์" is left to search)."""
    key = name_key(words)
    whole = [name for name in names.external if len(name) >= MIN_PREFIX and key.startswith(name)]
    if not whole:
        return None
    name = max(whole, key=len)
    if _best(key, key, names.own)[0] >= len(name):
        return None
    return Named(_consumed(mention, words, len(name)), [], names.external[name])


def _consumed(mention: str, words: str, strength: int) -> str:
    """The statute word and as much of ``words`` as the matched name covers (a name can run
    into the question without a space: "พรบ.คอมห้ามอะไร")."""
    statute = mention[: len(mention) - len(words)]
    for end in range(1, len(words) + 1):
        if len(name_key(words[:end])) >= strength:
            # the name's last letter keeps its marks ("ไซเบอร์"): the key was compared without them
            while end < len(words) and (words[end] in "ฯ." or _MARK.match(words[end])):
                end += 1
            return (statute + words[:end]).strip()
    return mention.strip()


def _best(key: str, head: str, table: dict) -> tuple[int, object]:
    """Length of the longest agreement between the question's words and a name of ``table``,
    and its value. A name agrees when the words start with the whole name, when the name starts
    with the whole word (a shortened name), or when they share a prefix covering half the name."""
    best, value = 0, None
    for name, target in table.items():
        common = _common_prefix(key, name)
        whole = common == len(name) >= MIN_NAME
        shortened = len(head) >= MIN_PREFIX and name.startswith(head)
        partial = common >= MIN_PREFIX and common >= 0.5 * len(name)
        strength = len(head) if shortened and not whole else common
        if (whole or shortened or partial) and strength > best:
            best, value = strength, target
    return best, value


def _common_prefix(a: str, b: str) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


@lru_cache(maxsize=1)
def _law_names() -> list[tuple[str, list[str], list[str]]]:
    """(title, aliases after a statute word, names recognised anywhere) of the laws listed."""
    out: list[tuple[str, list[str], list[str]]] = [(title, [], []) for title in data_lines("law_titles.txt")]
    for line in data_lines("law_names_extra.tsv"):
        title, aliases, anywhere = [*line.split("\t"), "", ""][:3]
        out.append((title.strip(), _names(aliases), _names(anywhere)))
    return out


def _names(column: str) -> list[str]:
    return [a.strip() for a in column.split(";") if a.strip()]
