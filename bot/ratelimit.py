"""Per-user rate limit over every user action (questions, commands, buttons, postbacks): at most
N actions in a window of T seconds, counted in the state database so the limit holds across
replicas. When the database fails, actions are allowed (answers never wait on bookkeeping)."""

import logging
import time
from dataclasses import dataclass

from sqlalchemy.exc import SQLAlchemyError

from .state import Database
from .state.limits import count_action, first_notice

log = logging.getLogger(__name__)


@dataclass
class RateLimiter:
    """A window per user, starting at the first action after the previous window ended."""

    db: Database
    limit: int
    window: float

    def allow(self, user: str, now: float | None = None) -> bool:
        """Count one action by ``user``; False when it is over the limit."""
        now = time.time() if now is None else now
        try:
            return count_action(self.db, user, self.window, now) <= self.limit
        except SQLAlchemyError as exc:
            log.warning("rate limit not checked (database: %s)", exc.__class__.__name__)
            return True

    def should_notify(self, user: str) -> bool:
        """Whether to tell ``user`` about the limit: once per window, not on every action."""
        try:
            return first_notice(self.db, user)
        except SQLAlchemyError:
            return False
