"""Web console: the question log keyed for the report — each question's Thai day and a 64-bit key of
its normalised text, filled in incrementally from ``questions`` so the report groups integers, not
long Thai strings, and stays fast on a large log."""

from sqlalchemy import BigInteger, Column, Connection, Index, Integer, Text

from ..migrate import create_table


def up(conn: Connection) -> None:
    create_table(conn, "web_question_keys",
                 Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True,
                        autoincrement=False),  # questions.id
                 Column("day", Integer, nullable=False),  # days since 1970-01-01, Thai time
                 Column("abstained", Integer, nullable=False),
                 Column("qkey", BigInteger, nullable=False),
                 Index("web_question_keys_day", "day", "abstained", "qkey"))  # covers every report query
    create_table(conn, "web_question_texts",
                 Column("qkey", BigInteger, primary_key=True, autoincrement=False),
                 Column("question", Text, nullable=False),  # the text as first asked, for display
                 Column("words", Text, nullable=False))  # its content words, for topic groups
