"""Rate-limit windows shared by replicas: one row per key with the start of its current window
and the number of actions in it, updated in one atomic statement."""

from sqlalchemy import text

from .db import Database
from .expiry import HOUR, Every

_prune = Every()


def count_action(db: Database, key: str, window: float, now: float) -> int:
    """Count one action by ``key``; the number in its current window, this one included. A window
    starts with the first action after the previous one ended."""
    with db.tx() as conn:
        count = conn.execute(text(
            "INSERT INTO rate_windows (key, started, count, notified) VALUES (:k, :now, 1, 0) "
            "ON CONFLICT (key) DO UPDATE SET "
            "count = CASE WHEN rate_windows.started <= :expired THEN 1 ELSE rate_windows.count + 1 END, "
            "started = CASE WHEN rate_windows.started <= :expired THEN :now ELSE rate_windows.started END "
            "RETURNING count"), {"k": key, "now": now, "expired": now - window}).scalar_one()
        if _prune.due(now):
            conn.execute(text("DELETE FROM rate_windows WHERE started < :since"),
                         {"since": now - max(window, HOUR)})
    return count


def first_notice(db: Database, key: str) -> bool:
    """True once per window of ``key``: whether to tell the user about the limit now."""
    with db.tx() as conn:
        return conn.execute(text("UPDATE rate_windows SET notified = started "
                                 "WHERE key = :k AND notified <> started"), {"k": key}).rowcount == 1
