"""Web console: console builds become a queue of document changes — an upload (its bytes held here
until its build runs, then dropped), a metadata edit, a removal or a plain re-index — run one at a
time in the background by whichever replica is free."""

from sqlalchemy import Connection, LargeBinary, text

from ..migrate import has_column


def up(conn: Connection) -> None:
    blob = LargeBinary().compile(dialect=conn.dialect)  # BLOB on SQLite, BYTEA on PostgreSQL
    for column, ddl in (("action", "TEXT NOT NULL DEFAULT 'reindex'"),  # upload, metadata, remove, reindex
                        ("target", "TEXT NOT NULL DEFAULT ''"),  # the document's file name
                        ("meta", "TEXT"),  # metadata as JSON; NULL leaves the sidecar as it is
                        ("payload", blob),  # the uploaded file until its build ends
                        ("queued", "INTEGER NOT NULL DEFAULT 0")):  # 1 while waiting its turn
        if not has_column(conn, "web_builds", column):
            conn.execute(text(f"ALTER TABLE web_builds ADD COLUMN {column} {ddl}"))
    conn.execute(text("CREATE INDEX IF NOT EXISTS web_builds_waiting ON web_builds (finished, queued)"))
