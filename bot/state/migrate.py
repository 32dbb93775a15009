"""Versioned schema migrations, run by ``sarabun db upgrade`` and at start.

Migrations are modules in ``bot/state/migrations/`` named ``<component>_<NNNN>_<what>.py``, each
with a docstring and ``up(conn)``. A component ("core", "inbox", "web", …) is one owner's series
of versions, so several parts of the bot can add tables without renumbering each other's. Applied
versions are recorded in ``schema_migrations``. The runner holds a lock while it works (a
PostgreSQL advisory lock; SQLite's write lock), so replicas starting together apply each migration
exactly once and the others wait, then find nothing to do.

Helpers here keep the DDL portable: :func:`id_column` is an auto-increment key on both backends.
"""

import importlib
import logging
import pkgutil
import re
import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import BigInteger, Column, Connection, Double, Integer, MetaData, Table, Text, text

from .db import Database

log = logging.getLogger(__name__)

_NAME = re.compile(r"^([a-z][a-z0-9]*)_([0-9]{4})_([a-z0-9_]+)$")
_LOCK_KEY = 7_261_2567  # any constant shared by every replica (PostgreSQL advisory lock)


@dataclass(frozen=True)
class Migration:
    component: str
    version: int
    name: str
    description: str
    up: Callable[[Connection], None]


def all_migrations() -> list[Migration]:
    """Every migration shipped with the code, by component then version."""
    package = importlib.import_module(f"{__package__}.migrations")

    found = []
    for info in pkgutil.iter_modules(package.__path__):
        match = _NAME.match(info.name)
        if not match:
            continue
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        summary = " ".join((module.__doc__ or "").strip().split("\n\n")[0].split())  # first paragraph
        found.append(Migration(match.group(1), int(match.group(2)), match.group(3), summary, module.up))
    return sorted(found, key=lambda m: (m.component, m.version))


def applied(db: Database) -> set[tuple[str, int]]:
    """(component, version) of the migrations applied to ``db``."""
    with db.read() as conn:
        if not _has_table(conn, "schema_migrations"):
            return set()
        return {(c, v) for c, v in conn.execute(text("SELECT component, version FROM schema_migrations"))}


def pending(db: Database) -> list[Migration]:
    """Migrations this code has that ``db`` has not."""
    done = applied(db)
    return [m for m in all_migrations() if (m.component, m.version) not in done]


def upgrade(db: Database) -> list[Migration]:
    """Apply pending migrations in one locked transaction; the ones applied by this call."""
    if db.upgraded:
        return []
    with db.tx() as conn:
        if db.dialect == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})
        # SQLite: BEGIN IMMEDIATE already holds the write lock until commit.
        _bookkeeping(conn)
        done = {(c, v) for c, v in conn.execute(text("SELECT component, version FROM schema_migrations"))}
        todo = [m for m in all_migrations() if (m.component, m.version) not in done]
        for m in todo:
            log.info("database: applying %s %04d %s", m.component, m.version, m.name)
            m.up(conn)
            conn.execute(text("INSERT INTO schema_migrations (component, version, name, applied_at) "
                              "VALUES (:c, :v, :n, :at)"),
                         {"c": m.component, "v": m.version, "n": m.name, "at": time.time()})
    db.upgraded = True
    return todo


def _bookkeeping(conn: Connection) -> None:
    table = Table("schema_migrations", MetaData(),
                  Column("component", Text, primary_key=True),
                  Column("version", Integer, primary_key=True),
                  Column("name", Text, nullable=False),
                  Column("applied_at", Double, nullable=False))
    table.create(conn, checkfirst=True)


def _has_table(conn: Connection, name: str) -> bool:
    from sqlalchemy import inspect

    return inspect(conn).has_table(name)


# Helpers for migration modules ------------------------------------------------------------------

def id_column() -> Column:
    """An auto-increment integer primary key "id" (SQLite rowid alias; PostgreSQL bigint identity)."""
    return Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True)


def create_table(conn: Connection, name: str, *columns, **kwargs) -> Table:
    """Create table ``name`` as given, unless it exists (a migration describes the table as it was
    at that version, independent of later ones)."""
    table = Table(name, MetaData(), *columns, **kwargs)
    table.create(conn, checkfirst=True)
    for index in table.indexes:  # create(checkfirst) skips indexes of an existing table
        index.create(conn, checkfirst=True)
    return table


def has_column(conn: Connection, table: str, column: str) -> bool:
    """Whether ``table`` has ``column`` (for migrations that add columns to older databases)."""
    from sqlalchemy import inspect

    return any(c["name"] == column for c in inspect(conn).get_columns(table))
