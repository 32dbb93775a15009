"""The build queue: every change to the documents — an upload from a chat or the web console, a
metadata edit, a removal, a plain re-index — is queued in the ``web_builds`` table and built in
the background, one at a time, so nobody waits on a build and questions keep being answered from
the live index meanwhile.

A change waits its turn when a build is running (an admin adding several circulars in a row
expects them all to go in, not to be told to come back later); the queue holds at most
:data:`MAX_WAITING` changes. The uploaded bytes wait in the database, not in the documents
directory, so a file refused by its build never appears there, and any replica can run the queue.
Each change runs through :class:`bot.admin.Admin`: the live index is published whole or not at
all, and the documents directory takes the change only with the version built from it.

A chat upload names whom to tell (``reply_to``); :func:`follow_outcomes` runs in each chat front
end, starts what waits (also after a restart) and sends each uploader their outcome once. A change
whose process died mid-build is run again once (its bytes are still here), then given up.
"""

import asyncio
import json
import logging
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from sqlalchemy import text

from index.store import IndexUnavailable, build_lock

from .admin import Admin, AdminResult, Progress
from .state import Database

log = logging.getLogger(__name__)

PROGRESS_EVERY = 0.5  # seconds between progress writes
HEARTBEAT = 5.0  # a running build says it is alive this often, even while it parses files
STALE_BUILD = 60.0  # a "running" build not heard of for this long died with its process
MAX_WAITING = 20  # queued changes (each upload's bytes wait in the database)
MAX_RUNS = 2  # a change whose process died is run once more, then given up
RECENT = 5  # finished builds listed on the pages
LOCK_WAIT = 600.0  # seconds a change waits for a build outside the queue (CLI) to end
FOLLOW_EVERY = 2.0  # seconds between a chat front end's looks at the queue
MAX_SENDS = 5  # tries to tell an uploader their outcome
_CLAIM_LOCK = 7_261_2568  # PostgreSQL advisory lock: one replica claims the next change at a time
WAITING = "finished IS NULL AND queued = 1"  # rows of web_builds waiting their turn
RUNNING = "finished IS NULL AND queued = 0"  # running, or died with its process (see STALE_BUILD)
STOPPED = ("หยุดไปโดยไม่มีผลลัพธ์ (เซิร์ฟเวอร์หยุดระหว่างจัดทำดัชนี) "
           "เอกสารและดัชนีที่ใช้งานอยู่ไม่เปลี่ยนแปลงค่ะ")

ACTIONS = {"upload": "เพิ่ม", "metadata": "แก้ข้อมูล", "remove": "ลบ", "reindex": "จัดทำดัชนีใหม่"}


@dataclass
class Job:
    """One queued change."""

    id: int
    action: str  # a key of ACTIONS
    target: str  # the document's file name (or id, for a removal); "" for a re-index
    actor: str

    @property
    def label(self) -> str:
        return f"{ACTIONS.get(self.action, self.action)} {self.target}".strip()


@dataclass
class BuildState:
    """What the console shows: the running build, the changes waiting, and how recent ones ended."""

    running: bool
    percent: int
    text: str
    ok: bool | None  # how the latest finished build ended; None before the first
    last: int  # id of the latest finished build (the pages reload when it changes)
    waiting: list[str] = field(default_factory=list)
    recent: list[tuple[bool, str]] = field(default_factory=list)  # (ok, summary), newest first

    def to_json(self) -> dict:
        return {"running": self.running, "percent": self.percent, "text": self.text, "ok": self.ok,
                "last": self.last, "waiting": self.waiting}


@dataclass
class Outcome:
    """How a chat upload's build ended, to send to ``chat`` of its platform."""

    id: int
    chat: str
    ok: bool
    message: str
    tries: int  # earlier failed sends


def build_state(db: Database) -> BuildState:
    """The running build with its progress, the queue, and the latest outcomes."""
    now = time.time()
    with db.read() as conn:
        rows = conn.execute(text(
            "SELECT id, action, target, actor, at, done, total, finished, ok, message, queued "
            "FROM web_builds WHERE finished IS NULL OR id IN "
            f"(SELECT id FROM web_builds WHERE finished IS NOT NULL ORDER BY id DESC LIMIT {RECENT}) "
            "ORDER BY id")).all()
    running = [r for r in rows if r.finished is None and not r.queued and now - r.at < STALE_BUILD]
    waiting = [_job(r).label + f" (โดย {r.actor})" for r in rows if r.finished is None and r.queued]
    ended = [r for r in reversed(rows) if r.finished is not None]
    recent = [(bool(r.ok), f"{_when(r.finished)} · {_job(r).label} (โดย {r.actor}): {r.message}")
              for r in ended]
    last, ok = (ended[0].id, bool(ended[0].ok)) if ended else (0, None)
    if running:
        r = running[0]
        percent = int(100 * r.done / r.total) if r.total else 0
        step = (f"ฝังเวกเตอร์แล้ว {r.done}/{r.total} ส่วน ({percent}%)" if r.total
                else "กำลังอ่านและตรวจเอกสาร")
        return BuildState(True, percent, f"กำลังจัดทำดัชนี: {_job(r).label} (โดย {r.actor}) — {step}",
                          ok, last, waiting, recent)
    if waiting:
        return BuildState(False, 0, "มีงานรอจัดทำดัชนี", ok, last, waiting, recent)
    if not ended:
        return BuildState(False, 0, "ยังไม่มีงานจัดทำดัชนีจากคอนโซลหรือแชต", None, 0)
    return BuildState(False, 100 if ok else 0, f"ครั้งล่าสุด {recent[0][1]}", ok, last, waiting, recent)


def _job(row) -> Job:
    return Job(row.id, row.action, row.target, row.actor)


def _when(at: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(at))


def enqueue(admin: Admin, actor: str, action: str, target: str = "", meta: dict | None = None,
            payload: bytes | None = None, reply_to: str | None = None) -> int | None:
    """Queue a change and start the queue; how many changes go before it (0: it runs now), or
    None when the queue is full (nothing queued). ``reply_to`` ("telegram:<chat>", "line:<user>")
    is told the outcome by :func:`follow_outcomes`."""
    with admin.db.tx() as conn:
        _lock(conn)
        ahead = conn.execute(text(f"SELECT COUNT(*) FROM web_builds WHERE {WAITING}")).scalar_one()
        if ahead >= MAX_WAITING:
            return None
        now = time.time()
        conn.execute(text("INSERT INTO web_builds (actor, started, at, action, target, meta, payload, "
                          "queued, reply_to) VALUES (:a, :t, :t, :act, :tg, :m, :p, 1, :r)"),
                     {"a": actor, "t": now, "act": action, "tg": target, "p": payload, "r": reply_to,
                      "m": None if meta is None else json.dumps(meta, ensure_ascii=False)})
    busy = build_state(admin.db).running
    kick(admin)
    return ahead + int(busy)


def reindex_waiting(db: Database) -> bool:
    """Whether a plain re-index is already waiting (another one would add nothing)."""
    with db.read() as conn:
        return conn.execute(text(f"SELECT 1 FROM web_builds WHERE {WAITING} AND action = 'reindex'"
                                 )).first() is not None


def kick(admin: Admin) -> None:
    """Run the waiting changes in a background thread, unless a build is already running; a
    change whose process died is queued again first (or given up). The console's pages and the
    chat front ends call this, so changes queued before a restart are not forgotten."""
    with admin.db.read() as conn:
        if conn.execute(text(f"SELECT 1 FROM web_builds WHERE {WAITING} OR ({RUNNING} AND at < :stale)"),
                        {"stale": time.time() - STALE_BUILD}).first() is None:
            return
    job = _claim(admin.db)
    if job is not None:
        threading.Thread(target=_work, args=(admin, job), daemon=True, name=f"build-{job.id}").start()


def _lock(conn) -> None:
    if conn.dialect.name == "postgresql":  # SQLite: BEGIN IMMEDIATE already holds the write lock
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _CLAIM_LOCK})


def _claim(db: Database) -> Job | None:
    """The oldest waiting change, marked running, when no build runs. A build silent for
    :data:`STALE_BUILD` died with its process: it waits again (first in line) unless it has
    run :data:`MAX_RUNS` times, then it is closed as stopped."""
    now = time.time()
    with db.tx() as conn:
        _lock(conn)
        for row in conn.execute(text(f"SELECT id, at, attempts FROM web_builds WHERE {RUNNING}")).all():
            if now - row.at < STALE_BUILD:
                return None
            if row.attempts < MAX_RUNS:
                log.warning("build %d stopped with its process; queued again", row.id)
                conn.execute(text("UPDATE web_builds SET queued = 1, done = 0, total = 0 WHERE id = :id"),
                             {"id": row.id})
                continue
            log.error("build %d stopped with its process %d times; given up", row.id, row.attempts)
            conn.execute(text("UPDATE web_builds SET finished = :t, ok = 0, payload = NULL, message = :m "
                              "WHERE id = :id"), {"t": now, "id": row.id, "m": STOPPED})
        row = conn.execute(text(f"SELECT id, action, target, actor FROM web_builds WHERE {WAITING} "
                                "ORDER BY id LIMIT 1")).first()
        if row is None:
            return None
        conn.execute(text("UPDATE web_builds SET queued = 0, started = :t, at = :t, "
                          "attempts = attempts + 1 WHERE id = :id"), {"t": now, "id": row.id})
    return _job(row)


def _work(admin: Admin, job: Job | None) -> None:
    while job is not None:
        _run(admin, job)
        job = _claim(admin.db)


def _run(admin: Admin, job: Job) -> None:
    db = admin.db
    last = 0.0

    def progress(done: int, total: int) -> None:
        nonlocal last
        if time.monotonic() - last < PROGRESS_EVERY and done < total:
            return
        last = time.monotonic()
        with db.tx() as conn:
            conn.execute(text("UPDATE web_builds SET done = :d, total = :n, at = :t WHERE id = :id"),
                         {"d": done, "n": total, "t": time.time(), "id": job.id})

    def heartbeat() -> None:
        while not finished.wait(HEARTBEAT):
            with db.tx() as conn:
                conn.execute(text("UPDATE web_builds SET at = :t WHERE id = :id"),
                             {"t": time.time(), "id": job.id})

    finished = threading.Event()
    threading.Thread(target=heartbeat, daemon=True, name=f"build-{job.id}-alive").start()
    try:
        _wait_for_index(admin)
        result = _apply(admin, job, progress)
    except Exception as exc:  # the uploader must learn how it ended; the server keeps serving
        log.exception("build %d (%s) failed", job.id, job.label)
        result = AdminResult(False, f"จัดทำดัชนีไม่สำเร็จ ดัชนีเดิมยังใช้งานได้ค่ะ ({type(exc).__name__})")
    finally:
        finished.set()
    log.info("build %d (%s by %s): %s", job.id, job.label, job.actor, "ok" if result.ok else "refused")
    with db.tx() as conn:
        conn.execute(text("UPDATE web_builds SET finished = :t, at = :t, ok = :ok, message = :m, "
                          "payload = NULL WHERE id = :id"),
                     {"t": time.time(), "ok": int(result.ok), "m": result.message, "id": job.id})


def _wait_for_index(admin: Admin) -> None:
    """Wait (up to :data:`LOCK_WAIT`) while ``sarabun index build`` or a rollback holds the
    index: builds never overlap, and the change should wait its turn rather than be refused."""
    deadline = time.monotonic() + LOCK_WAIT
    while time.monotonic() < deadline:
        try:
            with build_lock(admin.index_dir):
                return
        except IndexUnavailable:
            time.sleep(1)
    # still busy: the change runs anyway and reports "another build is running", changing nothing


def _apply(admin: Admin, job: Job, progress: Progress) -> AdminResult:
    """Make the change and build, through :class:`bot.admin.Admin`, which audits it."""
    if job.action == "remove":
        return admin.remove(job.target, job.actor, progress)
    if job.action == "reindex":
        return admin.reindex(job.actor, progress)
    with admin.db.read() as conn:
        row = conn.execute(text("SELECT meta, payload FROM web_builds WHERE id = :id"), {"id": job.id}).one()
    meta = json.loads(row.meta) if row.meta is not None else None
    if job.action == "metadata":
        return admin.set_metadata(job.target, meta or {}, job.actor, progress)
    return admin.add_document(job.target, bytes(row.payload or b""), job.actor, progress, meta)


def take_outcomes(db: Database, platform: str) -> list[Outcome]:
    """The finished changes whose uploaders on ``platform`` have not been told yet, claimed (on
    any replica, each is handed out once; :func:`send_failed` hands it out again).

    ``replied`` is 0 for an outcome to send, -k after k failed sends (sent again until
    :data:`MAX_SENDS`), and 1 + k once handed out (so the claim itself returns k)."""
    with db.tx() as conn:
        rows = conn.execute(text(
            "UPDATE web_builds SET replied = 1 - replied WHERE reply_to LIKE :p AND replied <= 0 "
            f"AND replied > -{MAX_SENDS} AND finished IS NOT NULL "
            "RETURNING id, reply_to, ok, message, replied"), {"p": f"{platform}:%"}).all()
    return [Outcome(r.id, r.reply_to.split(":", 1)[1], bool(r.ok), r.message, r.replied - 1)
            for r in rows]


def send_failed(db: Database, outcome: Outcome) -> None:
    """Hand ``outcome`` out again later, one failed send more (given up at :data:`MAX_SENDS`)."""
    with db.tx() as conn:
        conn.execute(text("UPDATE web_builds SET replied = :r WHERE id = :id"),
                     {"r": -(outcome.tries + 1), "id": outcome.id})


async def follow_outcomes(admin: Admin, platform: str, send: Callable[[Outcome], Awaitable[None]],
                          every: float = FOLLOW_EVERY) -> None:
    """Until cancelled: start what waits in the queue, and tell the ``platform`` uploaders how
    their builds ended with ``send(outcome)``."""
    while True:
        try:
            await asyncio.to_thread(kick, admin)
            outcomes = await asyncio.to_thread(take_outcomes, admin.db, platform)
        except Exception as exc:  # the database is down: try again at the next look
            log.error("build queue: could not look for %s outcomes: %s", platform, exc)
            outcomes = []
        for outcome in outcomes:
            try:
                await send(outcome)
            except Exception as exc:
                log.warning("build %d: could not tell %s:%s its outcome (try %d of %d): %s",
                            outcome.id, platform, outcome.chat, outcome.tries + 1, MAX_SENDS, exc)
                await asyncio.to_thread(send_failed, admin.db, outcome)
        await asyncio.sleep(every)
