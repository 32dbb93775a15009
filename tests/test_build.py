"""Incremental builds, atomic publish, rollback and bad input with the real embedder and FAISS."""

import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from index.build import build_index
from index.store import IndexUnavailable, current_version, load_index, read_manifest
from retrieval.answer import ask
from retrieval.search import open_retriever

from .conftest import minilm_path, thai_pdf

LIMIT = 10**7


def test_rebuild_is_incremental(workdir: tuple[Path, Path]) -> None:
    docs, index_dir = workdir
    first = current_version(index_dir)
    nothing = build_index(docs, index_dir, "e5-small", LIMIT)
    assert not nothing.published and nothing.embedded == 0
    assert len(nothing.unchanged) == 3 and current_version(index_dir) == first

    (docs / "note.md").write_text("---\ntitle: บันทึกทดสอบ\n---\n\nการประชุมทดสอบจัดทุกวันพุธ\n")
    (docs / "circular.pdf").unlink()
    report = build_index(docs, index_dir, "e5-small", LIMIT)
    assert report.added == ["note"] and report.removed == ["circular"]
    assert report.embedded == 1  # only the new document's single chunk
    index = load_index(index_dir)
    assert {c.doc_id for c in index.chunks} == {"note", "ocsc_digital_skills_guideline_2560",
                                                "digital_government_act_2562"}
    assert index.manifest["previous"] == first


def test_bad_files_are_skipped_and_good_ones_published(workdir: tuple[Path, Path]) -> None:
    docs, index_dir = workdir
    (docs / "empty.txt").write_bytes(b"")
    (docs / "broken.pdf").write_bytes(b"%PDF-1.4 broken")
    (docs / "photo.jpg").write_bytes(b"\xff\xd8\xff")
    (docs / "new.md").write_text("ศูนย์ข้อมูลทดสอบเปิดให้บริการทุกวันจันทร์", "utf-8")
    before = current_version(index_dir)
    strict = build_index(docs, index_dir, "e5-small", LIMIT, strict=True)
    assert not strict.published and current_version(index_dir) == before
    report = build_index(docs, index_dir, "e5-small", LIMIT)
    assert report.published and report.added == ["new"]
    reasons = dict(report.skipped)
    assert set(reasons) == {"empty.txt", "broken.pdf", "photo.jpg"}
    assert "empty" in reasons["empty.txt"] and "corrupt" in reasons["broken.pdf"]


def test_corrupted_update_keeps_the_last_good_version(workdir: tuple[Path, Path]) -> None:
    docs, index_dir = workdir
    (docs / "circular.pdf").write_bytes(b"%PDF-1.4 truncated upload")
    report = build_index(docs, index_dir, "e5-small", LIMIT)
    assert report.skipped and not report.published
    assert any(c.doc_id == "circular" for c in load_index(index_dir).chunks)


def test_cli_build_strict_exit_codes(workdir: tuple[Path, Path]) -> None:
    docs, index_dir = workdir
    (docs / "image.txt").write_bytes(bytes(range(256)) * 10)
    run = [sys.executable, "-m", "bot", "index", "build", "--docs", str(docs), "--index",
           str(index_dir)]
    ok = subprocess.run(run, capture_output=True, text=True, timeout=300)
    assert ok.returncode == 0 and "skipped image.txt: binary data" in ok.stdout
    strict = subprocess.run([*run, "--strict"], capture_output=True, text=True, timeout=300)
    assert strict.returncode == 1 and "nothing published" in strict.stderr


def test_kill_during_build_leaves_published_index_answering(workdir: tuple[Path, Path],
                                                            tmp_path: Path) -> None:
    docs, index_dir = workdir
    before = current_version(index_dir)
    many = [[f"หน้า {n}", f"ข้อ {n} เอกสารทดสอบว่าด้วยการทดลองหยุดการสร้างดัชนีกลางคัน",
             f"รายละเอียดของข้อ {n} เพื่อให้มีข้อความมากพอ", "ข้อความปิดท้ายหน้า"]
            for n in range(1, 200)]
    thai_pdf(docs / "long.pdf", many)
    proc = subprocess.Popen([sys.executable, "-m", "bot", "index", "build", "--docs", str(docs),
                             "--index", str(index_dir)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    seen = b""
    deadline = time.time() + 120
    while b"embedding" not in seen and time.time() < deadline:  # wait until it is embedding
        if select.select([proc.stderr], [], [], 1.0)[0]:
            seen += os.read(proc.stderr.fileno(), 4096)
    assert b"embedding" in seen
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert current_version(index_dir) == before
    answer = ask(open_retriever(load_index(index_dir)), "หนังสือราชการอิเล็กทรอนิกส์ต้องเก็บกี่ปี")
    assert not answer.abstained and answer.citations[0].doc_id == "circular"


def test_rollback_restores_previous_version(workdir: tuple[Path, Path]) -> None:
    docs, index_dir = workdir
    first = current_version(index_dir)
    (docs / "circular.pdf").unlink()
    build_index(docs, index_dir, "e5-small", LIMIT)
    assert current_version(index_dir) != first
    out = subprocess.run([sys.executable, "-m", "bot", "index", "rollback", "--index",
                          str(index_dir)], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert current_version(index_dir) == first
    assert read_manifest(index_dir)["chunks"] == len(load_index(index_dir).chunks)


def test_other_embedder_is_refused(small_index: Path) -> None:
    from index.embedders import make_embedder

    st = make_embedder(f"sentence-transformers:{minilm_path()}")
    with pytest.raises(IndexUnavailable, match="built with embedder 'e5-small'"):
        open_retriever(load_index(small_index), st)


def test_sentence_transformers_backend_builds_and_searches(tmp_path: Path, small_docs: Path
                                                           ) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "en.md").write_text("---\ntitle: Open data policy\n---\n\nAgencies must publish "
                                "open data in machine-readable formats.\n\nThe cafeteria opens "
                                "at noon.\n", "utf-8")
    report = build_index(docs, tmp_path / "index", f"sentence-transformers:{minilm_path()}", LIMIT)
    index = load_index(tmp_path / "index")
    assert report.published and index.manifest["backend"] == "sentence-transformers"
    assert index.manifest["dim"] == 384
    from retrieval.query import parse_query

    hits = open_retriever(index).search(parse_query("machine-readable open data"), method="dense")
    assert "machine-readable" in hits[0].chunk.text
