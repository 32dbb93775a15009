"""Parts of a version's files read on demand with ``pread``, not through a memory map.

A worker that maps a large file and touches a few scattered rows of it makes far more of it
resident than it reads: every page fault also maps up to 16 cached neighbouring pages (the
kernel's fault-around), and a fault on an uncached page reads ahead around it. At a million
chunks that made the vectors, the chunk texts and the BM25 postings 1.5 GB of each worker's
resident memory. Reading the bytes a question needs into a short-lived buffer instead leaves
them in the page cache, shared by every process and reclaimable, and the worker holds nothing.
"""

import os
import weakref
from pathlib import Path

import numpy as np


class FileReader:
    """A read-only file descriptor whose reads the kernel does not extend with read-ahead."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd = os.open(path, os.O_RDONLY)
        weakref.finalize(self, os.close, self._fd)  # a replaced version's files are closed
        if hasattr(os, "posix_fadvise"):  # Linux; elsewhere reads are only a little larger
            os.posix_fadvise(self._fd, 0, 0, os.POSIX_FADV_RANDOM)
        self.size = os.fstat(self._fd).st_size

    def read(self, offset: int, length: int) -> bytes:
        """``length`` bytes from ``offset`` (fewer only past the end of the file)."""
        data = os.pread(self._fd, length, offset)
        while len(data) < length:  # pread may return less than asked (signals, large reads)
            more = os.pread(self._fd, length - len(data), offset + len(data))
            if not more:
                break
            data += more
        return data


class NpyOnDisk:
    """A C-ordered ``.npy`` array on disk: ``array[a:b]`` and ``take(rows)`` read only those rows.
    Enough of the ndarray interface (``shape``, ``dtype``, ``len``) for bm25s's postings."""

    def __init__(self, path: Path) -> None:
        header = np.load(path, mmap_mode="r")  # parses the header only; the map is dropped
        if header.ndim not in (1, 2) or not header.flags.c_contiguous:
            raise ValueError(f"{path}: expected a C-ordered 1-D or 2-D array")
        self.shape: tuple[int, ...] = header.shape
        self.dtype = header.dtype
        self._start = header.offset
        self._row_bytes = header.dtype.itemsize * (header.shape[1] if header.ndim == 2 else 1)
        del header
        self._file = FileReader(path)

    def __len__(self) -> int:
        return self.shape[0]

    def __getitem__(self, key: slice) -> np.ndarray:
        if not isinstance(key, slice):
            raise TypeError("NpyOnDisk reads slices; use take() for rows")
        start, stop, step = key.indices(len(self))
        if step != 1:
            raise ValueError("NpyOnDisk reads contiguous slices only")
        return self._rows(start, max(0, stop - start))

    def take(self, rows: np.ndarray) -> np.ndarray:
        """The given rows, in the given order; runs of consecutive rows are read at once."""
        rows = np.asarray(rows, dtype=np.int64)
        if not len(rows):
            return np.zeros((0, *self.shape[1:]), dtype=self.dtype)
        if rows.min() < 0 or rows.max() >= len(self):
            raise IndexError(f"row out of range 0..{len(self) - 1}")
        order = np.unique(rows)
        breaks = np.flatnonzero(np.diff(order) != 1) + 1
        parts = [self._rows(int(run[0]), len(run)) for run in np.split(order, breaks)]
        out = np.concatenate(parts)
        return out[np.searchsorted(order, rows)]

    def _rows(self, start: int, count: int) -> np.ndarray:
        data = self._file.read(self._start + start * self._row_bytes, count * self._row_bytes)
        if len(data) != count * self._row_bytes:
            raise OSError(f"{self._file.path} is shorter than its header says")
        return np.frombuffer(data, dtype=self.dtype).reshape(count, *self.shape[1:])
