"""A process killed in the middle of an upload's build leaves the documents directory and the live
index as they were (or, killed after publishing, as the next build finishes them): real build
processes, killed with SIGKILL at the exact points that matter."""

import hashlib
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from bot.admin import Admin
from bot.state import open_database, sqlite_url
from index.store import current_version, load_index, read_manifest
from retrieval.answer import ask
from retrieval.search import open_retriever

QUESTION = "หนังสือราชการอิเล็กทรอนิกส์ต้องเก็บกี่ปี"  # answered by the small corpus's circular
# Run in a child process: Admin.add_document of argv[4] (bytes of argv[5]); with argv[6] set, the
# named step of the build (index.build.<step>) kills the process instead of running; otherwise the
# first progress report (embedding has begun) is printed and the parent kills it.
CHILD = """
import os, signal, sys
from pathlib import Path
import index.build
from bot.admin import Admin
from bot.state import open_database, sqlite_url

docs, index_dir, db, name, data, step = sys.argv[1:7]
if step:
    setattr(index.build, step, lambda *a, **k: os.kill(os.getpid(), signal.SIGKILL))
admin = Admin(Path(docs), Path(index_dir), "e5-small", 10**7, open_database(sqlite_url(Path(db))))

def progress(done, total):
    print(f"embedding {done}/{total}", flush=True)

print(admin.add_document(name, Path(data).read_bytes(), "telegram:1", progress), flush=True)
"""


def snapshot(docs: Path) -> dict[str, str]:
    """Every file under ``docs`` (dot files too) with the SHA-256 of its bytes."""
    return {p.relative_to(docs).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(docs.rglob("*")) if p.is_file()}


def start(workdir: tuple[Path, Path], tmp_path: Path, name: str, body: str, step: str = ""
          ) -> subprocess.Popen:
    docs, index_dir = workdir
    data = tmp_path / "upload.bin"
    data.write_text(body, "utf-8")
    return subprocess.Popen(
        [sys.executable, "-c", CHILD, str(docs), str(index_dir), str(tmp_path / "data.sqlite3"), name,
         str(data), step], stdout=subprocess.PIPE, text=True, start_new_session=True)


def answers(index_dir: Path, retriever) -> bool:
    """Whether the published index loads, verifies and answers the circular's question."""
    return not ask(open_retriever(load_index(index_dir), retriever.embedder), QUESTION).abstained


def test_build_killed_while_embedding_leaves_documents_and_index_unchanged(
        workdir: tuple[Path, Path], tmp_path: Path, retriever) -> None:
    docs, index_dir = workdir
    before, version = snapshot(docs), current_version(index_dir)
    manifest = read_manifest(index_dir)
    body = "".join(f"ข้อ {n} หนังสือเวียนฉบับยาวสำหรับทดสอบการหยุดกลางคัน ให้หน่วยงานที่ {n} "
                   f"รายงานผลการใช้ระบบสารบรรณอิเล็กทรอนิกส์ภายในวันที่ {n % 28 + 1} ของทุกเดือน\n\n"
                   for n in range(600))
    proc = start(workdir, tmp_path, "ยาว.txt", body)
    try:
        line = proc.stdout.readline()
        assert line.startswith("embedding "), line  # parsed, staged, and embedding: kill it now
        os.killpg(proc.pid, signal.SIGKILL)  # the build and its parsing worker
    finally:
        proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL
    assert snapshot(docs) == before  # no trace of the upload in the documents directory
    assert current_version(index_dir) == version and read_manifest(index_dir) == manifest
    assert answers(index_dir, retriever)
    # the next build finds nothing to do: the killed upload never reached the documents
    admin = Admin(docs, index_dir, retriever.embedder, 10**7, open_database(sqlite_url(tmp_path / "a.db")))
    result = admin.reindex("cli")
    assert result.ok and "ไม่มีเอกสารเปลี่ยน" in result.message, result.message
    assert snapshot(docs) == before and current_version(index_dir) == version


@pytest.mark.parametrize("step", ["publish", "apply_journal"])
def test_build_killed_around_publishing_is_made_whole_by_the_next_build(
        workdir: tuple[Path, Path], tmp_path: Path, retriever, step: str) -> None:
    """Killed just before publishing: nothing changed and the journal is dropped. Killed just
    after publishing, before the documents took the upload: the next build applies it."""
    docs, index_dir = workdir
    before, version = snapshot(docs), current_version(index_dir)
    body = "ประกาศทดสอบ เรื่อง การประชุมออนไลน์\n\nข้อ ๑ ให้จัดประชุมผ่านสื่ออิเล็กทรอนิกส์ทุกวันศุกร์\n"
    proc = start(workdir, tmp_path, "ประชุม.txt", body, step)
    out, _ = proc.communicate(timeout=600)
    assert proc.returncode == -signal.SIGKILL, out
    assert snapshot(docs) == before  # killed before the documents directory changed
    (journal,) = index_dir.glob("pending-*")  # the changes, waiting for their version
    published = step == "apply_journal"
    assert (current_version(index_dir) != version) == published
    assert any(d["path"] == "ประชุม.txt" for d in read_manifest(index_dir)["documents"]) == published
    assert answers(index_dir, retriever)

    admin = Admin(docs, index_dir, retriever.embedder, 10**7, open_database(sqlite_url(tmp_path / "a.db")))
    result = admin.reindex("cli")  # any next build, under the lock, settles the journal first
    assert result.ok and "ไม่มีเอกสารเปลี่ยน" in result.message, result.message
    assert not journal.exists() and not list(index_dir.glob(".pending-*"))
    after = snapshot(docs)
    if published:  # the documents caught up with the published version
        assert (docs / "ประชุม.txt").read_text("utf-8") == body
        assert {k: v for k, v in after.items() if k != "ประชุม.txt"} == before
    else:  # dropped: as if the upload never happened
        assert after == before and current_version(index_dir) == version
