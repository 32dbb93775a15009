"""The state database layer (bot/state) on SQLite and on a real PostgreSQL: the same repository
tests on both, concurrent writers in threads and processes, migrations and upgrades of old files."""

import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from bot.dialogue import Turn
from bot.ratelimit import RateLimiter
from bot.state import (
    AuditEntry,
    Database,
    Feedback,
    QuizRound,
    QuizStore,
    TurnStore,
    all_migrations,
    applied,
    first_delivery,
    open_database,
    read_audit,
    read_unhelpful,
    record_audit,
    record_feedback,
    record_question,
    sqlite_url,
)
from bot.state.quiz import ROUND_TTL
from retrieval.abstain import Evidence
from retrieval.answer import Answer, Citation
from retrieval.quiz import QuizQuestion

from .postgres import PostgresServer, postgres  # noqa: F401  (the session's server fixture)

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request, tmp_path: Path) -> Iterator[Database]:
    if request.param == "sqlite":
        url = sqlite_url(tmp_path / "state.sqlite3")
    else:
        url = request.getfixturevalue("postgres").new_database()
    database = open_database(url)
    yield database
    database.close()


def _answer(n: int = 2) -> Answer:
    citations = [Citation(i + 1, "doc", "พ.ร.บ. ทดสอบ", "https://example.go.th/a.pdf", i + 3,
                          f"มาตรา {i + 5}", f"ข้อความมาตรา {i + 5}\nบรรทัดสอง", 0.5 + i, f"doc#{i}", None,
                          "2562-01-01")
                 for i in range(n)]
    return Answer("คำถาม", False, "คำตอบ", citations, ["เอกสารอื่น"],
                  Evidence(0.9, 1.0, 0.5, 0.1, 0.0, 0.0, 0.2))


def _question() -> QuizQuestion:
    return QuizQuestion("ข้อใดถูก", ["ก", "ข", "ค", "ง"], 2, _answer(1).citations[0], "definition")


def test_migrations_are_recorded_once(db: Database) -> None:
    assert applied(db) == {(m.component, m.version) for m in all_migrations()}
    db.upgraded = False
    from bot.state import upgrade

    assert upgrade(db) == []  # nothing left to apply


def test_records_one_vote_per_user_and_answer(db: Database) -> None:
    turn = Turn("ref1", "chat", "มาตรา 6 ว่าอย่างไร", 0, _answer())
    record_question(db, "line", "U1", turn)
    assert record_feedback(db, Feedback.for_turn(turn, "line", "U1", False))
    assert not record_feedback(db, Feedback.for_turn(turn, "line", "U1", True))  # the first vote stays
    assert record_feedback(db, Feedback.for_turn(turn, "line", "U2", True))
    assert record_feedback(db, Feedback.for_turn(turn, "telegram", "U1", True))  # another platform's user
    (unhelpful,) = read_unhelpful(db, 0)
    assert unhelpful == ("มาตรา 6 ว่าอย่างไร", ["doc#0", "doc#1"], pytest.approx(time.time(), abs=60))
    record_audit(db, AuditEntry("cli", "reindex", "", "ok", "เผยแพร่"))
    (entry,) = read_audit(db)
    assert (entry.actor, entry.action, entry.detail) == ("cli", "reindex", "เผยแพร่")


def test_turns_round_trip_and_expire(db: Database) -> None:
    now = [1_000_000.0]
    store = TurnStore(db, Turn, clock=lambda: now[0])
    first = Turn("a1", "chat", "จุดเน้นมีอะไรบ้าง", 0, _answer())
    store.save(first)
    store.save(Turn("b1", "other", "อีกแชต", 0, _answer(1)))
    second = Turn("a2", "chat", "แล้วข้อ 3 ล่ะ", 3, _answer(1), follow_up=True)
    store.save(second)
    assert store.get("a1") == first  # every field, citations and evidence included
    assert store.last("chat") == second and store.last("other").ref == "b1"
    assert store.get("nope") is None and store.last("nobody") is None
    now[0] += store.ttl + 1
    assert store.get("a1") is None and store.last("chat") is None
    assert store.prune() == 3


def test_quiz_rounds_sessions_and_scores(db: Database) -> None:
    quiz = QuizStore(db)
    assert [quiz.next_number("g") for _ in range(3)] == [0, 1, 2] and quiz.next_number("h") == 0
    quiz.start_session("g")
    quiz.add(QuizRound("r1", "g", _question()))
    assert quiz.answer("r1", "u1", "สมชาย", 2) == "ok"
    assert quiz.answer("r1", "u1", "สมชาย", 1) == "again"
    assert quiz.answer("r1", "u2", "สมหญิง", 0) == "ok"
    assert quiz.answer("r1", "u3", "x", 9) == "stale" and quiz.answer("zz", "u3", "x", 0) == "stale"
    stored = quiz.get("r1")
    assert stored.question == _question() and stored.answers == {"u1": ("สมชาย", 2), "u2": ("สมหญิง", 0)}
    assert stored.winners() == ["สมชาย"]
    assert quiz.reveal("r1").revealed and quiz.reveal("r1") is None  # scored once
    assert quiz.answer("r1", "u4", "late", 2) == "closed"
    assert quiz.leaderboard("g") == [("สมชาย", 1), ("สมหญิง", 0)]
    assert quiz.stop_session("g") == [("สมชาย", 1), ("สมหญิง", 0)]
    assert quiz.stop_session("g") is None and quiz.leaderboard("g") == []


def test_quiz_rounds_expire(db: Database) -> None:
    now = [2_000_000.0]
    quiz = QuizStore(db, clock=lambda: now[0])
    quiz.add(QuizRound("old", "g", _question()))
    now[0] += ROUND_TTL + 1
    assert quiz.get("old") is None and quiz.answer("old", "u", "n", 0) == "stale"
    quiz.prune()
    with db.read() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM quiz_rounds")).scalar() == 0


def test_concurrent_reveal_scores_once(db: Database) -> None:
    quiz = QuizStore(db)
    quiz.start_session("g")
    quiz.add(QuizRound("r", "g", _question()))
    for i in range(5):
        quiz.answer("r", f"u{i}", f"n{i}", 2)
    results = _in_threads(8, lambda _: quiz.reveal("r"))
    assert sum(r is not None for r in results) == 1
    assert sorted(p for _, p in quiz.leaderboard("g")) == [1] * 5


_REVEALER = """
import sys, time
from bot.state import QuizStore, open_database
quiz = QuizStore(open_database(sys.argv[1]))
time.sleep(max(0.0, float(sys.argv[2]) - time.time()))  # all processes at the same moment
print("scored" if quiz.reveal("r") is not None else "already")
"""


def test_replicas_revealing_at_once_score_once(db: Database) -> None:
    """A group round revealed by several replicas at the same moment (a timer here, a trainer's
    button there): exactly one scores it."""
    quiz = QuizStore(db)
    quiz.start_session("g")
    quiz.add(QuizRound("r", "g", _question()))
    quiz.answer("r", "u1", "สมชาย", 2)
    at = str(time.time() + 4)
    procs = [subprocess.Popen([sys.executable, "-c", _REVEALER, db.url, at], cwd=ROOT, text=True,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(4)]
    outs = [p.communicate(timeout=120) for p in procs]
    assert sorted(out.strip() for out, _ in outs) == ["already"] * 3 + ["scored"], outs
    assert quiz.leaderboard("g") == [("สมชาย", 1)]


def test_delivery_is_first_once_across_threads(db: Database) -> None:
    results = _in_threads(10, lambda _: first_delivery(db, "line", "01HSAMEEVENT"))
    assert sorted(results) == [False] * 9 + [True]
    assert first_delivery(db, "telegram", "01HSAMEEVENT")  # another source


def test_rate_limit_window_is_shared_and_exact(db: Database) -> None:
    limiter = RateLimiter(db, limit=5, window=60)
    allowed = _in_threads(20, lambda _: limiter.allow("U1"))
    assert sum(allowed) == 5
    assert limiter.should_notify("U1") and not limiter.should_notify("U1")  # once per window
    assert limiter.allow("U2")  # other users are not affected
    later = time.time() + 61
    assert limiter.allow("U1", now=later)  # a new window
    assert limiter.should_notify("U1")


def test_ten_threads_of_audit_writes_lose_nothing(db: Database) -> None:
    def write(t: int) -> None:
        for i in range(300):
            record_audit(db, AuditEntry(f"thread:{t}", "reindex", str(i), "ok"))

    _in_threads(10, write)
    entries = read_audit(db)
    assert len(entries) == 3000
    assert {(e.actor, e.target) for e in entries} == {(f"thread:{t}", str(i)) for t in range(10)
                                                      for i in range(300)}


_WRITER = """
import sys
from bot.state import AuditEntry, open_database, record_audit
db = open_database(sys.argv[1])
for i in range(int(sys.argv[3])):
    record_audit(db, AuditEntry(sys.argv[2], "start", str(i), "ok"))
"""


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_processes_starting_together_on_a_new_database(backend: str, tmp_path: Path, request) -> None:
    """Several processes create and migrate the same new database at once (5 trials): all
    succeed, every migration is applied once and no row is lost."""
    for trial in range(5):
        if backend == "sqlite":
            url = sqlite_url(tmp_path / f"new-{trial}.sqlite3")
        else:
            url = request.getfixturevalue("postgres").new_database()
        procs = [subprocess.Popen([sys.executable, "-c", _WRITER, url, f"p{n}", "50"], cwd=ROOT,
                                  stderr=subprocess.PIPE, text=True) for n in range(4)]
        errors = [p.communicate(timeout=120)[1] for p in procs]
        assert [p.returncode for p in procs] == [0] * 4, errors
        db = open_database(url)
        assert len(read_audit(db)) == 200
        with db.read() as conn:
            rows = conn.execute(text("SELECT component, version FROM schema_migrations")).all()
        assert len(rows) == len(set(rows)) == len(all_migrations())
        db.close()


def test_a_database_from_before_migrations_is_upgraded(tmp_path: Path) -> None:
    """A file written by the old bot/records.py (three tables, no schema_migrations, votes without
    an answer reference) keeps its rows and gains the new tables."""
    path = tmp_path / "old.sqlite3"
    old = sqlite3.connect(path)
    old.executescript("""
        CREATE TABLE questions (id INTEGER PRIMARY KEY, at REAL NOT NULL, platform TEXT NOT NULL,
            user_id TEXT NOT NULL, question TEXT NOT NULL, abstained INTEGER NOT NULL,
            chunk_ids TEXT NOT NULL);
        CREATE TABLE feedback (id INTEGER PRIMARY KEY, at REAL NOT NULL, platform TEXT NOT NULL,
            user_id TEXT NOT NULL, chat_id TEXT NOT NULL, question TEXT NOT NULL, chunk_ids TEXT NOT NULL,
            helpful INTEGER NOT NULL);
        CREATE TABLE audit (id INTEGER PRIMARY KEY, at REAL NOT NULL, actor TEXT NOT NULL,
            action TEXT NOT NULL, target TEXT NOT NULL, outcome TEXT NOT NULL, detail TEXT NOT NULL);
        INSERT INTO feedback VALUES (1, 1.0, 'line', 'U1', 'c', 'q', 'a#1', 0);
        INSERT INTO feedback VALUES (2, 2.0, 'line', 'U1', 'c', 'q', 'a#1', 0);
        INSERT INTO audit VALUES (1, 1.0, 'cli', 'reindex', '', 'ok', '');
    """)
    old.close()
    status = subprocess.run([sys.executable, "-m", "bot", "db", "status"], cwd=ROOT, capture_output=True,
                            text=True, timeout=120, env={"SARABUN_DATA_DB": str(path), "PATH": ""})
    assert status.returncode == 1 and "PENDING" in status.stdout
    up = subprocess.run([sys.executable, "-m", "bot", "db", "upgrade"], cwd=ROOT, capture_output=True,
                        text=True, timeout=120, env={"SARABUN_DATA_DB": str(path), "PATH": ""})
    assert up.returncode == 0, up.stderr
    assert "applied core 0002 shared_state" in up.stdout
    db = open_database(sqlite_url(path), upgrade=False)  # up to date: no error
    assert len(read_unhelpful(db, 0)) == 2 and len(read_audit(db)) == 1
    with db.read() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
    db.close()


def test_a_schema_behind_the_code_is_refused_without_auto_upgrade(tmp_path: Path) -> None:
    path = tmp_path / "empty.sqlite3"
    sqlite3.connect(path).close()
    out = subprocess.run([sys.executable, "-m", "bot", "report"], cwd=ROOT, capture_output=True, text=True,
                         timeout=120, env={"SARABUN_DATA_DB": str(path), "PATH": "",
                                           "SARABUN_DATABASE_AUTO_UPGRADE": "false"})
    assert out.returncode == 1 and "sarabun db upgrade" in out.stderr


def test_an_unreachable_database_is_a_clear_error(tmp_path: Path) -> None:
    out = subprocess.run([sys.executable, "-m", "bot", "db", "upgrade"], cwd=ROOT, capture_output=True,
                         text=True, timeout=120,
                         env={"PATH": "", "SARABUN_DATABASE_URL":
                              f"postgresql://u:hunter2@/none?host={tmp_path}&port=1"})
    assert out.returncode == 1 and "cannot use the database" in out.stderr
    assert "hunter2" not in out.stderr and "Traceback" not in out.stderr


def _in_threads(n: int, work) -> list:
    results: list = [None] * n
    start = threading.Barrier(n)

    def run(i: int) -> None:
        start.wait()
        results[i] = work(i)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return results
