"""Expiry of shared state: each table keeps rows for a fixed time, and each process deletes
expired rows now and then (reads ignore them already, so pruning is only about size)."""

import threading
from dataclasses import dataclass, field

HOUR = 3600.0
DAY = 24 * HOUR
PRUNE_EVERY = 300.0  # seconds between prunes of one table group, per process


@dataclass
class Every:
    """True from :meth:`due` at most once per ``seconds`` (thread-safe)."""

    seconds: float = PRUNE_EVERY
    _next: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def due(self, now: float) -> bool:
        with self._lock:
            if now < self._next:
                return False
            self._next = now + self.seconds
            return True
