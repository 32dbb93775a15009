"""Console builds: every console change to the documents — an upload, a metadata edit, a removal,
or a plain re-index from the versions page — is queued in the ``web_builds`` table and built in
the background, one at a time, so a request returns at once and the pages follow the progress.

A change waits its turn when a build is running (an admin adding several circulars in a row
expects them all to go in, not to be told to come back later); the queue holds at most
:data:`MAX_WAITING` changes. The uploaded bytes wait in the database, not in the documents
directory, so a file refused by its build never appears there, and any replica can run the queue.
Each change runs through :class:`bot.admin.Admin` exactly as a chat upload does: the live index is
published whole or not at all, and a refused file (or metadata) is taken out again.
"""

import json
import logging
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import text

from index.loaders import META_SUFFIX
from index.store import IndexUnavailable, build_lock

from ..admin import AdminResult, Progress
from .app import Console

log = logging.getLogger(__name__)

PROGRESS_EVERY = 0.5  # seconds between progress writes
HEARTBEAT = 5.0  # a running build says it is alive this often, even while it parses files
STALE_BUILD = 60.0  # a "running" build not heard of for this long died with its process
MAX_WAITING = 20  # queued changes (each upload's bytes wait in the database)
RECENT = 5  # finished builds listed on the pages
LOCK_WAIT = 600.0  # seconds a change waits for a build outside the console (chat, CLI) to end
_CLAIM_LOCK = 7_261_2568  # PostgreSQL advisory lock: one replica claims the next change at a time
WAITING = "finished IS NULL AND queued = 1"  # rows of web_builds waiting their turn
RUNNING = "finished IS NULL AND queued = 0"  # running, or died with its process (see STALE_BUILD)

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
    """What the pages show: the running build, the changes waiting, and how recent ones ended."""

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


def build_state(console: Console) -> BuildState:
    """The running console build with its progress, the queue, and the latest outcomes."""
    now = time.time()
    with console.db.read() as conn:
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
        return BuildState(False, 0, "ยังไม่มีการจัดทำดัชนีจากคอนโซล", None, 0)
    return BuildState(False, 100 if ok else 0, f"ครั้งล่าสุด {recent[0][1]}", ok, last, waiting, recent)


def _job(row) -> Job:
    return Job(row.id, row.action, row.target, row.actor)


def _when(at: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(at))


def enqueue(console: Console, actor: str, action: str, target: str = "", meta: dict | None = None,
            payload: bytes | None = None) -> int | None:
    """Queue a change and start the queue; how many changes go before it (0: it runs now), or
    None when the queue is full (nothing queued)."""
    with console.db.tx() as conn:
        _lock(conn)
        ahead = conn.execute(text(f"SELECT COUNT(*) FROM web_builds WHERE {WAITING}")).scalar_one()
        if ahead >= MAX_WAITING:
            return None
        now = time.time()
        conn.execute(text("INSERT INTO web_builds (actor, started, at, action, target, meta, payload, "
                          "queued) VALUES (:a, :t, :t, :act, :tg, :m, :p, 1)"),
                     {"a": actor, "t": now, "act": action, "tg": target, "p": payload,
                      "m": None if meta is None else json.dumps(meta, ensure_ascii=False)})
    busy = build_state(console).running
    kick(console)
    return ahead + int(busy)


def reindex_waiting(console: Console) -> bool:
    """Whether a plain re-index is already waiting (another one would add nothing)."""
    with console.db.read() as conn:
        return conn.execute(text(f"SELECT 1 FROM web_builds WHERE {WAITING} AND action = 'reindex'"
                                 )).first() is not None


def queued_message(what: str, place: int | None) -> tuple[str, bool]:
    """The Thai reply to a queued change: (message, accepted)."""
    if place is None:
        return (f"มีงานรอจัดทำดัชนีครบ {MAX_WAITING} งานแล้ว จึงยังไม่ได้รับ{what}ค่ะ "
                "กรุณารอให้งานเดิมเสร็จแล้วลองอีกครั้ง", False)
    when = ("กำลังจัดทำดัชนีอยู่เบื้องหลัง" if place == 0
            else f"รอจัดทำดัชนีต่อจากงานก่อนหน้า (คิวที่ {place})")
    return (f"รับ{what}แล้วค่ะ {when} ดูความคืบหน้าและผลได้ที่กล่อง “การจัดทำดัชนี” ในหน้านี้ "
            "หรือหน้า “รุ่นดัชนี”", True)


def kick(console: Console) -> None:
    """Run the waiting changes in a background thread, unless a build is already running (after
    a restart the pages call this, so changes queued before it are not forgotten)."""
    with console.db.read() as conn:
        if conn.execute(text(f"SELECT 1 FROM web_builds WHERE {WAITING}")).first() is None:
            return
    job = _claim(console)
    if job is not None:
        threading.Thread(target=_work, args=(console, job), daemon=True, name=f"web-build-{job.id}").start()


def _lock(conn) -> None:
    if conn.dialect.name == "postgresql":  # SQLite: BEGIN IMMEDIATE already holds the write lock
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _CLAIM_LOCK})


def _claim(console: Console) -> Job | None:
    """The oldest waiting change, marked running, when no build runs (a build silent for
    :data:`STALE_BUILD` died with its process and is closed first)."""
    now = time.time()
    with console.db.tx() as conn:
        _lock(conn)
        for row in conn.execute(text(f"SELECT id, at FROM web_builds WHERE {RUNNING}")).all():
            if now - row.at < STALE_BUILD:
                return None
            conn.execute(text("UPDATE web_builds SET finished = :t, ok = 0, payload = NULL, message = :m "
                              "WHERE id = :id"),
                         {"t": now, "id": row.id, "m": "หยุดไปโดยไม่มีผลลัพธ์ (เซิร์ฟเวอร์หยุดระหว่างจัดทำดัชนี)"})
        row = conn.execute(text(f"SELECT id, action, target, actor FROM web_builds WHERE {WAITING} "
                                "ORDER BY id LIMIT 1")).first()
        if row is None:
            return None
        conn.execute(text("UPDATE web_builds SET queued = 0, started = :t, at = :t WHERE id = :id"),
                     {"t": now, "id": row.id})
    return _job(row)


def _work(console: Console, job: Job | None) -> None:
    while job is not None:
        _run(console, job)
        job = _claim(console)


def _run(console: Console, job: Job) -> None:
    last = 0.0

    def progress(done: int, total: int) -> None:
        nonlocal last
        if time.monotonic() - last < PROGRESS_EVERY and done < total:
            return
        last = time.monotonic()
        with console.db.tx() as conn:
            conn.execute(text("UPDATE web_builds SET done = :d, total = :n, at = :t WHERE id = :id"),
                         {"d": done, "n": total, "t": time.time(), "id": job.id})

    def heartbeat() -> None:
        while not finished.wait(HEARTBEAT):
            with console.db.tx() as conn:
                conn.execute(text("UPDATE web_builds SET at = :t WHERE id = :id"),
                             {"t": time.time(), "id": job.id})

    finished = threading.Event()
    threading.Thread(target=heartbeat, daemon=True, name=f"web-build-{job.id}-alive").start()
    try:
        _wait_for_index(console)
        result = _apply(console, job, progress)
    except Exception as exc:  # the page must learn how it ended; the server keeps serving
        log.exception("web build %d (%s) failed", job.id, job.label)
        result = AdminResult(False, f"จัดทำดัชนีไม่สำเร็จ ดัชนีเดิมยังใช้งานได้ค่ะ ({type(exc).__name__})")
    finally:
        finished.set()
    log.info("web build %d (%s by %s): %s", job.id, job.label, job.actor, "ok" if result.ok else "refused")
    with console.db.tx() as conn:
        conn.execute(text("UPDATE web_builds SET finished = :t, at = :t, ok = :ok, message = :m, "
                          "payload = NULL WHERE id = :id"),
                     {"t": time.time(), "ok": int(result.ok), "m": result.message, "id": job.id})


def _wait_for_index(console: Console) -> None:
    """Wait (up to :data:`LOCK_WAIT`) while a chat upload or ``sarabun index build`` holds the
    index: builds never overlap, and the change should wait its turn rather than be refused."""
    deadline = time.monotonic() + LOCK_WAIT
    while time.monotonic() < deadline:
        try:
            with build_lock(console.index_dir):
                return
        except IndexUnavailable:
            time.sleep(1)
    # still busy: the change runs anyway and reports "another build is running", changing nothing


def _apply(console: Console, job: Job, progress: Progress) -> AdminResult:
    """Make the change and build: through :class:`bot.admin.Admin`, which audits it."""
    admin = console.admin
    if job.action == "remove":
        return admin.remove(job.target, job.actor, progress)
    if job.action == "reindex":
        return admin.reindex(job.actor, progress)
    with console.db.read() as conn:
        row = conn.execute(text("SELECT meta, payload FROM web_builds WHERE id = :id"), {"id": job.id}).one()
    if job.action == "metadata" and not (console.docs_dir / job.target).is_file():
        return AdminResult(False, f"ไม่พบเอกสาร {job.target} แล้ว (อาจถูกลบไปก่อน) "
                                  "จึงไม่ได้บันทึกข้อมูลค่ะ")  # never a sidecar without its file
    meta = json.loads(row.meta) if row.meta is not None else None
    old = write_metadata(console.docs_dir, job.target, meta) if meta is not None else None
    result = AdminResult(False, "")
    try:
        if job.action == "upload":
            result = admin.add_document(job.target, bytes(row.payload or b""), job.actor, progress)
        else:  # metadata
            result = admin.reindex(job.actor, progress)
            console.audit(job.actor, "metadata", job.target, result.ok, row.meta)
            if result.ok:
                result = AdminResult(True, "บันทึกข้อมูลเอกสารแล้วค่ะ\n" + result.message)
    finally:  # refused, or failed in a way nobody foresaw: the old metadata goes back
        if not result.ok and meta is not None:
            restore_metadata(console.docs_dir, job.target, old)
    return result


def write_metadata(docs_dir: Path, name: str, meta: dict[str, str]) -> bytes | None:
    """Replace the sidecar of ``name`` (removed when ``meta`` is empty); the old bytes, to put
    back with :func:`restore_metadata` if the build refuses the change."""
    sidecar = docs_dir / (name + META_SUFFIX)
    old = sidecar.read_bytes() if sidecar.exists() else None
    if meta:
        tmp = sidecar.with_name(f".meta-{sidecar.name}")  # dot files are not indexed
        tmp.write_text(json.dumps(meta, ensure_ascii=False, indent=2), "utf-8")
        os.replace(tmp, sidecar)
    else:
        sidecar.unlink(missing_ok=True)
    return old


def restore_metadata(docs_dir: Path, name: str, old: bytes | None) -> None:
    """Put back the sidecar :func:`write_metadata` replaced."""
    sidecar = docs_dir / (name + META_SUFFIX)
    if old is None:
        sidecar.unlink(missing_ok=True)
    else:
        sidecar.write_bytes(old)


def page_context(console: Console, after: str) -> dict:
    """The build box's template context; ``after`` is the page to show again once a build ends
    (a GET address: reloading a page answered to a POST would send the form again)."""
    kick(console)
    return {"build": build_state(console), "build_after": after}
