"""Admin operations on the documents and the index — add, remove, re-index, roll back, status —
shared by the chat front ends and written to the audit log.

A new file is checked by the real loader, in a resource-limited worker process (never in the
bot's own), then built from a staging directory: the documents directory takes an upload, a
metadata edit or a removal only once the index version built from it is published (see
index/staging.py), so a refused file, a failed build or a killed process leaves the documents and
the live index as they were. Every outcome is audited.
"""

import json
import logging
import re
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from index.build import IGNORED_NAMES, BuildReport, build_index
from index.documents import LoadedDocument
from index.embedders import Embedder
from index.loaders import META_SUFFIX, SUPPORTED_SUFFIXES, SkipFile
from index.ocr import LOW_CONFIDENCE
from index.sandbox import ParseWorker
from index.staging import Overlay
from index.store import IndexUnavailable, read_manifest, rollback

from .state import AuditEntry, Database, record_audit

log = logging.getLogger(__name__)

MAX_NAME_BYTES = 200  # file systems allow 255 bytes; room for ".staging-" and ".meta.json"
_UNSAFE = re.compile(r"[^\w.\-\u0e00-\u0e7f]+")  # Thai marks are not \w; no separators survive
MAX_LOW_PAGES = 30  # low-confidence pages named one by one in an upload's outcome
Progress = Callable[[int, int], None]  # (chunks embedded, chunks to embed) during a build


@dataclass
class AdminResult:
    """How an operation ended, with a short Thai message for the admin."""

    ok: bool
    message: str


@dataclass
class Admin:
    docs_dir: Path
    index_dir: Path
    embedder: Embedder | str
    max_bytes: int
    db: Database

    def add_document(self, filename: str, data: bytes, actor: str, progress: Progress | None = None,
                     meta: dict[str, str] | None = None) -> AdminResult:
        """Validate, index and store an uploaded document (replacing one of the same name), with
        ``meta`` as its sidecar (None keeps the sidecar it has; empty removes it). Every outcome
        is audited; whatever fails, the documents directory is left as it was.
        ``progress(done, total)`` is called as chunks are embedded."""
        if refusal := self.check_upload(filename, len(data), actor):
            return refusal
        name = safe_filename(filename)
        try:
            return self._add(name, data, actor, progress, meta)
        except Exception as exc:  # audited and answered, never a crashed handler
            log.exception("upload of %s failed", name)
            return self._done(actor, "upload", name, False,
                              f"เพิ่มไฟล์ {name} ไม่สำเร็จ ดัชนีเดิมยังใช้งานได้ค่ะ ({type(exc).__name__})",
                              outcome="error")

    def _add(self, name: str, data: bytes, actor: str, progress: Progress | None,
             meta: dict[str, str] | None) -> AdminResult:
        with tempfile.TemporaryDirectory() as tmp:
            staged = Path(tmp) / name
            staged.write_bytes(data)
            _stage_sidecar(self.docs_dir / name, staged, meta)
            try:  # parsed in a limited worker process, never in the bot's own
                with ParseWorker() as worker:
                    loaded = worker.load(staged, self.max_bytes)
            except SkipFile as exc:
                return self._done(actor, "upload", name, False,
                                  f"ใช้ไฟล์ {name} ไม่ได้ จึงไม่ได้บันทึกค่ะ: {exc.thai}")
            try:
                report = self._build(progress, {name: staged}, preloaded={name: loaded})
            except IndexUnavailable as exc:
                return self._done(actor, "upload", name, False,
                                  f"จัดทำดัชนีไม่สำเร็จ ดัชนีเดิมยังใช้งานได้ค่ะ: {exc}")
        reason = next((why for rel, why in report.skipped if rel == name), None)
        if reason:
            return self._done(actor, "upload", name, False, f"ใช้ไฟล์ {name} ไม่ได้ค่ะ: {reason}")
        doc = next((d for d in (read_manifest(self.index_dir) or {}).get("documents", [])
                    if d["path"] == name), None)
        pages = f"{doc['pages']} หน้า" if doc and doc.get("pages") else "–"
        title = doc["title"] if doc else name
        chunks = doc["chunks"] if doc else 0
        return self._done(actor, "upload", name, True,
                          f"เพิ่มเอกสารเรียบร้อยค่ะ\nชื่อเรื่อง: {title}\nจำนวนหน้า: {pages}\n"
                          f"ส่วนที่จัดทำดัชนี: {chunks} ส่วน\nดัชนีรุ่น: {report.version}"
                          f"{ocr_summary(loaded)}")

    def check_upload(self, filename: str, size: int, actor: str) -> AdminResult | None:
        """A refusal (audited) when a file of this name and size cannot be accepted, before
        anything is downloaded; None when it may be."""
        name = safe_filename(filename)
        if problem := name_problem(filename):
            return self._done(actor, "upload", name, False, f"ไม่รับไฟล์นี้ค่ะ: {problem}")
        if not name.lower().endswith(SUPPORTED_SUFFIXES):
            return self._done(actor, "upload", name, False,
                              "ไฟล์ชนิดนี้ยังไม่รองรับค่ะ รองรับ PDF, DOCX, TXT, MD, HTML, JPG และ PNG")
        if size > self.max_bytes:
            return self._done(actor, "upload", name, False,
                              f"ไฟล์ใหญ่เกินกำหนด ({size / 1e6:.1f} MB, สูงสุด "
                              f"{self.max_bytes / 1e6:.0f} MB) จึงไม่ได้บันทึกค่ะ")
        return None

    def remove(self, name: str, actor: str, progress: Progress | None = None) -> AdminResult:
        """Delete a document (by file name or document id) and re-index without it."""
        matches = [p for p in self.docs_dir.rglob("*") if p.is_file() and name in
                   (p.name, p.relative_to(self.docs_dir).with_suffix("").as_posix())]
        if len(matches) != 1:
            return self._done(actor, "remove", name, False,
                              f"ไม่พบเอกสาร “{name}” ค่ะ ดูชื่อได้จาก /status หรือ /sources"
                              if not matches else f"ชื่อ “{name}” ตรงกับหลายไฟล์ กรุณาระบุนามสกุลไฟล์ค่ะ")
        path = matches[0]
        try:  # the file and its sidecar go once the version without them is published
            report = self._build(progress, {path.relative_to(self.docs_dir).as_posix(): None})
        except IndexUnavailable as exc:
            return self._done(actor, "remove", name, False, f"ลบไม่สำเร็จ ดัชนีเดิมยังใช้งานได้ค่ะ: {exc}")
        return self._done(actor, "remove", name, True,
                          f"ลบ {path.name} แล้วค่ะ ดัชนีรุ่น {report.version}")

    def set_metadata(self, name: str, meta: dict[str, str], actor: str,
                     progress: Progress | None = None) -> AdminResult:
        """Replace the sidecar of document file ``name`` (relative to the documents directory;
        removed when ``meta`` is empty) and re-index; a refused change leaves the old one."""
        detail = json.dumps(meta, ensure_ascii=False)
        target = self.docs_dir / name
        if not target.is_file():
            return self._done(actor, "metadata", name, False,
                              f"ไม่พบเอกสาร {name} แล้ว (อาจถูกลบไปก่อน) จึงไม่ได้บันทึกข้อมูลค่ะ", detail=detail)
        with tempfile.TemporaryDirectory() as tmp:
            staged = Path(tmp) / target.name
            shutil.copyfile(target, staged)
            _stage_sidecar(target, staged, meta)
            try:
                report = self._build(progress, {name: staged})
            except IndexUnavailable as exc:
                return self._done(actor, "metadata", name, False,
                                  f"จัดทำดัชนีไม่สำเร็จ ข้อมูลเดิมยังใช้อยู่ค่ะ: {exc}", detail=detail)
        if reason := next((why for rel, why in report.skipped if rel == name), None):
            return self._done(actor, "metadata", name, False,
                              f"ใช้ข้อมูลนี้กับ {name} ไม่ได้ค่ะ: {reason}", detail=detail)
        return self._done(actor, "metadata", name, True,
                          "บันทึกข้อมูลเอกสารแล้วค่ะ\n" + _summary(report), detail=detail)

    def _build(self, progress: Progress | None, overlay: Overlay,
               preloaded: dict[str, LoadedDocument] | None = None) -> BuildReport:
        return build_index(self.docs_dir, self.index_dir, self.embedder, self.max_bytes,
                           progress=progress, preloaded=preloaded, overlay=overlay)

    def reindex(self, actor: str, progress: Progress | None = None) -> AdminResult:
        """Bring the index up to date with the documents directory; ``progress(done, total)`` is
        called as chunks are embedded (the web console shows it)."""
        try:
            report = build_index(self.docs_dir, self.index_dir, self.embedder, self.max_bytes,
                                 progress=progress)
        except IndexUnavailable as exc:
            return self._done(actor, "reindex", "", False, f"จัดทำดัชนีไม่สำเร็จค่ะ: {exc}")
        return self._done(actor, "reindex", "", True, _summary(report))

    def rollback(self, actor: str) -> AdminResult:
        """Publish the previous index version."""
        try:
            version = rollback(self.index_dir)
        except IndexUnavailable as exc:
            return self._done(actor, "rollback", "", False, f"ย้อนรุ่นไม่ได้ค่ะ: {exc}")
        return self._done(actor, "rollback", version, True, f"ย้อนกลับไปใช้ดัชนีรุ่น {version} แล้วค่ะ")

    def status(self) -> str:
        """The published version, its documents, chunks, embedder and build time."""
        manifest = read_manifest(self.index_dir)
        if manifest is None:
            return "ยังไม่มีดัชนีที่เผยแพร่ค่ะ"
        docs = manifest.get("documents", [])
        lines = [f"ดัชนีรุ่น: {manifest.get('version', '?')}",
                 f"สร้างเมื่อ: {manifest.get('created', '?')}",
                 f"ตัวฝังเวกเตอร์: {manifest.get('embedder', '?')}",
                 f"เอกสาร: {len(docs)} ฉบับ, ส่วนข้อความ: {manifest.get('chunks', '?')} ส่วน"]
        lines += [f"• {d['path']} — {d['title']}" for d in docs]
        return "\n".join(lines)

    def _done(self, actor: str, action: str, target: str, ok: bool, message: str,
              outcome: str = "", detail: str = "") -> AdminResult:
        outcome = outcome or ("ok" if ok else "refused")
        record_audit(self.db, AuditEntry(actor, action, target, outcome,
                                         f"{message}\n{detail}" if detail else message))
        return AdminResult(ok, message)


def safe_filename(filename: str) -> str:
    """A file name safe to store under the documents directory (no directories, no dot files)."""
    name = _UNSAFE.sub("_", Path(filename.replace("\\", "/")).name).lstrip("._")
    return name or "document"


def name_problem(filename: str) -> str | None:
    """Why an uploaded file name is refused (Thai), or None. Names are refused rather than
    silently rewritten when they try to leave the documents directory, carry control
    characters, are too long for the file system, or would replace a file the index ignores."""
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in filename):
        return "ชื่อไฟล์มีอักขระควบคุม (เช่น NUL)"
    if "/" in filename or "\\" in filename:
        return "ชื่อไฟล์มีเครื่องหมาย / หรือ \\ ซึ่งใช้ระบุโฟลเดอร์"
    if filename.startswith("."):
        return "ชื่อไฟล์ขึ้นต้นด้วยจุด (ไฟล์ซ่อน)"
    name = safe_filename(filename)
    if len(name.encode()) > MAX_NAME_BYTES:
        return f"ชื่อไฟล์ยาวเกิน {MAX_NAME_BYTES} ไบต์ กรุณาตั้งชื่อให้สั้นลง"
    if name.lower() in {n.lower() for n in IGNORED_NAMES} or name.lower().endswith(META_SUFFIX):
        return f"ชื่อ {name} สงวนไว้สำหรับไฟล์ประกอบของคลังเอกสาร"
    return None


def ocr_summary(loaded: LoadedDocument) -> str:
    """Lines for the upload reply about pages read by OCR, naming those to check by hand."""
    read = [p for p in loaded.pages if p.ocr_confidence is not None]
    if not read:
        return ""
    low = [p for p in read if p.ocr_confidence < LOW_CONFIDENCE]
    lines = [f"\nอ่านด้วย OCR: {len(read)} หน้า"]
    lines += [f"หน้า {p.number}: ความมั่นใจ OCR {p.ocr_confidence:.0f}% โปรดตรวจสอบ"
              for p in low[:MAX_LOW_PAGES]]
    if len(low) > MAX_LOW_PAGES:  # the whole reply must fit one chat message
        lines.append(f"และอีก {len(low) - MAX_LOW_PAGES} หน้าที่ความมั่นใจต่ำกว่า {LOW_CONFIDENCE:.0f}% "
                     "โปรดตรวจสอบ")
    return "\n".join(lines)


def _summary(report: BuildReport) -> str:
    skipped = "".join(f"\n• ข้าม {rel}: {why}" for rel, why in report.skipped)
    state = f"เผยแพร่ดัชนีรุ่น {report.version}" if report.published else "ไม่มีเอกสารเปลี่ยน ใช้ดัชนีเดิม"
    return (f"{state}\nเพิ่ม {len(report.added)} เปลี่ยน {len(report.changed)} ลบ {len(report.removed)} "
            f"ข้าม {len(report.skipped)} ฉบับ, {report.chunks} ส่วน, {report.seconds:.1f} วินาที{skipped}")


def _stage_sidecar(current: Path, staged: Path, meta: dict[str, str] | None) -> None:
    """Give ``staged`` its sidecar: ``meta`` (none when empty), or with None the sidecar that
    ``current`` has in the documents directory."""
    sidecar = staged.with_name(staged.name + META_SUFFIX)
    if meta is None:
        existing = current.with_name(current.name + META_SUFFIX)
        if existing.exists():
            shutil.copyfile(existing, sidecar)
    elif meta:
        sidecar.write_text(json.dumps(meta, ensure_ascii=False, indent=2), "utf-8")
