"""One database layer for all mutable state: SQLite file by default, PostgreSQL with
``SARABUN_DATABASE_URL``; versioned migrations; one small repository per kind of state.

See docs/state.md. Open with :func:`open_database` (one shared Database per URL and process).
"""

from .db import (
    Database,
    DatabaseError,
    memory_database,
    open_database,
    ping,
    sqlite_url,
    state_database,
)
from .dedup import first_delivery
from .migrate import Migration, all_migrations, applied, create_table, has_column, id_column, pending, upgrade
from .quiz import QuizRound, QuizStore
from .records import (
    AuditEntry,
    Feedback,
    read_audit,
    read_questions,
    read_unhelpful,
    record_audit,
    record_feedback,
    record_question,
)
from .turns import TurnStore

__all__ = [
    "AuditEntry", "Database", "DatabaseError", "Feedback", "Migration", "QuizRound", "QuizStore",
    "TurnStore", "all_migrations", "applied", "create_table", "first_delivery", "has_column", "id_column",
    "memory_database", "open_database", "pending", "ping", "read_audit", "read_questions", "read_unhelpful",
    "record_audit", "record_feedback", "record_question", "sqlite_url", "state_database", "upgrade",
]
