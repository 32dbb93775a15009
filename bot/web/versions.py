"""Index versions page: the published and the previous version with their document differences,
the builds (running, waiting and recent, see :mod:`bot.builds`), and roll back.
"""

from dataclasses import dataclass, field

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from index.store import current_version, read_manifest

from ..builds import build_state, enqueue, kick, reindex_waiting
from .app import Console
from .auth import WebUser
from .builds import page_context, queued_message


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


def routes(console: Console) -> list[Route]:
    def page(request: Request, user: WebUser, form: dict, notice: str = "", ok: bool = True) -> Response:
        return console.render(request, "versions.html", title="รุ่นดัชนี", versions=versions(console),
                              notice=notice, notice_ok=ok,
                              **page_context(console, f"{request.scope['root_path']}/versions"))

    def build(request: Request, user: WebUser, form: dict) -> Response:
        if reindex_waiting(console.db):
            return page(request, user, form, "มีคำสั่งจัดทำดัชนีรอคิวอยู่แล้วค่ะ", False)
        place = enqueue(console.admin, user.identity, "reindex")
        if place == 0:
            return page(request, user, form, "เริ่มจัดทำดัชนีแล้วค่ะ หน้านี้จะแสดงความคืบหน้า")
        return page(request, user, form, *queued_message("คำสั่งจัดทำดัชนี", place))

    def rollback(request: Request, user: WebUser, form: dict) -> Response:
        result = console.admin.rollback(user.identity)
        return page(request, user, form, result.message, result.ok)

    def progress(request: Request, user: WebUser, form: dict) -> Response:
        kick(console.admin)  # changes queued before a restart start once a page asks
        return JSONResponse(build_state(console.db).to_json())

    return [
        Route("/versions", console.page("admin", page)),
        Route("/versions/build", console.page("admin", build), methods=["POST"]),
        Route("/versions/rollback", console.page("admin", rollback), methods=["POST"]),
        Route("/versions/progress", console.page("admin", progress)),
    ]
