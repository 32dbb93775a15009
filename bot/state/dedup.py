"""De-duplication of deliveries shared by replicas: a LINE ``webhookEventId`` or a Telegram
``update_id`` is handled by whichever replica records it first."""

import time

from sqlalchemy import text

from .db import Database
from .expiry import DAY, Every

DELIVERY_TTL = 7 * DAY  # longer than LINE's and Telegram's redelivery periods
_prune = Every()


def first_delivery(db: Database, source: str, key: str, now: float | None = None) -> bool:
    """Record delivery ``key`` from ``source`` ("line", "telegram"); True the first time only,
    on any replica."""
    now = time.time() if now is None else now
    with db.tx() as conn:
        fresh = conn.execute(text("INSERT INTO seen_deliveries (source, key, at) VALUES (:s, :k, :at) "
                                  "ON CONFLICT (source, key) DO NOTHING"),
                             {"s": source, "k": key, "at": now}).rowcount == 1
        if _prune.due(now):
            conn.execute(text("DELETE FROM seen_deliveries WHERE at < :since"),
                         {"since": now - DELIVERY_TTL})
    return fresh
