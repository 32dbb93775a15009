"""Durable webhook inbox: LINE events and Telegram updates stored before they are acknowledged,
answered by workers and kept (done) for a week so redeliveries are recognised."""

from sqlalchemy import Column, Connection, Double, Index, Integer, Text, UniqueConstraint

from ..migrate import create_table, id_column


def up(conn: Connection) -> None:
    create_table(conn, "inbox", id_column(),
                 Column("platform", Text, nullable=False),  # "line" | "telegram"
                 Column("key", Text, nullable=False),  # webhookEventId / update_id
                 Column("payload", Text, nullable=False),  # the event or update as JSON
                 Column("received_at", Double, nullable=False),
                 Column("state", Text, nullable=False),  # new, claimed, done
                 Column("claimed_at", Double, nullable=False, server_default="0"),
                 Column("attempts", Integer, nullable=False, server_default="0"),
                 UniqueConstraint("platform", "key", name="inbox_once"),
                 Index("inbox_state", "state", "claimed_at"),
                 Index("inbox_received", "received_at"))
