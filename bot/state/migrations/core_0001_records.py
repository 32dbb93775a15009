"""Question log, feedback and admin audit (the tables of the former bot/records.py)."""

from sqlalchemy import Column, Connection, Double, Integer, Text

from ..migrate import create_table, id_column


def up(conn: Connection) -> None:
    create_table(conn, "questions", id_column(),
                 Column("at", Double, nullable=False),
                 Column("platform", Text, nullable=False),
                 Column("user_id", Text, nullable=False),
                 Column("question", Text, nullable=False),
                 Column("abstained", Integer, nullable=False),
                 Column("chunk_ids", Text, nullable=False))  # space-separated, in citation order
    create_table(conn, "feedback", id_column(),
                 Column("at", Double, nullable=False),
                 Column("platform", Text, nullable=False),
                 Column("user_id", Text, nullable=False),
                 Column("chat_id", Text, nullable=False),
                 Column("question", Text, nullable=False),
                 Column("chunk_ids", Text, nullable=False),
                 Column("helpful", Integer, nullable=False))  # 1 = 👍, 0 = 👎
    create_table(conn, "audit", id_column(),
                 Column("at", Double, nullable=False),
                 Column("actor", Text, nullable=False),  # "telegram:<user id>", "cli"
                 Column("action", Text, nullable=False),  # upload, remove, reindex, rollback
                 Column("target", Text, nullable=False),
                 Column("outcome", Text, nullable=False),  # ok, refused, failed
                 Column("detail", Text, nullable=False))
