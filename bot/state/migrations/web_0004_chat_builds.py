"""Build queue: chat uploads join the console's queue. A change says whom to tell how its build
ended (``reply_to``: ``telegram:<chat id>`` or ``line:<user id>``; NULL for the console, whose
pages show it) and whether they were told; ``attempts`` counts the runs of a change, so one
whose process died is run again once rather than lost."""

from sqlalchemy import Connection, text

from ..migrate import has_column


def up(conn: Connection) -> None:
    for column, ddl in (("reply_to", "TEXT"),
                        ("replied", "INTEGER NOT NULL DEFAULT 0"),
                        ("attempts", "INTEGER NOT NULL DEFAULT 0")):
        if not has_column(conn, "web_builds", column):
            conn.execute(text(f"ALTER TABLE web_builds ADD COLUMN {column} {ddl}"))
    conn.execute(text("CREATE INDEX IF NOT EXISTS web_builds_replies ON web_builds (reply_to, replied)"))
