"""Chunks on disk, read lazily: a large collection is not held as a million Python objects.

A version stores its chunks as ``chunks.jsonl`` (one Chunk per line, in vector order) plus, under
``columns/``, what search needs of every chunk as memory-mapped arrays: line offsets, document,
Act unit, role, มาตรา number, the sections each chunk cites, and a hash of each chunk id. Worker
processes that map the same files share their pages. The lines themselves are read with ``pread``
(index/ondisk.py), so decoding a passage leaves no page of the texts resident in the worker.
"""

import hashlib
import json
from collections.abc import Iterator, Sequence
from dataclasses import asdict
from functools import lru_cache
from pathlib import Path

import numpy as np

from .documents import ROLES, Chunk
from .ondisk import FileReader
from .sections import section_key

COLUMNS = "columns"
CHUNKS = "chunks.jsonl"
NO_SECTION = -1


def _id_hash(chunk_id: str) -> int:
    return int.from_bytes(hashlib.blake2b(chunk_id.encode(), digest_size=8).digest(), "little", signed=True)


def _section_number(chunk: Chunk) -> str | None:
    key = section_key(chunk.section)
    return key[1] if key and key[0] == "มาตรา" else None


def write_chunks(path: Path, chunks: Sequence[Chunk], doc_ids: list[str]) -> None:
    """Write ``chunks.jsonl`` and its columns into the version directory ``path``; ``doc_ids``
    is the manifest's document order (``doc`` holds positions in it)."""
    columns = path / COLUMNS
    columns.mkdir()
    doc_of = {d: i for i, d in enumerate(doc_ids)}
    units: dict[str, int] = {"": 0}
    sections: dict[str, int] = {}
    n = len(chunks)
    offsets = np.zeros(n + 1, dtype=np.int64)
    doc = np.zeros(n, dtype=np.int32)
    unit = np.zeros(n, dtype=np.int32)
    role = np.zeros(n, dtype=np.uint8)
    section = np.full(n, NO_SECTION, dtype=np.int32)
    cites_ptr = np.zeros(n + 1, dtype=np.int64)
    cites: list[int] = []
    hashes = np.zeros(n, dtype=np.int64)
    with (path / CHUNKS).open("wb") as fh:
        for i, chunk in enumerate(chunks):
            fh.write(json.dumps(asdict(chunk), ensure_ascii=False).encode() + b"\n")
            offsets[i + 1] = fh.tell()
            doc[i] = doc_of[chunk.doc_id]
            unit[i] = units.setdefault(chunk.unit, len(units))
            role[i] = ROLES.index(chunk.role)
            if (number := _section_number(chunk)) is not None:
                section[i] = sections.setdefault(number, len(sections))
            cites += [sections.setdefault(c, len(sections)) for c in chunk.cites]
            cites_ptr[i + 1] = len(cites)
            hashes[i] = _id_hash(chunk.chunk_id)
    order = np.argsort(hashes, kind="stable")
    arrays = {"offsets": offsets, "doc": doc, "unit": unit, "role": role, "section": section,
              "cites_ptr": cites_ptr, "cites": np.array(cites, dtype=np.int32),
              "id_hash": hashes[order], "id_row": order.astype(np.int64)}
    for name, array in arrays.items():
        np.save(columns / f"{name}.npy", array)
    names = {"doc_ids": doc_ids, "units": list(units), "sections": list(sections)}
    (columns / "names.json").write_text(json.dumps(names, ensure_ascii=False), "utf-8")


class ChunkStore(Sequence[Chunk]):
    """The chunks of a version as a read-only sequence: ``store[i]`` reads and decodes line ``i``
    of ``chunks.jsonl`` (recently used ones are cached). Columns give search what it
    needs of every chunk without decoding any."""

    def __init__(self, path: Path) -> None:
        self.path = path
        columns = path / COLUMNS
        self._arrays = {p.stem: np.load(p, mmap_mode="r") for p in columns.glob("*.npy")}
        names = json.loads((columns / "names.json").read_text("utf-8"))
        self.doc_ids: list[str] = names["doc_ids"]
        self.units: list[str] = names["units"]
        self.section_names: list[str] = names["sections"]
        self._section_of = {s: i for i, s in enumerate(self.section_names)}
        self._unit_of = {u: i for i, u in enumerate(self.units)}
        self._doc_of = {d: i for i, d in enumerate(self.doc_ids)}
        self._file = FileReader(path / CHUNKS)
        self._decode = lru_cache(maxsize=4096)(self._read)

    def column(self, name: str) -> np.ndarray:
        """A per-chunk column: "doc", "unit", "role", "section" (positions in ``doc_ids``,
        ``units``, ``ROLES``, ``section_names``; -1 for no มาตรา)."""
        return self._arrays[name]

    def __len__(self) -> int:
        return len(self._arrays["offsets"]) - 1

    def __getitem__(self, i):  # type: ignore[override]
        if isinstance(i, slice):
            return [self._decode(j) for j in range(*i.indices(len(self)))]
        i = int(i)
        if i < 0:
            i += len(self)
        if not 0 <= i < len(self):
            raise IndexError(i)
        return self._decode(i)

    def __iter__(self) -> Iterator[Chunk]:
        for i in range(len(self)):  # a full pass decodes afresh: it would only flush the cache
            yield self._read(i)

    def _read(self, i: int) -> Chunk:
        start, end = (int(x) for x in self._arrays["offsets"][i:i + 2])
        return Chunk(**json.loads(self._file.read(start, end - start)))

    def size_problem(self) -> str | None:
        """What is wrong when ``chunks.jsonl`` does not end where its offsets say (lines lost or
        added after the columns were written); None when it agrees."""
        size, end = self._file.size, int(self._arrays["offsets"][-1])
        return None if size == end else f"{CHUNKS} has {size} bytes, its offsets say {end}"

    def row_of(self, chunk_id: str) -> int | None:
        """Row of the chunk with ``chunk_id``, or None."""
        hashes = self._arrays["id_hash"]
        h = _id_hash(chunk_id)
        at = int(np.searchsorted(hashes, h))
        while at < len(hashes) and hashes[at] == h:
            row = int(self._arrays["id_row"][at])
            if self._decode(row).chunk_id == chunk_id:
                return row
            at += 1
        return None

    def rows_of_section(self, number: str) -> np.ndarray:
        """Rows of the chunks of มาตรา ``number`` ("57"), in any document or Act."""
        code = self._section_of.get(number)
        return np.zeros(0, dtype=np.int64) if code is None else np.flatnonzero(self.column("section") == code)

    def rows_citing(self, rows: np.ndarray, number: str) -> np.ndarray:
        """Rows of the chunks that cite มาตรา ``number`` ("ตามมาตรา ๕๗" in a penalty section cites
        "57") from the same document and Act unit as one of ``rows`` (that section's own rows)."""
        code = self._section_of.get(number)
        rows = np.asarray(rows, dtype=np.int64)
        if code is None or not len(rows):
            return np.zeros(0, dtype=np.int64)
        citing = np.unique(np.searchsorted(self._arrays["cites_ptr"],
                                           np.flatnonzero(self._arrays["cites"] == code), side="right") - 1)
        return citing[np.isin(self._place(citing), self._place(rows))]

    def _place(self, rows: np.ndarray) -> np.ndarray:
        """One integer per (document, Act unit) of each row."""
        return (self.column("doc")[rows].astype(np.int64) << 32) | self.column("unit")[rows]

    def in_documents(self, doc_ids: set[str]) -> np.ndarray:
        """A mask over all rows: True for the chunks of the documents ``doc_ids``."""
        wanted = np.zeros(len(self.doc_ids), dtype=bool)  # per document code: a lookup per row,
        wanted[[self._doc_of[d] for d in doc_ids if d in self._doc_of]] = True  # not np.isin's sort
        return wanted[self.column("doc")]

    def doc_id(self, row: int) -> str:
        """Document id of the chunk at ``row``, without decoding it."""
        return self.doc_ids[int(self.column("doc")[row])]

    def unit_code(self, unit: str) -> int:
        """Column code of an Act unit title, -1 when no chunk has it."""
        return self._unit_of.get(unit, -1)


class RowLookup:
    """``index.positions``: chunk id → row, backed by the store's sorted id hashes."""

    def __init__(self, store: ChunkStore) -> None:
        self._store = store

    def get(self, chunk_id: str, default: int | None = None) -> int | None:
        row = self._store.row_of(chunk_id)
        return default if row is None else row

    def __contains__(self, chunk_id: object) -> bool:
        return isinstance(chunk_id, str) and self._store.row_of(chunk_id) is not None

    def __getitem__(self, chunk_id: str) -> int:
        row = self._store.row_of(chunk_id)
        if row is None:
            raise KeyError(chunk_id)
        return row
