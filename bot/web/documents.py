"""Documents page: the collection as a table with search and filters, upload with metadata,
metadata edit and removal. The request only checks and queues the change: it is built in the
background through :class:`bot.admin.Admin`, with the chat uploads (see :mod:`bot.builds`), and
this page and the versions page follow its build.

Metadata goes to the ``<file>.meta.json`` sidecar the loaders already read; a sidecar change
changes the document's digest, so the next build re-indexes just that document.
"""

import json
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import text
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from index.build import DOCUMENT_KINDS
from index.loaders import META_SUFFIX
from index.store import read_manifest

from ..admin import safe_filename
from ..builds import enqueue
from .app import Console
from .auth import WebUser
from .builds import page_context, queued_message

KIND_LABELS = {"act": "พระราชบัญญัติ/กฎหมาย", "guideline": "แนวทาง/หนังสือเวียน", "news": "ข่าว"}
META_FIELDS = ("title", "agency", "date", "source", "aliases", "kind")
MAX_FIELD_CHARS = 500


@dataclass
class DocumentRow:
    """One row of the documents table."""

    doc_id: str
    path: str
    title: str
    agency: str
    date: str
    kind: str
    pages: int | None
    chunks: int
    ocr: str  # "" for a text layer, else how many pages were read by OCR and the lowest confidence
    source_url: str
    added_by: str


def list_documents(console: Console) -> tuple[str | None, list[DocumentRow]]:
    """The published version and its documents, with who added each (from the audit log)."""
    manifest = read_manifest(console.index_dir) or {}
    with console.db.read() as conn:
        added = dict(conn.execute(text("SELECT target, actor FROM audit WHERE action = 'upload' "
                                       "AND outcome = 'ok' ORDER BY at, id")).all())
    rows = []
    for d in manifest.get("documents", []):
        source = d.get("source", "")
        rows.append(DocumentRow(
            d["doc_id"], d["path"], d["title"], d.get("agency", ""), d.get("date", ""),
            d.get("kind", ""), d.get("pages"), d.get("chunks", 0),
            _ocr_note(d.get("ocr_pages") or {}),
            source if source.startswith(("http://", "https://")) else "",
            added.get(d["path"], "")))
    return manifest.get("version"), sorted(rows, key=lambda r: r.title)


def _ocr_note(pages: dict[str, float]) -> str:
    if not pages:
        return ""
    return f"OCR {len(pages)} หน้า (ความมั่นใจต่ำสุด {min(pages.values()):.0f}%)"


def filter_documents(rows: list[DocumentRow], q: str, kind: str, agency: str, ocr_only: bool
                     ) -> list[DocumentRow]:
    """Rows matching a free-text search (title, agency, file name, date) and the filters."""
    needle = q.strip().lower()
    return [r for r in rows
            if (not needle or needle in f"{r.title} {r.agency} {r.path} {r.date}".lower())
            and (not kind or r.kind == kind) and (not agency or r.agency == agency)
            and (not ocr_only or r.ocr)]


def read_metadata(docs_dir: Path, name: str) -> dict[str, str]:
    """The sidecar metadata of document file ``name`` (empty when it has none)."""
    sidecar = docs_dir / (name + META_SUFFIX)
    try:
        data = json.loads(sidecar.read_text("utf-8"))
    except (FileNotFoundError, ValueError, UnicodeDecodeError):
        return {}
    return {k: str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def metadata_from_form(form: dict) -> dict[str, str]:
    """The metadata fields of a form, trimmed; empty fields left out; unknown kinds dropped."""
    meta = {f: " ".join(str(form.get(f, "")).split())[:MAX_FIELD_CHARS] for f in META_FIELDS}
    if meta["kind"] not in DOCUMENT_KINDS:
        meta["kind"] = ""
    if meta["source"] and not meta["source"].startswith(("http://", "https://")):
        meta["source"] = ""  # only web links are shown as links; a file path is set by the build
    return {k: v for k, v in meta.items() if v}


def routes(console: Console) -> list[Route]:
    max_mb = console.admin.max_bytes / 1e6

    def documents(request: Request, user: WebUser, form: dict, notice: str = "", ok: bool = True
                  ) -> Response:
        version, rows = list_documents(console)
        p = request.query_params
        shown = filter_documents(rows, p.get("q", ""), p.get("kind", ""), p.get("agency", ""),
                                 p.get("ocr") == "1")
        return console.render(request, "documents.html", title="เอกสาร", docs=shown, total=len(rows),
                              version=version, q=p.get("q", ""), kind=p.get("kind", ""),
                              agency=p.get("agency", ""), ocr_only=p.get("ocr") == "1",
                              agencies=sorted({r.agency for r in rows if r.agency}), kinds=KIND_LABELS,
                              notice=notice, notice_ok=ok,
                              **page_context(console, f"{request.scope['root_path']}/documents"
                                             + (f"?{request.url.query}" if request.method == "GET"
                                                and request.url.query else "")))

    def upload_form(request: Request, user: WebUser, form: dict) -> Response:
        return console.render(request, "upload.html", title="เพิ่มเอกสาร", editing=False, meta={},
                              topic=request.query_params.get("topic", "")[:200], kinds=KIND_LABELS,
                              max_mb=f"{max_mb:.0f}", action=f"{request.scope['root_path']}/documents/upload")

    def upload(request: Request, user: WebUser, form: dict) -> Response:
        upload = form.get("file")
        if not isinstance(upload, tuple) or not upload[0]:
            return console.message(request, "เพิ่มเอกสาร", "กรุณาเลือกไฟล์ที่จะอัปโหลดค่ะ", 400)
        filename, data = upload
        if refusal := console.admin.check_upload(filename, len(data), user.identity):
            return documents(request, user, form, refusal.message, False)
        name = safe_filename(filename)
        place = enqueue(console.admin, user.identity, "upload", name, metadata_from_form(form) or None, data)
        return documents(request, user, form, *queued_message(f"ไฟล์ {name} ", place))

    def edit_form(request: Request, user: WebUser, form: dict) -> Response:
        name = _document_file(console, request.query_params.get("path", ""))
        if name is None:
            return console.message(request, "ไม่พบเอกสาร", "ไม่พบเอกสารนี้ในคลังค่ะ", 404)
        meta = {"path": name, **read_metadata(console.docs_dir, name)}
        return console.render(request, "upload.html", title="แก้ข้อมูลเอกสาร", editing=True, meta=meta,
                              topic="", kinds=KIND_LABELS, max_mb=f"{max_mb:.0f}",
                              action=f"{request.scope['root_path']}/documents/edit")

    def edit(request: Request, user: WebUser, form: dict) -> Response:
        name = _document_file(console, str(form.get("path", "")))
        if name is None:
            return console.message(request, "ไม่พบเอกสาร", "ไม่พบเอกสารนี้ในคลังค่ะ", 404)
        place = enqueue(console.admin, user.identity, "metadata", name, metadata_from_form(form))
        return documents(request, user, form, *queued_message(f"ข้อมูลของ {name} ", place))

    def remove(request: Request, user: WebUser, form: dict) -> Response:
        name = _document_file(console, str(form.get("path", "")))
        if name is None:
            return console.message(request, "ไม่พบเอกสาร", "ไม่พบเอกสารนี้ในคลังค่ะ", 404)
        doc = _document(console, name)
        # Admin.remove takes a file name or a document id; a file in a subfolder goes by its id.
        place = enqueue(console.admin, user.identity, "remove", name if "/" not in name else doc["doc_id"])
        return documents(request, user, form, *queued_message(f"คำสั่งลบ {name} ", place))

    max_body = console.admin.max_bytes
    return [
        Route("/documents", console.page("admin", documents)),
        Route("/documents/upload", console.page("admin", upload_form)),
        Route("/documents/upload", console.page("admin", upload, max_body), methods=["POST"]),
        Route("/documents/edit", console.page("admin", edit_form)),
        Route("/documents/edit", console.page("admin", edit), methods=["POST"]),
        Route("/documents/remove", console.page("admin", remove), methods=["POST"]),
    ]


def _document_file(console: Console, path: str) -> str | None:
    """``path`` when it names a document of the published index (never a path of our choosing
    from the form: only names the build itself listed are accepted)."""
    doc = _document(console, path)
    return path if doc and (console.docs_dir / path).is_file() else None


def _document(console: Console, path: str) -> dict | None:
    """The published manifest's entry of the document stored at ``path``."""
    manifest = read_manifest(console.index_dir) or {}
    return next((d for d in manifest.get("documents", []) if d["path"] == path), None)
