"""The retriever of whatever index version is published now, for long-running processes.

Builds publish by swapping a symlink; every process serving questions (several may share one
index directory) notices the swap at its next question and loads the new version. A question
already in flight keeps the retriever it started with, so nothing fails during a switch.
A version that fails verification (checksums, counts) is never switched to: the process keeps
serving the version it has and logs the refusal once per refused version.
"""

import logging
import threading
import time
from pathlib import Path

from index.embedders import Embedder
from index.store import IndexUnavailable, current_version, load_index

from .search import Retriever, open_retriever

log = logging.getLogger(__name__)


class LiveRetriever:
    """Holds a :class:`Retriever` and replaces it when a new version is published."""

    def __init__(self, index_dir: Path, embedder: Embedder | None = None, interval: float = 1.0) -> None:
        self.index_dir = index_dir
        self.interval = interval  # seconds between checks of the published version
        self._retriever = open_retriever(load_index(index_dir), embedder)
        self._checked = time.monotonic()
        self._lock = threading.Lock()
        self.refused: str | None = None  # the published version last refused, if any

    @property
    def embedder(self) -> Embedder:
        return self._retriever.embedder

    def current(self) -> Retriever:
        """The retriever of the published version (checked at most every ``interval`` seconds)."""
        now = time.monotonic()
        if now - self._checked < self.interval or not self._lock.acquire(blocking=False):
            return self._retriever  # another thread is already checking or loading
        try:
            self._checked = now
            version = current_version(self.index_dir)
            if version and version not in (self._retriever.index.version, self.refused):
                self._switch(version)
        finally:
            self._lock.release()
        return self._retriever

    def _switch(self, version: str) -> None:
        try:
            fresh = open_retriever(load_index(self.index_dir), self._retriever.embedder)
        except IndexUnavailable as exc:  # damaged, or pruned between readlink and load
            log.error("index %s refused, still serving %s: %s", version,
                      self._retriever.index.version, exc)
            self.refused = version
            return
        log.info("switched index %s → %s", self._retriever.index.version, fresh.index.version)
        self._retriever = fresh
