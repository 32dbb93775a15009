"""Admin operations end to end: uploads through the real python-telegram-bot (getFile and the file
download URL on the local Bot API server) and through signed LINE webhooks (the file fetched from
the LINE data API stand-in), queued for the background build and answered when it ends; admin
commands, audit, report, and live index switching in separate processes."""

import asyncio
import json
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.admin import Admin
from bot.dialogue import Dialogue
from bot.messages import change_queued
from bot.settings import BotSettings
from bot.state import open_database, read_audit, sqlite_url
from bot.telegram_admin import ADMIN_ONLY, HINT_DOCUMENT, REINDEX_WAITING
from index.store import build_lock, current_version, read_manifest
from retrieval.live import LiveRetriever

from .botapi import OTHER_USER, USER, FakeBotAPI, message, polling, until
from .conftest import thai_pdf

LEAVE_PAGES = [
    ["หนังสือเวียนสำนักงานทดสอบ ที่ ทส ๐๐๒/๒๕๖๘", "เรื่อง การลาพักผ่อนผ่านระบบลาออนไลน์",
     "ข้อ ๑ ให้ข้าราชการยื่นใบลาพักผ่อนผ่านระบบลาออนไลน์ล่วงหน้าไม่น้อยกว่าสามวันทำการ",
     "ข้อ ๒ ผู้บังคับบัญชาต้องพิจารณาอนุญาตการลาภายในหนึ่งวันทำการ"]] + [
    # Thirty more pages (about twenty passages to embed, seconds on 2 cores) make the build last
    # far longer than one answer, so the question below really is asked during the rebuild.
    [f"ข้อ {n + 3} แนวปฏิบัติเพิ่มเติมเรื่องการลา ฉบับที่ {n + 1} ให้หน่วยงานบันทึกสถิติการลาของบุคลากรกลุ่มที่ {n + 1}",
     f"ทุกเดือนและรายงานผู้บริหารภายในวันที่ {n % 28 + 1} ของเดือนถัดไป เพื่อใช้วางแผนอัตรากำลังปีงบประมาณ {2568 + n}",
     f"การยื่นใบลาย้อนหลังของกลุ่มที่ {n + 1} ต้องแนบเหตุผลและได้รับความเห็นชอบจากผู้บังคับบัญชาชั้นต้น",
     f"สำนักงานเขตที่ {n + 1} ต้องจัดอบรมการใช้ระบบลาออนไลน์ให้บุคลากรใหม่ภายใน {n + 10} วันนับแต่วันบรรจุ"]
    for n in range(30)]
OTHER_CHAT = {"id": OTHER_USER["id"], "type": "private"}
STORED = "หนังสือเวียน_ลาออนไลน์.pdf"  # the upload's safe name


@dataclass
class Live:
    docs: Path
    index: Path
    admin: Admin
    dialogue: Dialogue


@pytest.fixture
def live(small_docs: Path, small_index: Path, retriever, tmp_path: Path) -> Live:
    """A private copy of the small corpus and its index (so uploads do not touch other tests)."""
    docs, index_dir = tmp_path / "docs", tmp_path / "index"
    shutil.copytree(small_docs, docs)
    shutil.copytree(small_index, index_dir, symlinks=True)
    admin = Admin(docs, index_dir, retriever.embedder, 10**7,
                  open_database(sqlite_url(tmp_path / "data.sqlite3")))
    return Live(docs, index_dir, admin, Dialogue(LiveRetriever(index_dir, retriever.embedder, interval=0)))


@pytest.fixture
def admin_settings(settings: BotSettings, tmp_path: Path) -> BotSettings:
    settings.admin_telegram_ids = frozenset({USER["id"]})
    settings.data_db = tmp_path / "data.sqlite3"
    return settings


def document(file_id: str, name: str, size: int, user: dict = USER) -> dict:
    update = message("", user=user)
    del update["message"]["text"]
    update["message"]["document"] = {"file_id": file_id, "file_unique_id": file_id, "file_name": name,
                                     "mime_type": "application/pdf", "file_size": size}
    return update


def test_admin_upload_is_indexed_while_questions_are_answered(
        api: FakeBotAPI, admin_settings: BotSettings, live: Live, tmp_path: Path) -> None:
    api.files["leave-pdf"] = thai_pdf(tmp_path / "leave.pdf", LEAVE_PAGES).read_bytes()
    before = current_version(live.index)

    async def scenario() -> None:
        async with polling(admin_settings, live.dialogue, live.admin):
            api.push(document("leave-pdf", "หนังสือเวียน ลาออนไลน์.pdf", len(api.files["leave-pdf"])))
            # answered at once: the file is queued and built in the background
            ack = (await until(api, "sendMessage"))[0]["text"]
            assert ack == change_queued(f"ไฟล์ {STORED} ", 0)
            assert ack.startswith(f"รับไฟล์ {STORED} แล้วค่ะ กำลังสร้างดัชนี")
            assert current_version(live.index) == before and not (live.docs / STORED).exists()
            api.push(message("มาตรา 6 ว่าอย่างไร", user=OTHER_USER, chat=OTHER_CHAT))  # during the build
            sent = await until(api, "sendMessage", 3)
            assert "มาตรา ๖" in sent[1]["text"]  # answered from the old version while indexing
            # the outcome goes to the uploader's chat when the build ends, with the new version
            assert sent[2]["chat_id"] == USER["id"]
            assert sent[2]["text"].startswith("เพิ่มเอกสารเรียบร้อยค่ะ") and "จำนวนหน้า: 31 หน้า" in sent[2]["text"]
            assert f"ดัชนีรุ่น: {current_version(live.index)}" in sent[2]["text"]
            assert api.of("getFile")[0]["file_id"] == "leave-pdf"

            api.push(message("ยื่นใบลาพักผ่อนผ่านระบบลาออนไลน์ล่วงหน้ากี่วัน", user=OTHER_USER,
                             chat=OTHER_CHAT))
            answer = (await until(api, "sendMessage", 4))[3]["text"]
            assert "ไม่น้อยกว่าสามวันทำการ" in answer

    asyncio.run(scenario())
    assert (live.docs / "หนังสือเวียน_ลาออนไลน์.pdf").exists()
    assert current_version(live.index) != before
    (entry,) = read_audit(live.admin.db)
    assert (entry.actor, entry.action, entry.outcome) == (f"telegram:{USER['id']}", "upload", "ok")


def test_refused_uploads_leave_documents_and_index_unchanged(
        api: FakeBotAPI, admin_settings: BotSettings, live: Live) -> None:
    api.files["broken"] = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> garbage"
    files_before = sorted(p.name for p in live.docs.iterdir())
    version_before = current_version(live.index)

    async def scenario() -> None:
        async with polling(admin_settings, live.dialogue, live.admin):
            api.push(document("broken", "circular.pdf", 40, user=OTHER_USER))  # not an admin
            api.push(document("broken", "ประกาศ.pdf", 40))  # admin, corrupt PDF
            api.push(document("big", "huge.pdf", 50_000_000))  # admin, over the size limit
            api.push(document("exe", "tool.exe", 10))  # admin, wrong type
            api.push(message("/reindex", user=OTHER_USER, chat=OTHER_CHAT))
            sent = [c["text"] for c in await until(api, "sendMessage", 6)]
            assert HINT_DOCUMENT in sent  # document handlers run concurrently: any order
            queued = change_queued("ไฟล์ ประกาศ.pdf ", 0)
            assert queued in sent  # queued, then refused by its build
            refusals = [t for t in sent if t not in (HINT_DOCUMENT, ADMIN_ONLY, queued)]
            assert any(t.startswith("ใช้ไฟล์ ประกาศ.pdf ไม่ได้ จึงไม่ได้บันทึกค่ะ: corrupt or unreadable PDF")
                       for t in refusals)
            assert any("ใหญ่เกินกำหนด" in t for t in refusals)
            assert any("ยังไม่รองรับ" in t for t in refusals)
            assert ADMIN_ONLY in sent

    asyncio.run(scenario())
    assert [c["file_id"] for c in api.of("getFile")] == ["broken"]  # only the admin's valid-looking file
    assert sorted(p.name for p in live.docs.iterdir()) == files_before
    assert current_version(live.index) == version_before
    audit = read_audit(live.admin.db)
    assert [e.outcome for e in audit] == ["refused"] * 5
    # The non-admin's attempts are audited too, with who tried.
    tried = sorted(e.action for e in audit if e.actor == f"telegram:{OTHER_USER['id']}")
    assert tried == ["reindex", "upload"]


def test_an_upload_whose_server_died_is_built_again_and_answered_after_restart(
        api: FakeBotAPI, admin_settings: BotSettings, live: Live) -> None:
    from sqlalchemy import text

    body = "ข้อ ๑ หนังสือเวียนที่ส่งมาก่อนเซิร์ฟเวอร์หยุด ให้จัดทำดัชนีเมื่อเริ่มระบบใหม่".encode()
    with live.admin.db.tx() as conn:  # the bot died during this upload's build (its first run)
        conn.execute(text("INSERT INTO web_builds (actor, started, at, action, target, payload, queued, "
                          "attempts, reply_to) VALUES (:a, :t, :t, 'upload', 'ค้าง.txt', :p, 0, 1, :r)"),
                     {"a": f"telegram:{USER['id']}", "t": time.time() - 3600, "p": body,
                      "r": f"telegram:{USER['id']}"})

    async def scenario() -> None:
        async with polling(admin_settings, live.dialogue, live.admin):  # the restart
            (told,) = await until(api, "sendMessage")
            assert told["chat_id"] == USER["id"] and told["text"].startswith("เพิ่มเอกสารเรียบร้อยค่ะ")

    asyncio.run(scenario())
    assert (live.docs / "ค้าง.txt").read_bytes() == body
    with live.admin.db.read() as conn:
        row = conn.execute(text("SELECT ok, replied, attempts, payload FROM web_builds")).one()
    assert (row.ok, row.replied, row.attempts, row.payload) == (1, 1, 2, None)  # told once, bytes dropped


def line_file(message_id: str, name: str, size: int, user: str) -> dict:
    """A LINE webhook event: ``user`` sent a file in a private chat."""
    from .test_line import event

    return event("message", {"type": "user", "userId": user},
                 message={"type": "file", "id": message_id, "fileName": name, "fileSize": size})


def test_line_admin_uploads_are_queued_and_answered_when_built(
        tmp_path: Path, small_docs: Path, small_index: Path, retriever,
        monkeypatch: pytest.MonkeyPatch) -> None:
    from starlette.testclient import TestClient

    from bot.messages import HINT_NON_TEXT

    from .lineapi import ACCESS_TOKEN, SECRET, FakeLineAPI
    from .test_line import post
    from .webconsole import console_setup

    monkeypatch.setenv("SARABUN_ADMIN_LINE_IDS", "Uadmin")
    pages = [["ประกาศสำนักงานทดสอบ เรื่อง การเบิกค่าเดินทางไปราชการผ่านระบบออนไลน์",
              "ข้อ ๑ ให้ยื่นคำขอเบิกค่าเดินทางภายในสิบห้าวันนับแต่วันกลับถึงที่ตั้ง"]]
    with FakeLineAPI().running() as line_api:
        line_api.contents["m-good"] = thai_pdf(tmp_path / "travel.pdf", pages).read_bytes()
        line_api.contents["m-bad"] = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> garbage"
        web = console_setup(tmp_path, small_docs, small_index, retriever.embedder,
                            line_channel_secret=SECRET, line_channel_access_token=ACCESS_TOKEN,
                            line_api_url=line_api.url, line_data_api_url=line_api.url)
        before, files_before = current_version(web.index), sorted(p.name for p in web.docs.iterdir())
        with TestClient(web.app) as client:
            good = len(line_api.contents["m-good"])
            assert post(client, line_file("m-good", "ค่าเดินทาง.pdf", good, "Uadmin"),
                        line_file("m-bad", "เสีย.pdf", 40, "Uadmin"),
                        line_file("m-other", "x.pdf", 40, "Ustranger"),
                        line_file("m-big", "ใหญ่.pdf", 50_000_000, "Uadmin")) == 200
            replies = [r["messages"][0]["text"] for r in line_api.wait_for("reply", 4)]
            assert replies[0] == change_queued("ไฟล์ ค่าเดินทาง.pdf ", 0)
            assert replies[1] == change_queued("ไฟล์ เสีย.pdf ", 1)  # waits for the first build
            assert replies[2] == HINT_NON_TEXT and "ใหญ่เกินกำหนด" in replies[3]
            assert current_version(web.index) == before  # published only when its build ends
            pushes = line_api.wait_for("push", 2, timeout=240)  # each build's outcome, in order
        assert [p["to"] for p in pushes] == ["Uadmin", "Uadmin"]
        done, refused = (p["messages"][0]["text"] for p in pushes)
        assert done.startswith("เพิ่มเอกสารเรียบร้อยค่ะ") and f"ดัชนีรุ่น: {current_version(web.index)}" in done
        assert refused.startswith("ใช้ไฟล์ เสีย.pdf ไม่ได้ จึงไม่ได้บันทึกค่ะ: corrupt or unreadable PDF")
    assert line_api.downloads == ["m-good", "m-bad"]  # nothing fetched for a refused name, size or sender
    assert sorted(p.name for p in web.docs.iterdir()) == sorted([*files_before, "ค่าเดินทาง.pdf"])
    assert any(d["path"] == "ค่าเดินทาง.pdf" for d in read_manifest(web.index)["documents"])
    audit = [(e.actor, e.action, e.target, e.outcome) for e in read_audit(web.db)]
    assert ("line:Uadmin", "upload", "ค่าเดินทาง.pdf", "ok") in audit
    assert ("line:Uadmin", "upload", "เสีย.pdf", "refused") in audit
    assert ("line:Ustranger", "upload", "x.pdf", "refused") in audit


def test_admin_commands_status_remove_rollback_report(
        api: FakeBotAPI, admin_settings: BotSettings, live: Live) -> None:
    admin_settings.rate_limit_messages = 20  # eleven commands and questions within the minute
    first = current_version(live.index)

    async def scenario() -> None:
        async with polling(admin_settings, live.dialogue, live.admin):
            api.push(message("/status"))
            assert f"ดัชนีรุ่น: {first}" in (await until(api, "sendMessage"))[0]["text"]
            with build_lock(live.index):  # `sarabun index build` is running: the queue waits
                for n, ack in enumerate([change_queued("คำสั่งจัดทำดัชนีใหม่", 0),
                                         change_queued("คำสั่งจัดทำดัชนีใหม่", 1),
                                         REINDEX_WAITING], 2):  # one waiting re-index is enough
                    api.push(message("/reindex"))  # queued like an upload: answered at once
                    assert (await until(api, "sendMessage", n))[n - 1]["text"] == ack
            outcomes = [m["text"] for m in (await until(api, "sendMessage", 6))[4:]]
            assert all(t.startswith("ไม่มีเอกสารเปลี่ยน ใช้ดัชนีเดิม") for t in outcomes), outcomes
            api.push(message("/remove circular"))
            assert (await until(api, "sendMessage", 7))[6]["text"] == change_queued("คำสั่งลบ circular ", 0)
            removed = (await until(api, "sendMessage", 8))[7]["text"]
            assert removed.startswith("ลบ circular.pdf แล้วค่ะ")
            api.push(message("/rollback"))
            assert f"ดัชนีรุ่น {first}" in (await until(api, "sendMessage", 9))[8]["text"]
            api.push(message("วิธีทำผัดกะเพรา"))
            api.push(message("/report"))
            report = (await until(api, "sendMessage", 11))[10]["text"]
            assert "คำถามที่เอกสารไม่มีคำตอบ" in report and "วิธีทำผัดกะเพรา" in report

    asyncio.run(scenario())
    assert current_version(live.index) == first
    assert not (live.docs / "circular.pdf").exists()
    assert [e.action for e in read_audit(live.admin.db)] == ["reindex", "reindex", "remove", "rollback"]


def test_report_command_line(tmp_path: Path, small_index: Path, retriever) -> None:
    from bot.report import build_report
    from bot.state import Feedback, record_feedback, record_question

    db_path = tmp_path / "data.sqlite3"
    dialogue = Dialogue(retriever)
    db = open_database(sqlite_url(db_path))
    for question in ("มาตรา 6 ว่าอย่างไร", "มาตรา  6 ว่าอย่างไร", "ราคาทองวันนี้"):
        turn = dialogue.reply("c", question)
        record_question(db, "telegram", "u1", turn)
    turn = dialogue.reply("c", "มาตรา 5 ว่าอย่างไร")
    assert record_feedback(db, Feedback.for_turn(turn, "line", "u2", False))
    assert not record_feedback(db, Feedback.for_turn(turn, "line", "u2", True))  # one vote per answer
    assert build_report(db, 0).questions == 3
    out = subprocess.run([sys.executable, "-m", "bot", "report", "--json", "--since", "2020-01-01",
                          "--index", str(small_index)], capture_output=True, text=True, timeout=120,
                         env={"SARABUN_DATA_DB": str(db_path), "PATH": ""})
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    assert report["questions"] == 3 and report["most_asked"][0] == ["มาตรา 6 ว่าอย่างไร", 2]
    assert report["abstained"] == [["ราคาทองวันนี้", 1]]
    (bad,) = report["unhelpful"]
    assert bad["question"] == turn.question and bad["passages"][0]["text"] == turn.answer.citations[0].text

    # Questions are stored as typed; the printed report shows control characters as escapes.
    record_question(db, "line", "u3", dialogue.reply("c", "มาตรา 6\x1b[2J\x1b]0;pwned\x07 ว่าอย่างไร\u202e"))
    out = subprocess.run([sys.executable, "-m", "bot", "report", "--since", "2020-01-01",
                          "--index", str(small_index)], capture_output=True, text=True, timeout=120,
                         env={"SARABUN_DATA_DB": str(db_path), "PATH": ""})
    assert out.returncode == 0, out.stderr
    assert not any(c in out.stdout for c in "\x1b\x07\u202e")
    assert "\\x1b[2j\\x1b]0;pwned\\x07" in out.stdout.lower()


def test_two_processes_switch_to_a_new_version(live: Live, tmp_path: Path) -> None:
    script = ("import sys\nfrom pathlib import Path\nfrom retrieval.live import LiveRetriever\n"
              "live = LiveRetriever(Path(sys.argv[1]), interval=0)\n"
              "for _ in sys.stdin:\n    print(live.current().index.version, flush=True)\n")
    procs = [subprocess.Popen([sys.executable, "-c", script, str(live.index)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True) for _ in range(2)]

    def versions() -> list[str]:
        for p in procs:
            p.stdin.write("?\n")
            p.stdin.flush()
        return [p.stdout.readline().strip() for p in procs]

    try:
        old = current_version(live.index)
        assert versions() == [old, old]
        (live.docs / "new.txt").write_text("ประกาศทดสอบ เรื่อง การประชุมออนไลน์ทุกวันศุกร์", "utf-8")
        assert live.admin.reindex("cli").ok
        new = current_version(live.index)
        assert new != old and versions() == [new, new]
    finally:
        for p in procs:
            p.stdin.close()
            p.wait(timeout=30)
