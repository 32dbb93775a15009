"""State shared by replicas: dialogue turns, quiz rounds and sessions, delivery de-duplication,
rate-limit windows; one vote per user and answer."""

from sqlalchemy import Column, Connection, Double, Index, Integer, PrimaryKeyConstraint, Text, text

from ..migrate import create_table, has_column


def up(conn: Connection) -> None:
    if not has_column(conn, "feedback", "turn_ref"):
        conn.execute(text("ALTER TABLE feedback ADD COLUMN turn_ref TEXT NOT NULL DEFAULT ''"))
        # Votes from before this version name no answer: give each its own key.
        conn.execute(text("UPDATE feedback SET turn_ref = 'legacy:' || CAST(id AS TEXT)"))
    conn.execute(text("CREATE UNIQUE INDEX IF NOT EXISTS feedback_one_vote "
                      "ON feedback (platform, user_id, turn_ref)"))
    for table, column in (("questions", "at"), ("feedback", "at"), ("audit", "at")):
        conn.execute(text(f"CREATE INDEX IF NOT EXISTS {table}_{column} ON {table} ({column})"))

    create_table(conn, "dialogue_turns",
                 Column("ref", Text, primary_key=True),
                 Column("chat_id", Text, nullable=False),
                 Column("at", Double, nullable=False),
                 Column("body", Text, nullable=False),  # the Turn as JSON
                 Index("dialogue_turns_at", "at"))
    create_table(conn, "dialogue_chats",
                 Column("chat_id", Text, primary_key=True),
                 Column("ref", Text, nullable=False),  # the chat's latest turn
                 Column("at", Double, nullable=False),
                 Index("dialogue_chats_at", "at"))

    create_table(conn, "quiz_rounds",
                 Column("ref", Text, primary_key=True),
                 Column("chat_id", Text, nullable=False),
                 Column("at", Double, nullable=False),
                 Column("body", Text, nullable=False),  # the QuizQuestion as JSON
                 Column("revealed", Integer, nullable=False, server_default="0"),
                 Index("quiz_rounds_at", "at"))
    create_table(conn, "quiz_answers",
                 Column("ref", Text, nullable=False),
                 Column("user_id", Text, nullable=False),
                 Column("name", Text, nullable=False),
                 Column("choice", Integer, nullable=False),
                 Column("at", Double, nullable=False),
                 PrimaryKeyConstraint("ref", "user_id"))
    create_table(conn, "quiz_counters",  # rounds asked per chat: the n-th round uses seed + n
                 Column("chat_id", Text, primary_key=True),
                 Column("asked", Integer, nullable=False),
                 Column("at", Double, nullable=False))
    create_table(conn, "training_sessions",
                 Column("chat_id", Text, primary_key=True),
                 Column("started", Double, nullable=False),
                 Column("at", Double, nullable=False))  # last activity
    create_table(conn, "session_scores",
                 Column("chat_id", Text, nullable=False),
                 Column("user_id", Text, nullable=False),
                 Column("name", Text, nullable=False),
                 Column("points", Integer, nullable=False),
                 Column("at", Double, nullable=False),
                 PrimaryKeyConstraint("chat_id", "user_id"))

    create_table(conn, "seen_deliveries",  # LINE webhookEventId, Telegram update_id
                 Column("source", Text, nullable=False),
                 Column("key", Text, nullable=False),
                 Column("at", Double, nullable=False),
                 PrimaryKeyConstraint("source", "key"),
                 Index("seen_deliveries_at", "at"))
    create_table(conn, "rate_windows",
                 Column("key", Text, primary_key=True),
                 Column("started", Double, nullable=False),
                 Column("count", Integer, nullable=False),
                 Column("notified", Double, nullable=False, server_default="0"),
                 Index("rate_windows_started", "started"))
