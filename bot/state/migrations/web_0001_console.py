"""Web console: one-time sign-in links, browser sessions and index builds started from the console.

Links and sessions are stored by the SHA-256 of their token, so the database never holds a
usable credential."""

from sqlalchemy import Column, Connection, Double, Index, Integer, Text

from ..migrate import create_table, id_column


def up(conn: Connection) -> None:
    create_table(conn, "web_links",
                 Column("token_hash", Text, primary_key=True),
                 Column("role", Text, nullable=False),  # admin, trainer
                 Column("identity", Text, nullable=False),  # telegram:<id>, line:<id>, cli:<user>
                 Column("created", Double, nullable=False),
                 Column("expires", Double, nullable=False),
                 Column("used", Double),  # when it was redeemed; NULL while unused
                 Index("web_links_expires", "expires"))
    create_table(conn, "web_sessions",
                 Column("token_hash", Text, primary_key=True),
                 Column("role", Text, nullable=False),
                 Column("identity", Text, nullable=False),
                 Column("csrf", Text, nullable=False),
                 Column("created", Double, nullable=False),
                 Column("expires", Double, nullable=False),
                 Index("web_sessions_expires", "expires"))
    create_table(conn, "web_builds",
                 id_column(),
                 Column("actor", Text, nullable=False),
                 Column("started", Double, nullable=False),
                 Column("at", Double, nullable=False),  # last progress report
                 Column("done", Integer, nullable=False, server_default="0"),
                 Column("total", Integer, nullable=False, server_default="0"),
                 Column("finished", Double),  # NULL while running
                 Column("ok", Integer),
                 Column("message", Text, nullable=False, server_default=""))
