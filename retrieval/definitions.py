"""The definition a question asks about, out of the definitions section its answer cites.

An Act's definitions section ("มาตรา ๓ ในพระราชบัญญัตินี้ “…” หมายความว่า …") runs to thousands of
characters, and the clauses that share a question's words are mostly other terms' definitions
that mention the asked term. The index's glossary (``index.glossary``) knows where each term is
defined, so the answer can quote the one asked about whole.
"""

import re

from index.glossary import Definition
from index.store import PublishedIndex
from index.tokens import loose_key

from .compose import MAX_ANSWER_CHARS, SLACK_CHARS, clip, section_span
from .query import Query

DEFINING_INTENTS = frozenset({"definition", "yesno", "list"})  # answered by a definition the question names
MIN_TERM = 4  # the shortest defined term (without spaces or tone marks) a question is taken to ask about
# Items of a definition written as a list ("(๑) …", "(ก) …") each start a line.
ITEM_START = re.compile(r"\s+(?=\((?:[0-9๐-๙]{1,2}|[ก-ฮ])\)\s)")


def asked_definition(index: PublishedIndex, query: Query, position: int) -> str | None:
    """The definition of the term a definition, yes/no or list question holds ("ข้อมูลข่าวสาร
    ส่วนบุคคลหมายถึงอะไร", "ศาลถือเป็นหน่วยงานของรัฐไหม"), when the passage at ``position`` belongs
    to the section defining it. An Act's definitions section runs to thousands of characters, and
    the clauses sharing the question's words are mostly other terms' definitions that mention it.
    The term named first wins (the subject leads a Thai question), then the longest
    ("ข้อมูลข่าวสารส่วนบุคคล" over "ข้อมูลข่าวสาร"); the words naming the document
    ("พ.ร.บ.การรักษาความมั่นคงปลอดภัยไซเบอร์") are not a term asked about."""
    if not set(query.intents[:1]) & DEFINING_INTENTS and not (query.wants_definition and not query.intents):
        return None
    first, last = section_span(index.chunks, position)
    rows = {index.chunks[i].chunk_id for i in range(first, last + 1)}
    asked = [query.raw, query.text]
    for named in query.named or []:
        asked = [q.replace(named.mention, " ") for q in asked]
    keys = [loose_key(q) for q in asked]

    def place(d: Definition) -> tuple[int, int]:  # where the question names it, and how long the name is
        found = [(q.find(k), -len(k)) for k in map(loose_key, (d.term, *d.aliases)) if len(k) >= MIN_TERM
                 for q in keys if k in q]
        return min(found, default=(-1, 0))

    # A body's short name answers "what is กกม.", not whether someone sits on it.
    held = [(place(d), d) for d in index.glossary if d.chunk_id in rows
            and (query.wants_definition or not d.short_for)]
    held = [(at, d) for at, d in held if at[0] >= 0]
    if not held:
        return None
    best = min(held, key=lambda h: h[0])[1]
    return clip(f"“{best.term}” หมายความว่า {ITEM_START.sub(chr(10), best.meaning)}",
                MAX_ANSWER_CHARS + SLACK_CHARS)
