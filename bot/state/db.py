"""The database: one SQLAlchemy engine per URL and process, SQLite file by default, PostgreSQL
when ``SARABUN_DATABASE_URL=postgresql://…``.

Every thread gets its own pooled connection. On SQLite every write transaction starts with
``BEGIN IMMEDIATE`` (writers queue on the busy timeout instead of failing when a read lock is
upgraded), the file is in WAL mode so readers never wait for writers, and the WAL switch itself is
retried because it cannot wait on the busy handler when two processes create the file at once.
"""

import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from sqlalchemy.pool import StaticPool

if TYPE_CHECKING:
    from ..settings import BotSettings

log = logging.getLogger(__name__)

BUSY_SECONDS = 30.0  # how long a SQLite writer waits for another one before giving up
_READ = "sarabun_read"  # execution option: this transaction only reads
_open: dict[str, "Database"] = {}
_open_lock = threading.Lock()


class DatabaseError(RuntimeError):
    """The database cannot be used; the message says what to fix."""


@dataclass
class Database:
    """An engine with transactions that work the same on SQLite and PostgreSQL."""

    url: str
    engine: Engine
    _lock: "threading.RLock | None" = field(default=None, repr=False)  # one shared in-memory connection
    upgraded: bool = False  # the schema was brought up to date by this process

    @property
    def safe_url(self) -> str:
        """The URL without its password, for messages and logs."""
        return self.engine.url.render_as_string(hide_password=True)

    @property
    def dialect(self) -> str:
        """"sqlite" or "postgresql"."""
        return self.engine.dialect.name

    @contextmanager
    def tx(self) -> Iterator[Connection]:
        """A write transaction: committed when the block ends, rolled back when it raises."""
        with self._locked(), self.engine.begin() as conn:
            yield conn

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A read-only transaction (on SQLite a deferred one, so it never queues behind writers)."""
        with self._locked(), self.engine.connect() as conn:
            conn = conn.execution_options(**{_READ: True})
            with conn.begin():
                yield conn

    def close(self) -> None:
        """Close the pooled connections (a closed Database is not used again)."""
        with _open_lock:
            if _open.get(self.url) is self:
                del _open[self.url]
        self.engine.dispose()

    def _locked(self):
        return self._lock if self._lock is not None else nullcontext()


def sqlite_url(path: Path) -> str:
    """The URL of a SQLite file."""
    return f"sqlite:///{path.expanduser().resolve()}"


def open_database(url: str, upgrade: bool | None = True) -> Database:
    """The process's Database for ``url`` (opened once and shared by every caller), with the
    schema upgraded to this code's version; with ``upgrade`` False, DatabaseError when the schema
    is behind instead; with None, as it is (``sarabun db``).

    ``url``: ``sqlite:///abs/path``, ``sqlite://`` (in memory, private to this call) or
    ``postgresql://user:pass@host/db``.
    """
    memory = url in ("sqlite://", "sqlite:///:memory:")
    with _open_lock:
        db = None if memory else _open.get(url)
        if db is None:
            db = _connect(url, memory)
            if not memory:
                _open[url] = db
    from .migrate import pending
    from .migrate import upgrade as run_upgrade

    try:
        if upgrade:
            run_upgrade(db)
        elif upgrade is False and not db.upgraded and (behind := pending(db)):
            names = ", ".join(f"{m.component} {m.version:04d}" for m in behind)
            raise DatabaseError(f"the database schema is behind this code ({names}): run "
                                "'sarabun db upgrade'")
        else:
            ping(db)  # fail here, with a clear message, rather than at first use
    except SQLAlchemyError as exc:
        raise DatabaseError(f"cannot use the database {db.safe_url}: {exc.__class__.__name__}: "
                            f"{str(exc).splitlines()[0]}") from exc
    return db


def state_database(settings: "BotSettings") -> Database:
    """The state database the settings name (``SARABUN_DATABASE_URL`` or ``SARABUN_DATA_DB``),
    upgraded at open unless ``SARABUN_DATABASE_AUTO_UPGRADE=false``."""
    return open_database(settings.state_url, upgrade=settings.database_auto_upgrade)


def memory_database() -> Database:
    """A private in-memory SQLite database with the current schema (console chat, tests)."""
    return open_database("sqlite://")


def _connect(url: str, memory: bool) -> Database:
    if url.startswith(("postgresql://", "postgres://")):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]  # psycopg 3, not psycopg2
    if url.startswith("postgresql"):
        engine = create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)
        return Database(url, engine)
    if not url.startswith("sqlite"):
        raise DatabaseError(f"unsupported database URL {url.split(':', 1)[0]}: use sqlite:///path "
                            "or postgresql://user:password@host/database")
    if memory:
        engine = create_engine("sqlite://", poolclass=StaticPool,
                               connect_args={"check_same_thread": False})
    else:
        path = Path(url.removeprefix("sqlite:///"))
        path.parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, pool_size=8, max_overflow=16,
                               connect_args={"timeout": BUSY_SECONDS, "check_same_thread": False})
    _sqlite_events(engine, wal=not memory)
    return Database(url, engine, threading.RLock() if memory else None)


def _sqlite_events(engine: Engine, wal: bool) -> None:
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_conn, _record) -> None:
        dbapi_conn.isolation_level = None  # SQLAlchemy, not the driver, issues BEGIN
        cursor = dbapi_conn.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {int(BUSY_SECONDS * 1000)}")
        if wal:
            _retry_locked(lambda: cursor.execute("PRAGMA journal_mode=WAL"))
            cursor.execute("PRAGMA synchronous=NORMAL")  # durable at checkpoints; safe with WAL
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(conn: Connection) -> None:
        read_only = conn.get_execution_options().get(_READ, False)
        conn.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


def _retry_locked(run, seconds: float = BUSY_SECONDS) -> None:
    """Run a statement that SQLite refuses with "database is locked" while another process holds
    the lock it needs (the WAL switch does not wait on the busy handler)."""
    import sqlite3

    deadline = time.monotonic() + seconds
    delay = 0.01
    while True:
        try:
            run()
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 0.5)


def ping(db: Database) -> None:
    """Raise (OperationalError) when the database cannot answer a query."""
    with db.read() as conn:
        conn.execute(text("SELECT 1"))


__all__ = ["Database", "DatabaseError", "OperationalError", "memory_database", "open_database",
           "ping", "sqlite_url", "state_database"]
