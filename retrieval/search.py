"""Hybrid search over a published index: BM25 and dense scores fused into one ranking."""

import re
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from index.documents import SUBSTANTIVE, Chunk
from index.embedders import Embedder, make_embedder
from index.store import IndexUnavailable, PublishedIndex
from index.thai_text import arabic_digits
from index.tokens import loose_key

from .documents import Catalogue, Named, catalogue, name_key, named_documents
from .fuse import near_duplicate, normalized, rrf
from .intent import asks_consequence
from .query import Query, parse_query

CANDIDATES = 50
DENSE_WEIGHT = 0.5  # share of the dense score in the fused score (see docs/benchmarks.md)
SECTION_BOOST = 0.5  # a passage of the มาตรา the question names
MIN_MENTION = 4  # shortest law name looked up in the documents' text
REASONS_BOOST = 0.3  # an Act's reasons, when the question asks why it was enacted
NEAR_BOOST = 0.4  # passages around the one a follow-up continues from
NEAR_WINDOW = 8  # rows either side that count as around it
_ASKS_REASONS = re.compile(r"เหตุผล(?:ใน)?(?:การ)?(?:ประกาศ|ออก|ตรา)|ทำไม(?:ถึง|จึง)?(?:ต้อง)?(?:ออก|ตรา|มี)|"
                           r"ตราขึ้น(?:ด้วย|เพราะ|เพื่อ)|ออกมาเพราะ|เหตุผล")


@dataclass
class Hit:
    """One ranked passage with the evidence behind its rank."""

    position: int  # row in the index
    chunk: Chunk
    score: float  # fused score, the ranking key
    bm25: float
    dense: float  # cosine similarity to the question


@dataclass
class Retriever:
    """A loaded index plus the embedder it was built with."""

    index: PublishedIndex
    embedder: Embedder
    _vectors: np.ndarray = field(init=False, repr=False)
    names: Catalogue = field(init=False, repr=False)  # names of the documents and of other laws
    document_frequency: dict[str, int] = field(init=False, repr=False)  # BM25 word → passages

    def __post_init__(self) -> None:
        if self.embedder.spec != self.index.embedder_spec:
            raise IndexUnavailable(
                f"index was built with embedder '{self.index.embedder_spec}' but "
                f"'{self.embedder.spec}' is configured: set SARABUN_EMBEDDER to match or rebuild"
            )
        self._vectors = self.index.all_vectors()
        self.names = catalogue(self.index.documents)
        self.document_frequency = _document_frequencies(self.index.bm25)
        self._substantive = np.array([c.role in SUBSTANTIVE for c in self.index.chunks], dtype=bool)
        self._reasons = np.array([c.role == "reasons" for c in self.index.chunks], dtype=bool)
        self._doc_ids = np.array([c.doc_id for c in self.index.chunks], dtype=object)

    def resolve(self, query: Query) -> list[Named]:
        """The documents ``query`` names (resolved once and kept on the query). A law the
        collection lacks but some of its documents write about ("อบรม PDPA" in a news item)
        stands for those documents, so search stays within them."""
        if query.named is None:
            query.named = named_documents(query.raw, self.names)
            for named in query.named:
                if named.missing:
                    named.doc_ids = self._documents_mentioning(name_key(named.mention))
        return query.named

    def _documents_mentioning(self, key: str) -> list[str]:
        if len(key) < MIN_MENTION:
            return []
        return sorted({c.doc_id for c, text in zip(self.index.chunks, self._loose_texts, strict=True)
                       if key in text})

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
        """Cosine similarity of every passage to the question."""
        if not len(self._vectors):
            return np.zeros(0, dtype=np.float32)
        return self._vectors @ self.embedder.embed_query(query.text)

    def search(self, query: Query, k: int = 10, method: str = "hybrid") -> list[Hit]:
        """Rank passages for ``query``; ``method`` is "hybrid" (the shipped ranking), or one of
        the plain baselines "bm25", "dense" and "rrf"."""
        n = len(self.index.chunks)
        if n == 0:
            return []
        if method != "hybrid":
            return self._baseline(query, k, method)
        named = [d for d in self.resolve(query) if not d.missing]
        scope = self._scope(named)
        focused = _without_names(query, named)
        lexical = np.where(scope, self.lexical_scores(focused), -1.0)
        dense = np.where(scope, self.dense_scores(focused), -2.0)
        by_lexical = np.argsort(-lexical, kind="stable")[:CANDIDATES]
        by_dense = np.argsort(-dense, kind="stable")[:CANDIDATES]
        boost, extra = self._section_boost(query, scope)
        if query.near is not None:  # a follow-up: the passages around the last answer first
            boost += self._nearby(query.near, scope)
        if _ASKS_REASONS.search(query.raw):  # "why was this Act enacted": its reasons passage
            boost[self._reasons & scope] += REASONS_BOOST
        candidates = np.union1d(np.union1d(by_lexical, by_dense), extra).astype(int)
        candidates = candidates[scope[candidates]]
        if not len(candidates):
            return []
        fused = np.zeros(n, dtype=np.float64)
        fused[candidates] = (1 - DENSE_WEIGHT) * normalized(np.maximum(lexical, 0), candidates)[candidates] \
            + DENSE_WEIGHT * normalized(dense, candidates)[candidates] + boost[candidates] + 1e-6
        # Boilerplate, footnotes and metadata stay citable but never rank above a substantive passage.
        order = sorted(candidates, key=lambda i: (not self._substantive[i], -fused[i]))
        return self._hits(order, fused, lexical, dense, k)

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
            fused = rrf(np.argsort(-lexical, kind="stable")[:CANDIDATES],
                        np.argsort(-dense, kind="stable")[:CANDIDATES], size=n)
        order = [i for i in np.argsort(-fused, kind="stable") if fused[i] > 0]
        return self._hits(order, fused, lexical, dense, k)

    def _hits(self, order, fused: np.ndarray, lexical: np.ndarray, dense: np.ndarray, k: int) -> list[Hit]:
        hits: list[Hit] = []
        for pos in order:
            if len(hits) == k:
                break
            chunk = self.index.chunks[pos]
            words = set(chunk.text.split())
            if any(near_duplicate(words, set(h.chunk.text.split())) for h in hits):
                continue
            hits.append(Hit(int(pos), chunk, float(fused[pos]), max(float(lexical[pos]), 0.0),
                            float(dense[pos])))
        return hits

    def _scope(self, named: list[Named]) -> np.ndarray:
        """Passages the search may return: those of the documents the question names (and of the
        amending Act it names by edition, "ฉบับที่ ๒"), else all."""
        chunks = self.index.chunks
        if not named:
            return np.ones(len(chunks), dtype=bool)
        scope = np.isin(self._doc_ids, [d for n in named for d in n.doc_ids])
        editions = {n.edition for n in named if n.edition}
        if editions:
            unit = np.array([any(f"(ฉบับที่{e})" in arabic_digits(c.unit.replace(" ", "")) for e in editions)
                             for c in chunks], dtype=bool)
            if (scope & unit).any():
                scope &= unit
        return scope

    def _nearby(self, row: int, scope: np.ndarray) -> np.ndarray:
        """A boost fading with distance for the passages of the same Act within ``NEAR_WINDOW``
        rows of ``row``: a follow-up ("แล้วใครเป็นประธาน") is most likely about what surrounds the
        passage it follows."""
        boost = np.zeros(len(self.index.chunks), dtype=np.float64)
        here = self.index.chunks[row]
        for i in range(max(0, row - NEAR_WINDOW), min(len(boost), row + NEAR_WINDOW + 1)):
            chunk = self.index.chunks[i]
            if scope[i] and chunk.doc_id == here.doc_id and chunk.unit == here.unit:
                boost[i] = NEAR_BOOST * (1 - abs(i - row) / (NEAR_WINDOW + 1))
        return boost

    def _section_boost(self, query: Query, scope: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Boosts for the มาตรา the question names and, when it asks what follows from that
        section (a penalty, an appeal), for the sections that cite it; and their rows."""
        boost = np.zeros(len(self.index.chunks), dtype=np.float64)
        if not query.section:
            return boost, np.zeros(0, dtype=int)
        consequence = asks_consequence(query.raw, query.intents)
        chunks = self.index.chunks
        named = [i for i in self.index.section_rows.get(query.section, [])
                 if scope[i] and (chunks[i].unit == "" or not scope.all())]
        boost[named] = SECTION_BOOST * (0.5 if consequence else 1.0)
        citing: list[int] = []
        if consequence:
            for i in named:
                citing += self.index.cited_by.get((chunks[i].doc_id, chunks[i].unit, query.section), [])
            for i in set(citing):
                if scope[i]:
                    penalty = "penalty" in query.intents and "โทษ" in chunks[i].text
                    boost[i] = SECTION_BOOST * (1.5 if penalty else 1.0)
        return boost, np.array(sorted(set(named) | set(citing)), dtype=int)


def _document_frequencies(bm25) -> dict[str, int]:
    """Passages per BM25 word, read from the bm25s index's sparse score matrix (one column of
    non-zero scores per word)."""
    counts = np.diff(np.asarray(bm25.scores["indptr"]))
    return {word: int(counts[i]) for word, i in bm25.vocab_dict.items() if i < len(counts)}


def _bm25(model, tokens: list[str], n: int) -> np.ndarray:
    known = [t for t in tokens if t in model.vocab_dict]
    if not known:
        return np.zeros(n, dtype=np.float32)
    return np.asarray(model.get_scores(known), dtype=np.float32)


def _without_names(query: Query, named: list[Named]) -> Query:
    """The query without the names of the documents it names: once the search is limited to a
    document, its name's words would only pull its title passage up."""
    if not named:
        return query
    text = query.raw
    for n in named:
        text = text.replace(n.mention, " ")
    if not re.search(r"[ก-๙A-Za-z0-9]", text):
        return query
    focused = parse_query(text)
    focused.section, focused.intents, focused.named = query.section, query.intents, query.named
    return focused


def open_retriever(index: PublishedIndex, embedder: Embedder | None = None) -> Retriever:
    """A retriever for ``index``, creating the embedder the index records when none is given."""
    return Retriever(index, embedder or make_embedder(index.embedder_spec))
