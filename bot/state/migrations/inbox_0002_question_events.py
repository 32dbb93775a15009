"""The question log keyed by the webhook event that asked it, so an event answered again after a
replica died (taken over from the inbox) is logged once, not twice and not lost."""

from sqlalchemy import Connection, text

from ..migrate import has_column


def up(conn: Connection) -> None:
    if not has_column(conn, "questions", "event_key"):
        conn.execute(text("ALTER TABLE questions ADD COLUMN event_key TEXT"))  # NULL: not from an event
    conn.execute(text("CREATE UNIQUE INDEX IF NOT EXISTS questions_once_per_event "
                      "ON questions (platform, event_key)"))  # NULLs never collide
