"""Index versions page: the published and the previous version with their document differences,
a build started from the console with its progress, and roll back.

A build runs in a background thread through :meth:`bot.admin.Admin.reindex`; its progress is
written to the ``web_builds`` table, so every replica's page shows it and a page reload finds it.
"""

import logging
import threading
import time
from dataclasses import dataclass, field

from sqlalchemy import text
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from index.store import current_version, read_manifest

from .app import Console
from .auth import WebUser

log = logging.getLogger(__name__)

PROGRESS_EVERY = 0.5  # seconds between progress writes
HEARTBEAT = 5.0  # a running build says it is alive this often, even while it parses files
STALE_BUILD = 60.0  # a "running" build not heard of for this long died with its process


@dataclass
class Diff:
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    rebuilt: bool = False  # another embedder or pipeline: every document was processed anew


@dataclass
class VersionView:
    name: str
    current: bool
    created: str
    documents: int
    chunks: int
    embedder: str
    diff: Diff | None


def document_diff(new: dict, old: dict) -> Diff:
    """Titles of the documents added, removed and changed (different content) from ``old`` to
    ``new`` (two manifests)."""
    before = {d["doc_id"]: d for d in old.get("documents", [])}
    after = {d["doc_id"]: d for d in new.get("documents", [])}
    return Diff(sorted(after[k]["title"] for k in after.keys() - before.keys()),
                sorted(before[k]["title"] for k in before.keys() - after.keys()),
                sorted(after[k]["title"] for k in after.keys() & before.keys()
                       if after[k]["sha256"] != before[k]["sha256"]),
                any(new.get(key) != old.get(key) for key in ("embedder", "pipeline")))


def versions(console: Console) -> list[VersionView]:
    """The published version, then the previous one, each with its difference from the one
    before it when that is still on disk."""
    views = []
    name = current_version(console.index_dir)
    while name and len(views) < 2:
        manifest = read_manifest(console.index_dir, name)
        if manifest is None:
            break
        previous = manifest.get("previous")
        older = read_manifest(console.index_dir, previous) if previous else None
        views.append(VersionView(name, not views, manifest.get("created", "?"),
                                 len(manifest.get("documents", [])), manifest.get("chunks", 0),
                                 manifest.get("embedder", "?"),
                                 document_diff(manifest, older) if older else None))
        name = previous if older else None
    return views


@dataclass
class BuildState:
    running: bool
    percent: int
    text: str

    def to_json(self) -> dict:
        return {"running": self.running, "percent": self.percent, "text": self.text}


def build_state(console: Console) -> BuildState:
    """The latest console build: running with its progress, or how it ended."""
    with console.db.read() as conn:
        row = conn.execute(text("SELECT actor, started, at, done, total, finished, ok, message "
                                "FROM web_builds ORDER BY id DESC LIMIT 1")).first()
    if row is None:
        return BuildState(False, 0, "ยังไม่มีการจัดทำดัชนีจากคอนโซล")
    if row.finished is None and time.time() - row.at < STALE_BUILD:
        percent = int(100 * row.done / row.total) if row.total else 0
        return BuildState(True, percent, f"กำลังจัดทำดัชนี (เริ่มโดย {row.actor}): "
                          f"ฝังเวกเตอร์แล้ว {row.done}/{row.total or '?'} ส่วน ({percent}%)")
    ended = time.strftime("%Y-%m-%d %H:%M", time.localtime(row.finished or row.at))
    result = row.message if row.finished else "การจัดทำดัชนีหยุดไปโดยไม่มีผลลัพธ์"
    return BuildState(False, 100 if row.ok else 0, f"ครั้งล่าสุด ({ended}, โดย {row.actor}): {result}")


def start_build(console: Console, actor: str) -> bool:
    """Start a build in the background; False when a console build is already running."""
    if build_state(console).running:
        return False
    now = time.time()
    with console.db.tx() as conn:
        build_id = conn.execute(text("INSERT INTO web_builds (actor, started, at) VALUES (:a, :t, :t) "
                                     "RETURNING id"), {"a": actor, "t": now}).scalar_one()
    threading.Thread(target=_run_build, args=(console, actor, build_id), daemon=True,
                     name=f"web-build-{build_id}").start()
    return True


def _run_build(console: Console, actor: str, build_id: int) -> None:
    last = 0.0

    def progress(done: int, total: int) -> None:
        nonlocal last
        if time.monotonic() - last < PROGRESS_EVERY and done < total:
            return
        last = time.monotonic()
        with console.db.tx() as conn:
            conn.execute(text("UPDATE web_builds SET done = :d, total = :n, at = :t WHERE id = :id"),
                         {"d": done, "n": total, "t": time.time(), "id": build_id})

    def heartbeat() -> None:
        while not finished.wait(HEARTBEAT):
            with console.db.tx() as conn:
                conn.execute(text("UPDATE web_builds SET at = :t WHERE id = :id"),
                             {"t": time.time(), "id": build_id})

    finished = threading.Event()
    threading.Thread(target=heartbeat, daemon=True, name=f"web-build-{build_id}-alive").start()
    try:
        result = console.admin.reindex(actor, progress=progress)
        ok, message = result.ok, result.message
    except Exception as exc:  # the page must learn how it ended; the server keeps serving
        log.exception("web build %d failed", build_id)
        ok, message = False, f"จัดทำดัชนีไม่สำเร็จ ({type(exc).__name__})"
    finally:
        finished.set()
    with console.db.tx() as conn:
        conn.execute(text("UPDATE web_builds SET finished = :t, at = :t, ok = :ok, message = :m "
                          "WHERE id = :id"), {"t": time.time(), "ok": int(ok), "m": message, "id": build_id})


def routes(console: Console) -> list[Route]:
    def page(request: Request, user: WebUser, form: dict, notice: str = "", ok: bool = True) -> Response:
        state = build_state(console)
        return console.render(request, "versions.html", title="รุ่นดัชนี", versions=versions(console),
                              build_running=state.running, build_percent=state.percent,
                              build_text=state.text, notice=notice, notice_ok=ok)

    def build(request: Request, user: WebUser, form: dict) -> Response:
        if not start_build(console, user.identity):
            return page(request, user, form, "มีการจัดทำดัชนีที่เริ่มจากคอนโซลกำลังทำงานอยู่ค่ะ", False)
        return page(request, user, form, "เริ่มจัดทำดัชนีแล้วค่ะ หน้านี้จะแสดงความคืบหน้า")

    def rollback(request: Request, user: WebUser, form: dict) -> Response:
        result = console.admin.rollback(user.identity)
        return page(request, user, form, result.message, result.ok)

    def progress(request: Request, user: WebUser, form: dict) -> Response:
        return JSONResponse(build_state(console).to_json())

    return [
        Route("/versions", console.page("admin", page)),
        Route("/versions/build", console.page("admin", build), methods=["POST"]),
        Route("/versions/rollback", console.page("admin", rollback), methods=["POST"]),
        Route("/versions/progress", console.page("admin", progress)),
    ]
