"""The web console against the real ``sarabun serve`` app (Starlette TestClient): sign-in links,
sessions and roles, CSRF, uploads that cannot escape the documents directory, metadata edit and
removal, the questions report with its SVG charts and CSV, handouts and the projector state."""

import csv
import io
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import text
from starlette.testclient import TestClient

from bot.state import QuizRound, QuizStore, read_audit
from bot.web.auth import chat_role, issue_link, link_reply
from index.store import build_lock, current_version, read_manifest
from retrieval.quiz import generate_quiz

from .postgres import postgres  # noqa: F401  (the session's PostgreSQL server fixture)
from .webconsole import CSRF, TOKEN, ConsoleSetup, console_routes, console_setup, sign_in, wait_for_builds

ADMIN_ONLY = {"/admin/documents", "/admin/documents/upload", "/admin/documents/edit",
              "/admin/documents/remove", "/admin/versions", "/admin/versions/build",
              "/admin/versions/rollback", "/admin/versions/progress", "/admin/questions",
              "/admin/questions.csv"}
DAY = 86400


@pytest.fixture
def web(request: pytest.FixtureRequest, tmp_path: Path, small_docs: Path, small_index: Path,
        retriever) -> ConsoleSetup:
    """The console on SQLite, or on PostgreSQL for tests marked ``BOTH``."""
    extra = {}
    if getattr(request, "param", "sqlite") == "postgresql":
        extra["database_url"] = request.getfixturevalue("postgres").new_database()
    return console_setup(tmp_path, small_docs, small_index, retriever.embedder, **extra)


BOTH = pytest.mark.parametrize("web", ["sqlite", "postgresql"], indirect=True)


@pytest.fixture
def client(web: ConsoleSetup):
    with TestClient(web.app, base_url="http://testserver") as c:
        yield c
    wait_for_builds(web.db)  # no build outlives its test's directories


def test_every_console_route_needs_a_session(web: ConsoleSetup, client: TestClient) -> None:
    routes = console_routes(web.app)
    assert {p for _, p in routes} >= ADMIN_ONLY | {"/admin/", "/admin/quiz", "/admin/live/state"}
    for method, path in routes:
        browser = client.request(method, path, headers={"accept": "text/html"}, follow_redirects=False)
        api = client.request(method, path, follow_redirects=False)  # a script, not a browser
        assert browser.status_code in (303, 401), (method, path, browser.status_code)
        if browser.status_code == 303:
            assert browser.headers["location"] == "/admin/signin"
        assert api.status_code == 401, (method, path)
    # a made-up session cookie is no session
    client.cookies.set("sarabun_session", "forged", path="/admin")
    assert client.get("/admin/documents", follow_redirects=False).status_code == 401


def test_trainer_cannot_reach_admin_routes(web: ConsoleSetup, client: TestClient) -> None:
    csrf = sign_in(client, web.db, "trainer", "telegram:7002")
    before = current_version(web.index)
    for method, path in console_routes(web.app):
        if path == "/admin/signout":
            continue
        response = (client.get(path, params={"count": 1}, follow_redirects=False) if method == "GET" else
                    client.post(path, data={"csrf": csrf, "path": "circular.pdf"}, follow_redirects=False))
        if path in ADMIN_ONLY:
            assert response.status_code == 403, (method, path)
        else:
            assert response.status_code in (200, 303), (method, path, response.status_code)
    assert current_version(web.index) == before and (web.docs / "circular.pdf").exists()
    home = client.get("/admin/", follow_redirects=False)
    assert home.headers["location"] == "/admin/quiz"


@BOTH
def test_posts_without_a_valid_csrf_token_are_refused(web: ConsoleSetup, client: TestClient) -> None:
    csrf = sign_in(client, web.db)
    before = current_version(web.index)
    for data in ({}, {"csrf": "wrong"}, {"csrf": csrf[:-1]}):
        response = client.post("/admin/documents/remove", data={**data, "path": "circular.pdf"})
        assert response.status_code == 403 and "แบบฟอร์ม" in response.text
        assert client.post("/admin/versions/rollback", data=data).status_code == 403
    assert (web.docs / "circular.pdf").exists() and current_version(web.index) == before
    assert not [e for e in read_audit(web.db) if e.action in ("remove", "rollback")]
    # the sign-in form has its own double-submit token
    page = client.get(issue_link(web.db, "admin", "cli:x", "http://testserver"))
    client.cookies.clear()
    refused = client.post("/admin/signin", data={"token": TOKEN.search(page.text).group(1),
                                                 "csrf": CSRF.search(page.text).group(1)})
    assert refused.status_code == 403


@BOTH
def test_links_work_once_and_expire(web: ConsoleSetup, client: TestClient) -> None:
    url = issue_link(web.db, "admin", "telegram:7001", "https://sarabun.example.go.th")
    assert url.startswith("https://sarabun.example.go.th/admin/signin?token=")
    path = url.removeprefix("https://sarabun.example.go.th")
    page = client.get(path)
    assert "sarabun_session" not in page.headers.get("set-cookie", "")  # a GET never uses the link
    form = {"token": TOKEN.search(page.text).group(1), "csrf": CSRF.search(page.text).group(1)}
    first = client.post("/admin/signin", data=form, follow_redirects=False)
    assert first.status_code == 303
    cookie = first.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/admin" in cookie
    assert "Secure" not in cookie  # plain HTTP to the test server
    reopened = client.get(path)  # the same link opened again
    again = client.post("/admin/signin", data={**form, "csrf": CSRF.search(reopened.text).group(1)})
    assert again.status_code == 403 and "ถูกใช้เข้าสู่ระบบไปแล้ว" in again.text

    expired = client.get(issue_link(web.db, "trainer", "line:U1", "http://testserver"))
    with web.db.tx() as conn:
        conn.execute(text("UPDATE web_links SET expires = :t"), {"t": time.time() - 1})
    late = client.post("/admin/signin", data={"token": TOKEN.search(expired.text).group(1),
                                              "csrf": CSRF.search(expired.text).group(1)})
    assert late.status_code == 403 and "หมดอายุ" in late.text
    unknown = client.post("/admin/signin", data={"token": "nope", "csrf": CSRF.search(expired.text).group(1)})
    assert unknown.status_code == 403 and "ไม่ถูกต้อง" in unknown.text
    # the database keeps hashes only: a leaked table gives no working link
    with web.db.read() as conn:
        stored = [r[0] for r in conn.execute(text("SELECT token_hash FROM web_links"))]
    assert TOKEN.search(page.text).group(1) not in stored
    actions = [(e.actor, e.action) for e in read_audit(web.db)]
    assert ("telegram:7001", "web-signin") in actions


def test_session_cookie_is_secure_behind_https(web: ConsoleSetup) -> None:
    with TestClient(web.app, base_url="https://testserver") as client:
        page = client.get(issue_link(web.db, "admin", "cli:op", "https://testserver"))
        response = client.post("/admin/signin", follow_redirects=False,
                               data={"token": TOKEN.search(page.text).group(1),
                                     "csrf": CSRF.search(page.text).group(1)})
        assert "Secure" in response.headers["set-cookie"]
        assert "default-src 'self'" in response.headers["content-security-policy"]
        assert response.headers["referrer-policy"] == "no-referrer"
    with TestClient(web.app, base_url="http://testserver") as client:  # TLS ends at a proxy
        proxied = client.get("/admin/signin?token=x", headers={"x-forwarded-proto": "https"})
        assert "Secure" in proxied.headers["set-cookie"]
        assert "Secure" not in client.get("/admin/signin?token=x").headers["set-cookie"]


def test_sign_out_ends_the_session(web: ConsoleSetup, client: TestClient) -> None:
    csrf = sign_in(client, web.db)
    cookie = client.cookies.get("sarabun_session")
    assert client.post("/admin/signout", data={"csrf": csrf}, follow_redirects=False).status_code == 303
    client.cookies.set("sarabun_session", cookie, path="/admin")  # a copy kept from before
    assert client.get("/admin/live", follow_redirects=False).status_code == 401


@pytest.mark.parametrize("name", ["../../escape.txt", "..\\..\\escape.txt", "/tmp/escape.txt",
                                  ".hidden.txt", "escape.txt.meta.json", "C:\\Windows\\escape.txt"])
def test_upload_names_cannot_escape_the_documents_directory(web: ConsoleSetup, client: TestClient,
                                                            tmp_path: Path, name: str) -> None:
    csrf = sign_in(client, web.db)
    before = {p.relative_to(web.docs) for p in web.docs.rglob("*")}
    response = client.post("/admin/documents/upload", data={"csrf": csrf, "title": "x"},
                           files={"file": (name, "ข้อ ๑ ทดสอบชื่อไฟล์".encode(), "text/plain")})
    assert response.status_code == 200
    wait_for_builds(web.db)
    added = {p.relative_to(web.docs) for p in web.docs.rglob("*")} - before
    if name.startswith("C:"):  # the multipart parser keeps only the last part of a Windows path
        assert added <= {Path("escape.txt"), Path("escape.txt.meta.json")}
    else:
        assert "ไม่รับไฟล์นี้" in response.text and not added  # not even a metadata sidecar
    assert not list(tmp_path.glob("escape*")) and not Path("/tmp/escape.txt").exists()


def test_upload_with_metadata_then_edit_and_remove(web: ConsoleSetup, client: TestClient) -> None:
    csrf = sign_in(client, web.db, identity="line:Uadmin")
    body = ("หนังสือเวียนเรื่องการประชุมออนไลน์\nข้อ ๑ ให้หน่วยงานจัดประชุมผ่านสื่ออิเล็กทรอนิกส์ได้"
            "โดยบันทึกการประชุมไว้ทุกครั้ง\n").encode()
    response = client.post("/admin/documents/upload",
                           files={"file": ("ประชุม ออนไลน์.txt", body, "text/plain")},
                           data={"csrf": csrf, "title": "แนวทางการประชุมออนไลน์", "agency": "สำนักงานทดสอบ",
                                 "date": "2567-05-01", "source": "https://example.go.th/circular.pdf",
                                 "aliases": "ประชุมออนไลน์; e-meeting", "kind": "guideline"})
    # the request returns at once: the build runs in the background
    assert response.status_code == 200 and "รับไฟล์ ประชุม_ออนไลน์.txt แล้วค่ะ" in response.text
    assert "กำลังจัดทำดัชนีอยู่เบื้องหลัง" in response.text and "รุ่นดัชนี" in response.text
    assert 'data-doc="ประชุม_ออนไลน์"' not in response.text  # not published yet
    # a change made while that build runs waits its turn
    queued = client.post("/admin/documents/edit", data={"csrf": csrf, "path": "circular.pdf",
                                                        "title": "หนังสือเวียนทดสอบฉบับแก้ชื่อ"})
    assert "รับข้อมูลของ circular.pdf แล้วค่ะ" in queued.text and "(คิวที่ 1)" in queued.text
    assert "รอคิว: แก้ข้อมูล circular.pdf (โดย line:Uadmin)" in queued.text
    builds = wait_for_builds(web.db)
    assert [b[:3] for b in builds] == [("upload", "ประชุม_ออนไลน์.txt", True),
                                       ("metadata", "circular.pdf", True)]
    assert "เพิ่มเอกสารเรียบร้อยค่ะ" in builds[0][3] and "บันทึกข้อมูลเอกสารแล้วค่ะ" in builds[1][3]

    page = client.get("/admin/documents").text
    assert re.search(r'<p id="build-state" class="ok">ครั้งล่าสุด .*แก้ข้อมูล circular.pdf', page)
    row = re.search(r'<tr data-doc="ประชุม_ออนไลน์">(.*?)</tr>', page, re.S).group(1)
    assert "แนวทางการประชุมออนไลน์" in row and "สำนักงานทดสอบ" in row and "line:Uadmin" in row
    assert 'href="https://example.go.th/circular.pdf"' in row
    assert "หนังสือเวียนทดสอบฉบับแก้ชื่อ" in page
    doc = next(d for d in read_manifest(web.index)["documents"] if d["path"] == "ประชุม_ออนไลน์.txt")
    assert doc["aliases"] == ["ประชุมออนไลน์", "e-meeting"] and doc["date"] == "2567-05-01"

    found = client.get("/admin/documents", params={"q": "ประชุม", "agency": "สำนักงานทดสอบ"})
    assert found.text.count("<tr data-doc=") == 1
    assert 'data-after="/admin/documents?q=' in found.text  # the page a finished build shows again
    edit = client.get("/admin/documents/edit", params={"path": "ประชุม_ออนไลน์.txt"})
    assert 'value="สำนักงานทดสอบ"' in edit.text
    client.post("/admin/documents/edit", data={"csrf": csrf, "path": "ประชุม_ออนไลน์.txt",
                                               "title": "แนวทางประชุมผ่านสื่ออิเล็กทรอนิกส์", "agency": "กรมทดสอบ"})
    wait_for_builds(web.db)
    doc = next(d for d in read_manifest(web.index)["documents"] if d["path"] == "ประชุม_ออนไลน์.txt")
    assert (doc["title"], doc["agency"]) == ("แนวทางประชุมผ่านสื่ออิเล็กทรอนิกส์", "กรมทดสอบ")
    # a path the index does not list is never touched
    outside = client.post("/admin/documents/edit", data={"csrf": csrf, "path": "../data.sqlite3"})
    assert outside.status_code == 404

    removed = client.post("/admin/documents/remove", data={"csrf": csrf, "path": "ประชุม_ออนไลน์.txt"})
    assert "รับคำสั่งลบ ประชุม_ออนไลน์.txt แล้วค่ะ" in removed.text
    assert wait_for_builds(web.db)[-1][2:] == (True, f"ลบ ประชุม_ออนไลน์.txt แล้วค่ะ ดัชนีรุ่น "
                                                     f"{current_version(web.index)}")
    assert "ลบ ประชุม_ออนไลน์.txt แล้วค่ะ" in client.get("/admin/versions").text
    assert not (web.docs / "ประชุม_ออนไลน์.txt").exists()
    assert not (web.docs / "ประชุม_ออนไลน์.txt.meta.json").exists()
    audit = [(e.actor, e.action, e.outcome) for e in read_audit(web.db)]
    for action in ("upload", "metadata", "remove"):
        assert ("line:Uadmin", action, "ok") in audit
    with web.db.read() as conn:  # an upload's bytes wait in the database only until its build
        held = conn.execute(text("SELECT COUNT(*) FROM web_builds WHERE payload IS NOT NULL")).scalar_one()
    assert held == 0


@BOTH
def test_a_bad_upload_is_refused_by_its_build(web: ConsoleSetup, client: TestClient) -> None:
    csrf = sign_in(client, web.db)
    version, manifest = current_version(web.index), read_manifest(web.index)
    response = client.post("/admin/documents/upload", data={"csrf": csrf, "title": "ฉบับเสีย"},
                           files={"file": ("broken.pdf", b"%PDF-1.7\n1 0 obj << >> garbage\n%%EOF",
                                           "application/pdf")})
    assert "รับไฟล์ broken.pdf แล้วค่ะ" in response.text
    [(action, target, ok, message)] = wait_for_builds(web.db)
    assert (action, target, ok) == ("upload", "broken.pdf", False)
    assert message.startswith("ใช้ไฟล์ broken.pdf ไม่ได้ จึงไม่ได้บันทึกค่ะ: corrupt or unreadable PDF")
    page = client.get("/admin/documents").text
    assert re.search(r'<p id="build-state" class="bad">ครั้งล่าสุด .*เพิ่ม broken.pdf.*ใช้ไฟล์ broken.pdf ไม่ได้',
                     page)
    assert not list(web.docs.glob("broken.pdf*"))  # neither the file nor its metadata
    assert current_version(web.index) == version and read_manifest(web.index) == manifest
    assert client.get("/admin/versions/progress").json()["ok"] is False


def test_a_change_waits_for_a_build_outside_the_console(web: ConsoleSetup, client: TestClient) -> None:
    csrf = sign_in(client, web.db)
    with build_lock(web.index):  # a chat upload or `sarabun index build` is building
        response = client.post("/admin/documents/upload", data={"csrf": csrf},
                               files={"file": ("รอคิว.txt", "ข้อ ๑ หนังสือเวียนที่รอการจัดทำดัชนีอื่น".encode(),
                                               "text/plain")})
        assert "รับไฟล์ รอคิว.txt แล้วค่ะ" in response.text
        time.sleep(1.5)
        assert client.get("/admin/versions/progress").json()["running"]
    [(_, _, ok, message)] = wait_for_builds(web.db)  # then it ran, instead of failing on the lock
    assert ok and "เพิ่มเอกสารเรียบร้อยค่ะ" in message and (web.docs / "รอคิว.txt").exists()


def test_changes_left_by_a_dead_process_are_picked_up(web: ConsoleSetup, client: TestClient) -> None:
    from bot.builds import MAX_RUNS, STOPPED

    sign_in(client, web.db)
    long_ago = time.time() - 3600
    body = "ข้อ ๑ หนังสือเวียนที่ค้างอยู่เมื่อเซิร์ฟเวอร์หยุด ให้จัดทำดัชนีหลังเริ่มระบบใหม่".encode()
    insert = text("INSERT INTO web_builds (actor, started, at, action, target, payload, queued, attempts) "
                  "VALUES ('telegram:1', :t, :t, :a, :tg, :p, :q, :n)")
    with web.db.tx() as conn:  # replicas died during two builds, with a re-index waiting after them
        conn.execute(insert, {"t": long_ago, "a": "upload", "tg": "ค้าง.txt", "p": body, "q": 0, "n": 1})
        conn.execute(insert, {"t": long_ago, "a": "upload", "tg": "x.txt", "p": b"x", "q": 0, "n": MAX_RUNS})
        conn.execute(insert, {"t": long_ago, "a": "reindex", "tg": "", "p": None, "q": 1, "n": 0})
    page = client.get("/admin/versions").text  # a page view starts what waits
    assert "กำลังจัดทำดัชนี: เพิ่ม ค้าง.txt (โดย telegram:1)" in page  # its first run died: once more
    rerun, dead, reindex = wait_for_builds(web.db)
    assert rerun[2] and "เพิ่มเอกสารเรียบร้อยค่ะ" in rerun[3] and (web.docs / "ค้าง.txt").exists()
    assert dead == ("upload", "x.txt", False, STOPPED)  # died on each of its runs: given up
    assert not (web.docs / "x.txt").exists()
    assert reindex[2] and "ไม่มีเอกสารเปลี่ยน ใช้ดัชนีเดิม" in reindex[3]


def test_a_full_queue_refuses_politely(web: ConsoleSetup, client: TestClient) -> None:
    from bot.builds import MAX_WAITING

    csrf = sign_in(client, web.db)
    with web.db.tx() as conn:  # another replica is building, with a full queue behind it
        for queued in [0] + [1] * MAX_WAITING:
            conn.execute(text("INSERT INTO web_builds (actor, started, at, action, queued) "
                              "VALUES ('cli:op', :t, :t, 'reindex', :q)"), {"t": time.time(), "q": queued})
    response = client.post("/admin/documents/upload", data={"csrf": csrf},
                           files={"file": ("เกิน.txt", "ข้อ ๑ เอกสารที่คิวเต็ม".encode(), "text/plain")})
    assert f"มีงานรอจัดทำดัชนีครบ {MAX_WAITING} งานแล้ว จึงยังไม่ได้รับไฟล์ เกิน.txt ค่ะ" in response.text
    assert '<p class="notice bad"' in response.text
    with web.db.tx() as conn:  # the other replica's work ends
        assert conn.execute(text("SELECT COUNT(*) FROM web_builds")).scalar_one() == MAX_WAITING + 1
        conn.execute(text("UPDATE web_builds SET finished = :t, ok = 1"), {"t": time.time()})
    assert not (web.docs / "เกิน.txt").exists()


@BOTH
def test_versions_build_progress_and_rollback(web: ConsoleSetup, client: TestClient) -> None:
    csrf = sign_in(client, web.db)
    first = current_version(web.index)
    (web.docs / "extra.txt").write_text("ข้อ ๑ เอกสารเพิ่มเติมสำหรับทดสอบการจัดทำดัชนีจากคอนโซลเว็บ", "utf-8")
    assert "เริ่มจัดทำดัชนีแล้ว" in client.post("/admin/versions/build", data={"csrf": csrf}).text
    assert "(คิวที่ 1)" in client.post("/admin/versions/build", data={"csrf": csrf}).text
    assert "รอคิวอยู่แล้ว" in client.post("/admin/versions/build", data={"csrf": csrf}).text
    deadline = time.time() + 120
    while (state := client.get("/admin/versions/progress").json())["running"] or state["waiting"]:
        assert time.time() < deadline
        time.sleep(0.2)
    # the queued second build found nothing new; the first published the new document
    assert "ไม่มีเอกสารเปลี่ยน ใช้ดัชนีเดิม" in state["text"] and state["percent"] == 100 and state["ok"]
    second = current_version(web.index)
    assert second != first
    page = client.get("/admin/versions").text
    assert second in page and first in page and "+ ข้อ ๑ เอกสารเพิ่มเติม" in page
    assert f"เผยแพร่ดัชนีรุ่น {second}" in page  # in the recent builds

    rolled = client.post("/admin/versions/rollback", data={"csrf": csrf})
    assert f"ย้อนกลับไปใช้ดัชนีรุ่น {first}" in rolled.text and current_version(web.index) == first


def _seed_questions(web: ConsoleSetup, days: int = 5) -> float:
    """A question log over ``days`` Thai days ending today: day n has n+1 questions, one declined
    from day 1 on; two 👎 votes. Returns the start of today (Thai time)."""
    from bot.web.insights import day_range, thai_today

    today, _ = day_range(thai_today(), thai_today())
    chunk = web.dialogue.retriever.index.chunks[0].chunk_id
    with web.db.tx() as conn:
        for n in range(days):
            at = today - (days - 1 - n) * DAY + 3600
            for i in range(n + 1):
                declined = int(i == 0 and n > 0)
                question = ("ค่าเบี้ยเลี้ยงเดินทางไปราชการเท่าไร" if declined else "รัฐบาลดิจิทัลคืออะไร")
                conn.execute(text("INSERT INTO questions (at, platform, user_id, question, abstained, "
                                  "chunk_ids) VALUES (:at, 'telegram', 'u', :q, :a, :c)"),
                             {"at": at + i, "q": question, "a": declined, "c": "" if declined else chunk})
        conn.execute(text("INSERT INTO questions (at, platform, user_id, question, abstained, chunk_ids) "
                          "VALUES (:at, 'line', 'u', '=HYPERLINK(\"x\")', 1, '')"), {"at": today + 7200})
        for i in range(2):
            conn.execute(text("INSERT INTO feedback (at, platform, user_id, chat_id, question, chunk_ids, "
                              "helpful, turn_ref) VALUES (:at, 'telegram', :u, 'c', 'รัฐบาลดิจิทัลคืออะไร', "
                              ":c, 0, :r)"), {"at": today + 60 + i, "u": f"u{i}", "c": chunk, "r": f"r{i}"})
    return today


@BOTH
def test_questions_report_charts_and_csv(web: ConsoleSetup, client: TestClient) -> None:
    from bot.web.insights import thai_today

    _seed_questions(web)
    sign_in(client, web.db)
    end = thai_today()
    start = end.fromordinal(end.toordinal() - 4)
    page = client.get("/admin/questions", params={"from": start.isoformat(), "to": end.isoformat()}).text
    bars = re.findall(r'<rect class="point bar" data-label="([\d-]+)" data-value="([\d.]+)"', page)
    assert [float(v) for _, v in bars] == [1, 2, 3, 4, 6]  # today: five plus the formula question
    assert bars[-1][0] == end.isoformat()
    rates = re.findall(r'<circle class="point dot" data-label="[\d-]+" data-value="([\d.]+)"', page)
    assert [round(float(r), 3) for r in rates] == [0, 0.5, round(1 / 3, 3), 0.25, round(2 / 6, 3)]
    assert "ทั้งหมด 16 คำถาม · ตอบไม่ได้ 5 คำถาม" in page
    assert re.search(r'<span class="count">11×</span> รัฐบาลดิจิทัลคืออะไร', page)
    topic = re.search(r"<summary><strong>(.*?)</strong> · 4 ครั้ง\s*<a class=\"button small\" "
                      r"href=\"/admin/documents/upload\?topic=([^\"]+)\"", page)
    assert topic and topic.group(1) in "ค่าเบี้ยเลี้ยงเดินทางไปราชการ"
    assert page.count('<article class="feedback">') == 2 and "<blockquote><cite>" in page

    export = client.get("/admin/questions.csv", params={"from": start.isoformat(), "to": end.isoformat()})
    assert export.headers["content-disposition"].startswith("attachment")
    rows = list(csv.reader(io.StringIO(export.text.lstrip("\ufeff"))))
    assert rows[0][:3] == ["time", "platform", "question"] and len(rows) == 17
    assert ["line", "'=HYPERLINK(\"x\")", "1"] in [r[1:4] for r in rows]  # never run as a formula
    # an empty range draws empty charts, not an error
    empty = client.get("/admin/questions", params={"from": "2020-01-01", "to": "2020-01-03"}).text
    assert "ไม่มีข้อมูลในช่วงนี้" not in empty and empty.count('class="point bar"') == 3


def test_quiz_preview_and_handouts(web: ConsoleSetup, client: TestClient) -> None:
    import docx

    sign_in(client, web.db, "trainer", "telegram:7002")
    doc_id = "digital_government_act_2562"
    page = client.get("/admin/quiz", params={"count": 3, "seed": 2, "doc": doc_id}).text
    assert page.count('<li class="question">') == 3
    assert page.count("พระราชบัญญัติการบริหารงานและการให้บริการภาครัฐผ่านระบบดิจิทัล") >= 3  # citations
    printable = client.get("/admin/quiz/handout", params={"count": 3, "seed": 2, "doc": doc_id}).text
    assert printable.count('<li class="question">') == 3 and "เฉลยและแหล่งอ้างอิง" in printable
    assert 'class="correct"' not in printable.split('class="answer-key"')[0]  # no answers on the sheet
    file = client.get("/admin/quiz/handout.docx", params={"count": 3, "seed": 2, "doc": doc_id})
    assert file.headers["content-type"].startswith("application/vnd.openxmlformats")
    paragraphs = [p.text for p in docx.Document(io.BytesIO(file.content)).paragraphs]
    expected = generate_quiz(web.dialogue.retriever, 100_000, 2)
    expected = [q for q in expected if q.citation.doc_id == doc_id][:3]
    assert [p for p in paragraphs if p[:2] in ("1.", "2.", "3.")][:3] == \
        [f"{n}. {q.question}" for n, q in enumerate(expected, 1)]
    assert "เฉลยและแหล่งอ้างอิง" in paragraphs
    assert [e.action for e in read_audit(web.db)].count("handout") == 2


@BOTH
def test_projector_state_follows_a_round(web: ConsoleSetup, client: TestClient) -> None:
    sign_in(client, web.db, "trainer", "telegram:7002")
    store = QuizStore(web.db)
    question = generate_quiz(web.dialogue.retriever, 1, 0)[0]
    store.start_session("-100200")
    store.add(QuizRound("r1", "-100200", question))
    state = client.get("/admin/live/state", params={"chat": "-100200"}).json()
    assert state["question"] == question.question and state["answers"] == 0
    assert not any(c["correct"] for c in state["choices"])  # the answer stays hidden
    wrong = (question.answer + 1) % len(question.choices)
    store.answer("r1", "u1", "สมหญิง", question.answer)
    store.answer("r1", "u2", "สมชาย", wrong)
    store.answer("r1", "u3", "สมศรี", question.answer)
    state = client.get("/admin/live/state", params={"chat": "-100200"}).json()
    counts = [c["count"] for c in state["choices"]]
    assert counts[question.answer] == 2 and counts[wrong] == 1 and state["answers"] == 3
    assert not state["revealed"] and not any(c["correct"] for c in state["choices"])
    store.reveal("r1")
    state = client.get("/admin/live/state", params={"chat": "-100200"}).json()
    assert state["revealed"] and state["choices"][question.answer]["correct"]
    assert state["leaderboard"][:2] == [{"name": "สมหญิง", "points": 1}, {"name": "สมศรี", "points": 1}]
    assert "-100200" in client.get("/admin/live").text


def test_chat_roles_and_link_reply(web: ConsoleSetup) -> None:
    admins, trainers = frozenset({7001}), frozenset({7002})
    assert chat_role("telegram", "7001", admins, trainers) == "admin"
    assert chat_role("telegram", "7002", admins, trainers) == "trainer"
    assert chat_role("telegram", "7003", admins, trainers) is None
    assert chat_role("line", "Uadmin", frozenset({"Uadmin"}), frozenset()) == "admin"
    assert "สำหรับผู้ดูแลและผู้สอน" in link_reply(web.db, "https://x.go.th", "telegram", "7003", admins, trainers)
    assert "SARABUN_PUBLIC_URL" in link_reply(web.db, "", "telegram", "7001", admins, trainers)
    reply = link_reply(web.db, "https://x.go.th", "telegram", "7002", admins, trainers)
    assert "https://x.go.th/admin/signin?token=" in reply and "10 นาที" in reply


def test_web_link_command_line(web: ConsoleSetup, tmp_path: Path) -> None:
    env = {"SARABUN_DATA_DB": str(tmp_path / "data.sqlite3"), "SARABUN_PUBLIC_URL": "https://sarabun.test",
           "PATH": "/usr/bin:/bin"}
    done = subprocess.run([sys.executable, "-m", "bot", "web-link", "--role", "admin"], env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    url = done.stdout.strip()
    assert url.startswith("https://sarabun.test/admin/signin?token=")
    with TestClient(web.app) as client:
        page = client.get(url.removeprefix("https://sarabun.test"))
        signed = client.post("/admin/signin", follow_redirects=False,
                             data={"token": TOKEN.search(page.text).group(1),
                                   "csrf": CSRF.search(page.text).group(1)})
        assert signed.status_code == 303
    bad = subprocess.run([sys.executable, "-m", "bot", "web-link", "--role", "root"], env=env,
                         capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2


def test_web_command_on_line(tmp_path: Path, small_docs: Path, small_index: Path, retriever,
                             monkeypatch: pytest.MonkeyPatch) -> None:
    from .lineapi import ACCESS_TOKEN, FakeLineAPI
    from .test_line import GROUP, SECRET, post, text

    monkeypatch.setenv("SARABUN_PUBLIC_URL", "http://testserver")
    monkeypatch.setenv("SARABUN_TRAINER_LINE_IDS", "U1111")
    with FakeLineAPI().running() as line_api:
        web = console_setup(tmp_path, small_docs, small_index, retriever.embedder, line_channel_secret=SECRET,
                            line_channel_access_token=ACCESS_TOKEN, line_api_url=line_api.url)
        with TestClient(web.app, base_url="http://testserver") as client:
            assert post(client, text("/web"), text("/web", {"type": "user", "userId": "U9999"}),
                        text("/web", GROUP)) == 200
            link, refused, group = (r["messages"][0]["text"] for r in line_api.of("reply"))
            assert "สำหรับผู้ดูแลและผู้สอน" in refused and "แชตส่วนตัว" in group
            url = link.split("\n")[1]
            page = client.get(url.removeprefix("http://testserver"))
            client.post("/admin/signin", data={"token": TOKEN.search(page.text).group(1),
                                               "csrf": CSRF.search(page.text).group(1)})
            assert client.get("/admin/quiz").status_code == 200  # a trainer
            assert client.get("/admin/documents").status_code == 403
    assert ("line:U1111", "web-signin") in [(e.actor, e.action) for e in read_audit(web.db)]
