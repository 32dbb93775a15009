"""Hybrid search over a published index: BM25 and dense scores fused into one ranking."""

import re
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from index.documents import ROLES, SUBSTANTIVE, Chunk
from index.embedders import Embedder, make_embedder
from index.lexical import scored_words
from index.sections import SETS_PENALTY
from index.store import IndexUnavailable, PublishedIndex
from index.thai_text import arabic_digits
from index.tokens import loose_key
from index.vectors import top_rows

from .documents import Catalogue, Named, catalogue, name_key, named_documents
from .fuse import near_duplicate, rrf
from .intent import asks_consequence, asks_reasons
from .query import Query, parse_query
from .rerank import Candidates, featurize
from .tones import ToneRestorer, tone_restorer, typed_without_tones
from .words import content_words, idf

CANDIDATES = 50
SECTION_BOOST = 0.5  # a passage of the มาตรา the question names
MIN_MENTION = 4  # shortest law name looked up in the documents' text
SCAN_ROWS = 50_000  # up to this many passages, a law name is looked up in all their text
MENTION_SHORTLIST = 500  # above it, only in the passages whose words match it best
NEAR_BOOST = 0.4  # passages around the one a follow-up continues from
NEAR_WINDOW = 8  # rows either side that count as around it
SECTION_ROWS = 200  # most passages of a named มาตรา boosted (many Acts share its number)


@dataclass
class Hit:
    """One ranked passage with the evidence behind its rank."""

    position: int  # row in the index
    chunk: Chunk
    score: float  # fused score, the ranking key
    bm25: float
    dense: float  # cosine similarity to the question
    features: np.ndarray | None = None  # the ranking model's evidence (retrieval.rerank.FEATURES)


@dataclass
class Retriever:
    """A loaded index plus the embedder it was built with.

    Search never scores or sorts every passage in Python: BM25 (over memory-mapped postings) and
    the vector index each give their top ``CANDIDATES``, and only those are fused and ranked."""

    index: PublishedIndex
    embedder: Embedder
    names: Catalogue = field(init=False, repr=False)  # names of the documents and of other laws
    document_frequency: dict[str, int] = field(init=False, repr=False)  # BM25 word → passages

    def __post_init__(self) -> None:
        if self.embedder.spec != self.index.embedder_spec:
            raise IndexUnavailable(
                f"index was built with embedder '{self.index.embedder_spec}' but "
                f"'{self.embedder.spec}' is configured: set SARABUN_EMBEDDER to match or rebuild"
            )
        self.names = catalogue(self.index.documents)
        self.document_frequency = _document_frequencies(self.index.bm25)
        store = self.index.chunks
        roles = np.asarray(store.column("role"))
        self._substantive = np.isin(roles, [ROLES.index(r) for r in SUBSTANTIVE])

    @cached_property
    def _tones(self) -> ToneRestorer:
        return tone_restorer(self.document_frequency)

    def restore_tones(self, question: str) -> str:
        """``question`` with its words written in full when it was typed without tone marks
        (``retrieval.tones``); unchanged otherwise."""
        return self._tones.restore(question) if typed_without_tones(question) else question

    def resolve(self, query: Query) -> list[Named]:
        """The documents ``query`` names (resolved once and kept on the query). A law the
        collection lacks but some of its documents write about ("อบรม PDPA" in a news item)
        stands for those documents, so search stays within them."""
        if query.named is None:
            query.named = named_documents(query.raw, self.names)
            for named in query.named:
                if named.missing:
                    named.doc_ids = self._documents_mentioning(named.mention)
        return query.named

    def _documents_mentioning(self, mention: str) -> list[str]:
        key = name_key(mention)
        if len(key) < MIN_MENTION:
            return []
        chunks = self.index.chunks
        if len(chunks) <= SCAN_ROWS:
            rows = [i for i, text in enumerate(self._loose_texts) if key in text]
        else:  # too many passages to read: only those whose words match the name
            tokens = parse_query(mention)
            shortlist, _ = top_rows(self.lexical_scores(tokens), MENTION_SHORTLIST)
            rows = [i for i in shortlist if key in loose_key(chunks[i].text)]
        return sorted({chunks[i].doc_id for i in rows})

    @cached_property
    def _loose_texts(self) -> list[str]:
        return [loose_key(c.text) for c in self.index.chunks]

    def bm25_scores(self, query: Query) -> np.ndarray:
        """BM25 score of every passage (unknown words are ignored, not errors)."""
        return _bm25(self.index.bm25, query.tokens, len(self.index.chunks))

    def lexical_scores(self, query: Query) -> np.ndarray:
        """BM25 over the words as written plus BM25 over the text without tone marks, so that
        "ขอมูลขาวสาร" finds "ข้อมูลข่าวสาร"."""
        scores = self.bm25_scores(query)
        if self.index.bm25_toneless is not None:
            scores = scores + _bm25(self.index.bm25_toneless, query.toneless_tokens, len(scores))
        return scores

    def dense_scores(self, query: Query) -> np.ndarray:
        """Cosine similarity of every passage to the question (a full scan: for baselines)."""
        if not len(self.index.vectors):
            return np.zeros(0, dtype=np.float32)
        return self.index.vectors.matrix @ self.embedder.embed_query(query.text)

    def search(self, query: Query, k: int = 10, method: str = "hybrid") -> list[Hit]:
        """Rank passages for ``query``; ``method`` is "hybrid" (the shipped ranking), or one of
        the plain baselines "bm25", "dense" and "rrf"."""
        if len(self.index.chunks) == 0:
            return []
        if method != "hybrid":
            return self._baseline(query, k, method)
        found = self.candidates(query)
        if found is None:
            return []
        scores = found.scores()
        # Boilerplate, footnotes and metadata stay citable but never rank above a substantive passage.
        order = sorted(range(len(found.rows)),
                       key=lambda j: (not self._substantive[found.rows[j]], -scores[j]))
        return self._hits([(int(found.rows[j]), scores[j], found.lexical[j], found.dense[j],
                            found.features[j]) for j in order], k)

    def candidates(self, query: Query) -> Candidates | None:
        """The first stage: the best ``CANDIDATES`` passages by BM25 and by the dense model (within
        the documents the question names), plus the มาตรา it names and the sections citing it,
        with their second-stage features (``retrieval.rerank``); None when nothing matches. The
        focus feature also holds a follow-up's boost for the passages around the last answer."""
        named = [d for d in self.resolve(query) if not d.missing]
        scope = self._scope(named)
        focused = without_names(query, named)
        lexical = self.lexical_scores(focused)
        by_lexical, _ = top_rows(lexical if scope is None else np.where(scope, lexical, -1.0), CANDIDATES)
        question = self.embedder.embed_query(focused.text)
        by_dense, _ = self.index.vectors.top(question, CANDIDATES, scope)
        boosts = self._section_boost(query, scope, lexical) | self._reasons_boost(query, scope)
        rows = np.union1d(np.union1d(by_lexical, by_dense), list(boosts)).astype(int)
        if scope is not None:
            rows = rows[scope[rows]]
        if not len(rows):
            return None
        if query.near is not None:  # a follow-up: the passages around the last answer first
            for row, value in self._nearby(query.near, scope).items():
                boosts[row] = boosts.get(row, 0.0) + value
        chunks = [self.index.chunks[int(i)] for i in rows]
        lexical_c = np.maximum(lexical[rows], 0)
        dense_c = self.index.vectors.scores(question, rows)
        n = len(self.index.chunks)
        weights = {w: idf(w, self.document_frequency, n) for w in content_words(focused.tokens)}
        texts = ([self._loose_texts[int(i)] for i in rows] if n <= SCAN_ROWS
                 else [loose_key(c.text) for c in chunks])
        features = featurize(focused, chunks, texts, lexical_c, dense_c,
                             np.array([boosts.get(int(i), 0.0) for i in rows]),
                             asks_reasons(query.raw), weights)
        return Candidates(rows, chunks, features, lexical_c, dense_c)

    def _baseline(self, query: Query, k: int, method: str) -> list[Hit]:
        n = len(self.index.chunks)
        zeros = np.zeros(n, dtype=np.float32)
        lexical = self.bm25_scores(query) if method != "dense" else zeros
        dense = self.dense_scores(query) if method != "bm25" else zeros
        if method == "bm25":
            fused = lexical.astype(np.float64)
        elif method == "dense":
            fused = dense.astype(np.float64)
        else:
            fused = rrf(top_rows(lexical, CANDIDATES)[0], top_rows(dense, CANDIDATES)[0], size=n)
        order = [int(i) for i in top_rows(fused, CANDIDATES)[0] if fused[i] > 0]
        return self._hits([(i, fused[i], max(float(lexical[i]), 0.0), dense[i], None) for i in order], k)

    def _hits(self, ranked: list[tuple[int, float, float, float, np.ndarray | None]], k: int) -> list[Hit]:
        """The first ``k`` of ``ranked`` (row, score, BM25, cosine, features), near-duplicates dropped."""
        hits: list[Hit] = []
        for pos, score, lexical, dense, features in ranked:
            if len(hits) == k:
                break
            chunk = self.index.chunks[pos]
            words = set(chunk.text.split())
            if any(near_duplicate(words, set(h.chunk.text.split())) for h in hits):
                continue
            hits.append(Hit(pos, chunk, float(score), float(lexical), float(dense), features))
        return hits

    def _scope(self, named: list[Named]) -> np.ndarray | None:
        """Passages the search may return (a mask): those of the documents the question names (and
        of the amending Act it names by edition, "ฉบับที่ ๒", or by year); None for all."""
        if not named:
            return None
        store = self.index.chunks
        wanted = {d for n in named for d in n.doc_ids}
        scope = store.in_documents(wanted)
        editions = {n.edition for n in named if n.edition}
        years = {n.year for n in named if n.year}
        if editions:
            units = [i for i, u in enumerate(store.units)
                     if any(f"(ฉบับที่{e})" in arabic_digits(u.replace(" ", "")) for e in editions)]
        elif years:  # "พ.ร.บ.ธุรกรรมฯ 2544" is the main Act, "… 2551" the amending Act of that year
            units = [i for i, u in enumerate(store.units) if any(y in arabic_digits(u) for y in years)]
            titles = " ".join(arabic_digits(self.index.documents[d].title) for d in wanted)
            if not units and any(y in titles for y in years) and "" in store.units:
                units = [store.units.index("")]
        else:
            return scope
        unit = np.isin(store.column("unit"), units)
        if (scope & unit).any():
            scope &= unit
        return scope

    def _nearby(self, row: int, scope: np.ndarray | None) -> dict[int, float]:
        """A boost fading with distance for the passages of the same Act within ``NEAR_WINDOW``
        rows of ``row``: a follow-up ("แล้วใครเป็นประธาน") is most likely about what surrounds the
        passage it follows."""
        store = self.index.chunks
        doc, unit = store.column("doc"), store.column("unit")
        boost: dict[int, float] = {}
        for i in range(max(0, row - NEAR_WINDOW), min(len(store), row + NEAR_WINDOW + 1)):
            if (scope is None or scope[i]) and doc[i] == doc[row] and unit[i] == unit[row]:
                boost[i] = NEAR_BOOST * (1 - abs(i - row) / (NEAR_WINDOW + 1))
        return boost

    def _reasons_boost(self, query: Query, scope: np.ndarray | None) -> dict[int, float]:
        """"Why was <a named Act> made": its reasons note is the answer, whatever words are left of
        the question once the Act's name is taken out ("ทำไมถึงออก … มาคะ"); a boost for the
        reasons passages within the named documents (and Act, by edition or year)."""
        if scope is None or not asks_reasons(query.raw):
            return {}
        role = self.index.chunks.column("role") == ROLES.index("reasons")
        return {int(i): SECTION_BOOST for i in np.flatnonzero(scope & role)}

    def _section_boost(self, query: Query, scope: np.ndarray | None, lexical: np.ndarray
                       ) -> dict[int, float]:
        """Boosts for the มาตรา the question names and, when it asks what follows from that
        section (a penalty, an appeal), for the sections that cite it, by row. In a large
        collection many Acts have a มาตรา N: only the ``SECTION_ROWS`` best by BM25 count."""
        if not query.section:
            return {}
        consequence = asks_consequence(query.raw, query.intents)
        store = self.index.chunks
        rows = store.rows_of_section(query.section)
        # Without a named document, a มาตรา means a section of a main Act, not of an amending one.
        main_act = store.column("unit")[rows] == store.unit_code("")
        named = rows[scope[rows]] if scope is not None else rows[main_act]
        if len(named) > SECTION_ROWS:
            named = np.sort(named[top_rows(lexical[named], SECTION_ROWS)[0]])
        # A penalty asked of a section that sets its own ("มาตรา ๕ … ต้องระวางโทษ…") is answered by
        # that section, not by the sections citing it.
        # A long section is split over passages: it sets its own penalty when any of them does.
        sets_own = "penalty" in query.intents and len(named) > 0 and \
            {store.doc_id(int(i)) for i in named if SETS_PENALTY.search(store[int(i)].text)} == \
            {store.doc_id(int(i)) for i in named}
        boost = {int(i): SECTION_BOOST * (0.5 if consequence and not sets_own else 1.0) for i in named}
        if consequence:
            for c in store.rows_citing(named, query.section):
                if scope is None or scope[c]:
                    penalty = "penalty" in query.intents and "โทษ" in store[int(c)].text
                    boost[int(c)] = SECTION_BOOST * (0.5 if sets_own else 1.5 if penalty else 1.0)
        return boost


def _document_frequencies(bm25) -> dict[str, int]:
    """Passages per BM25 word, read from the bm25s index's sparse score matrix (one column of
    non-zero scores per word)."""
    counts = np.diff(np.asarray(bm25.scores["indptr"]))
    return {word: int(counts[i]) for word, i in bm25.vocab_dict.items() if i < len(counts)}


def _bm25(model, tokens: list[str], n: int) -> np.ndarray:
    known = scored_words(model, tokens, n)  # at scale without the words in most passages
    if not known:
        return np.zeros(n, dtype=np.float32)
    return np.asarray(model.get_scores(known), dtype=np.float32)


def without_names(query: Query, named: list[Named]) -> Query:
    """The query without the names of the documents it names: once the search is limited to a
    document, its name's words would only pull its title passage up. A law the collection lacks,
    named beside one of its documents, is what is asked about in that document: its name stays."""
    if not named:
        return query
    own = any(not n.title for n in named)
    text = query.raw
    for n in named:
        if n.mention and not (own and n.title):  # replacing "" would put a space between every character
            text = text.replace(n.mention, " ")
    if not re.search(r"[ก-๙A-Za-z0-9]", text):
        return query
    focused = parse_query(text)
    focused.section, focused.intents, focused.named = query.section, query.intents, query.named
    return focused


def open_retriever(index: PublishedIndex, embedder: Embedder | None = None) -> Retriever:
    """A retriever for ``index``, creating the embedder the index records when none is given."""
    return Retriever(index, embedder or make_embedder(index.embedder_spec))
