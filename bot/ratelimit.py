"""Per-user rate limit: at most N questions in a sliding window of T seconds."""

import time
from collections import OrderedDict, deque
from dataclasses import dataclass, field

MAX_USERS = 100_000


@dataclass
class RateLimiter:
    """Sliding-window counter per user; memory is bounded to the most recent users."""

    limit: int
    window: float
    _events: OrderedDict[str, deque[float]] = field(default_factory=OrderedDict, repr=False)
    _notified: dict[str, float] = field(default_factory=dict, repr=False)

    def allow(self, user: str, now: float | None = None) -> bool:
        """Count one request from ``user``; False when it is over the limit (not counted)."""
        now = time.monotonic() if now is None else now
        events = self._events.setdefault(user, deque())
        self._events.move_to_end(user)
        while events and events[0] <= now - self.window:
            events.popleft()
        if len(events) >= self.limit:
            return False
        events.append(now)
        while len(self._events) > MAX_USERS:
            self._notified.pop(self._events.popitem(last=False)[0], None)
        return True

    def should_notify(self, user: str, now: float | None = None) -> bool:
        """Whether to tell ``user`` about the limit: once per window, not on every message."""
        now = time.monotonic() if now is None else now
        if now - self._notified.get(user, -self.window) < self.window:
            return False
        self._notified[user] = now
        return True
