"""The web console in a real browser: Debian's Chromium driven by Playwright (never a downloaded
browser) against ``sarabun serve``'s app on a real uvicorn server.

Skipped with the reason when Chromium or Playwright is missing (``apt-get install chromium``;
``pip install -e .[dev]``)."""

import asyncio
import io
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import text

from bot.settings import BotSettings
from bot.training import Training
from bot.web.auth import issue_link
from index.store import current_version, read_manifest

from .botapi import GROUP, OTHER_USER, USER, FakeBotAPI, message, polling, until
from .test_ocr import SCANNED_CIRCULAR, needs_tesseract, render_page
from .test_web import _seed_questions
from .webconsole import console_setup, wait_for_builds

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
playwright_api = pytest.importorskip("playwright.sync_api",
                                     reason="Playwright is not installed: pip install -e .[dev]")
pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(),
                                reason="Chromium is not installed: apt-get install chromium (see README)")


class Server:
    """uvicorn serving ``app`` on a free local port in a thread."""

    def __init__(self, app) -> None:
        import uvicorn

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.base = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> "Server":
        self.thread.start()
        deadline = time.time() + 30
        while not self.server.started:
            assert time.time() < deadline, "uvicorn did not start"
            time.sleep(0.05)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(10)


@pytest.fixture
def web(tmp_path: Path, small_docs: Path, small_index: Path, retriever, monkeypatch) -> Iterator[tuple]:
    setup = console_setup(tmp_path, small_docs, small_index, retriever.embedder)
    with Server(setup.app) as server:
        monkeypatch.setenv("SARABUN_PUBLIC_URL", server.base)
        yield setup, server
        wait_for_builds(setup.db)  # no build outlives its test's directories


@pytest.fixture(scope="module")
def browser() -> Iterator:
    with playwright_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser) -> Iterator:
    context = browser.new_context(viewport={"width": 1200, "height": 900}, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(30_000)
    yield page
    context.close()


def sign_in(page, url: str) -> None:
    """Open a one-time link and press the sign-in button, as a person would."""
    page.goto(url)
    page.click("#signin")
    page.wait_for_url("**/admin/*")


def upload(page, base: str, path: Path, build_seconds: float = 120, **fields: str) -> str:
    """Upload ``path`` with metadata ``fields`` through the form; the Thai notice the request
    answered with at once. The page then follows the build in the background and shows the
    documents again when it has ended."""
    page.goto(f"{base}/admin/documents/upload")
    page.set_input_files("input[name=file]", str(path))
    for name, value in fields.items():
        page.fill(f"input[name={name}]", value)
    page.click("button.primary")
    page.wait_for_selector(".notice.ok")
    notice = page.inner_text(".notice")
    page.wait_for_url(f"{base}/admin/documents", timeout=build_seconds * 1000)
    return notice


def test_sign_in_through_a_link_from_the_bot(web, page, api: FakeBotAPI, settings: BotSettings) -> None:
    setup, server = web
    settings.admin_telegram_ids = frozenset({USER["id"]})
    settings.data_db = setup.settings.data_db

    async def ask_for_link() -> list[str]:
        async with polling(settings, setup.dialogue, setup.admin):
            api.push(message("/web"))
            api.push(message("/web", user=OTHER_USER, chat={"id": OTHER_USER["id"], "type": "private"}))
            return [c["text"] for c in await until(api, "sendMessage", 2)]

    with ThreadPoolExecutor(1) as thread:  # Playwright's own loop runs in this thread
        replies = thread.submit(asyncio.run, ask_for_link()).result()
    link = next(r for r in replies if "/admin/signin?token=" in r).split("\n")[1]
    assert any("สำหรับผู้ดูแลและผู้สอน" in r for r in replies)  # not an admin or trainer: no link
    assert link.startswith(server.base)
    sign_in(page, link)
    assert page.url == f"{server.base}/admin/documents"
    rows = page.locator("#documents tbody tr")
    assert rows.count() == len(read_manifest(setup.index)["documents"])
    assert f"telegram:{USER['id']}" in page.inner_text("header")
    cookie = next(c for c in page.context.cookies() if c["name"] == "sarabun_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"


def test_refused_without_a_link_or_with_a_used_or_expired_one(web, page) -> None:
    setup, server = web
    page.goto(f"{server.base}/admin/documents")
    assert page.url == f"{server.base}/admin/signin"
    assert "/web" in page.inner_text("main") and page.locator("#signin").count() == 0

    link = issue_link(setup.db, "admin", "cli:op", server.base)
    sign_in(page, link)
    page.context.clear_cookies()
    page.goto(link)
    page.click("#signin")
    assert "ถูกใช้เข้าสู่ระบบไปแล้ว" in page.inner_text("main")
    page.goto(f"{server.base}/admin/versions")
    assert page.url == f"{server.base}/admin/signin"

    late = issue_link(setup.db, "admin", "cli:op", server.base)
    page.goto(late)
    with setup.db.tx() as conn:
        conn.execute(text("UPDATE web_links SET expires = :t WHERE used IS NULL"), {"t": time.time() - 1})
    page.click("#signin")
    assert "หมดอายุ" in page.inner_text("main")


def test_upload_then_roll_back(web, page, tmp_path: Path) -> None:
    setup, server = web
    first = current_version(setup.index)
    sign_in(page, issue_link(setup.db, "admin", "telegram:7001", server.base))
    circular = tmp_path / "หนังสือเวียน ประชุม.txt"
    circular.write_text("หนังสือเวียนเรื่องการประชุมผ่านสื่ออิเล็กทรอนิกส์\n"
                        "ข้อ ๑ ให้บันทึกการประชุมผ่านสื่ออิเล็กทรอนิกส์ไว้เป็นหลักฐานทุกครั้ง\n", "utf-8")
    notice = upload(page, server.base, circular, title="หนังสือเวียนการประชุมออนไลน์", agency="สำนักงานทดสอบ")
    assert "กำลังจัดทำดัชนีอยู่เบื้องหลัง" in notice
    assert "เพิ่มเอกสารเรียบร้อยค่ะ" in page.inner_text("#build-state.ok")
    assert "สำนักงานทดสอบ" in page.inner_text("#documents")
    second = current_version(setup.index)
    assert second != first

    page.goto(f"{server.base}/admin/versions")
    assert page.inner_text("#version-1 .version-name") == second
    assert "+ หนังสือเวียนการประชุมออนไลน์" in page.inner_text("#version-1")
    page.once("dialog", lambda dialog: dialog.accept())  # "ย้อนกลับไปใช้รุ่นนี้?"
    page.click("#rollback")
    page.wait_for_selector(".notice.ok")
    assert f"ย้อนกลับไปใช้ดัชนีรุ่น {first}" in page.inner_text(".notice")
    assert current_version(setup.index) == first
    assert page.inner_text("#version-1 .version-name") == first


def test_charts_render_with_data_points(web, page, tmp_path: Path) -> None:
    setup, server = web
    _seed_questions(setup)
    sign_in(page, issue_link(setup.db, "admin", "telegram:7001", server.base))
    page.goto(f"{server.base}/admin/questions")
    shot = page.locator(".charts").screenshot(path=str(tmp_path / "charts.png"))
    assert shot[:8] == b"\x89PNG\r\n\x1a\n" and len(shot) > 5000
    bars = page.eval_on_selector_all(
        "#chart-questions svg rect.point",
        "els => els.map(e => ({v: +e.dataset.value, h: e.getBoundingClientRect().height}))")
    assert len(bars) == 30  # the default range: the last 30 days
    drawn = [b for b in bars if b["v"] > 0]
    assert [b["v"] for b in drawn] == [1, 2, 3, 4, 6]
    heights = [b["h"] for b in drawn]
    assert heights == sorted(heights) and heights[0] > 0  # taller bars for more questions
    dots = page.eval_on_selector_all("#chart-declines svg circle.point", "els => els.length")
    assert dots == 30 and page.locator("#chart-declines svg polyline").count() == 1


def test_trainer_exports_a_handout(web, page, tmp_path: Path) -> None:
    import docx
    from pypdf import PdfReader

    setup, server = web
    sign_in(page, issue_link(setup.db, "trainer", "telegram:7002", server.base))
    assert page.url.endswith("/admin/quiz")
    page.fill("input[name=count]", "3")
    page.fill("input[name=seed]", "4")
    page.click("button[name=preview]")
    page.wait_for_selector("#preview")
    assert page.locator("#preview li.question").count() == 3
    with page.expect_download() as download:
        page.click("#handout-docx")
    path = tmp_path / "handout.docx"
    download.value.save_as(path)
    paragraphs = [p.text for p in docx.Document(str(path)).paragraphs]
    assert "เฉลยและแหล่งอ้างอิง" in paragraphs
    assert sum(p.startswith(("1. ", "2. ", "3. ")) for p in paragraphs) == 6  # questions and key

    handout = page.context.new_page()
    handout.goto(server.base + page.locator("#handout-print").get_attribute("href"))
    assert handout.locator("li.question").count() == 3
    pdf = handout.pdf(format="A4")  # what "print / save as PDF" gives, with the print CSS
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) >= 2  # the answer key starts on its own page
    assert handout.locator("p.no-print button").is_visible()


def test_projector_follows_a_live_round(web, page) -> None:
    # Waits through locator assertions: a polled wait_for_function compiles its predicate in the
    # page, which the console's Content-Security-Policy (no 'unsafe-eval') rightly refuses.
    from playwright.sync_api import expect

    setup, server = web
    chat = str(GROUP["id"])
    training = Training(setup.dialogue, setup.db)
    training.start_session(chat)
    sign_in(page, issue_link(setup.db, "trainer", "telegram:7002", server.base))
    page.goto(f"{server.base}/admin/live/view?chat={chat}")
    expect(page.locator("#question")).to_contain_text("รอคำถาม")

    quiz_round = training.new_round(chat)
    question = quiz_round.question
    expect(page.locator("#question")).to_have_text(question.question)
    assert page.locator("#bars .bar-row").count() == len(question.choices)

    wrong = (question.answer + 1) % len(question.choices)
    training.answer(quiz_round.ref, "u1", "สมหญิง", question.answer)
    training.answer(quiz_round.ref, "u2", "สมชาย", wrong)
    expect(page.locator("#bars .bar-row").nth(question.answer)).to_have_attribute("data-count", "1")
    expect(page.locator("#bars .bar-row").nth(wrong)).to_have_attribute("data-count", "1")
    assert page.locator("#bars .bar-row.correct").count() == 0  # not before the reveal
    assert page.locator("#reveal").is_hidden()

    training.reveal(quiz_round.ref)
    page.wait_for_selector("#reveal:not([hidden])")
    assert page.locator("#bars .bar-row.correct").count() == 1
    assert question.choices[question.answer][:20] in page.inner_text("#reveal")
    expect(page.locator("#leaderboard li")).to_have_count(2)
    assert page.inner_text("#leaderboard li:first-child") == "สมหญิง — 1 คะแนน"
    assert page.url.endswith(f"/admin/live/view?chat={chat}")  # never reloaded


@needs_tesseract
def test_scanned_circular_uploaded_in_the_browser_answers_in_chat(
        web, page, api: FakeBotAPI, settings: BotSettings, tmp_path: Path) -> None:
    setup, server = web
    photo = tmp_path / "circular-photo.png"
    render_page(SCANNED_CIRCULAR, angle=1.5).save(photo)  # a slightly skewed phone photo of a circular
    before = current_version(setup.index)
    sign_in(page, issue_link(setup.db, "admin", "telegram:7001", server.base))
    notice = upload(page, server.base, photo, build_seconds=240, title="หนังสือเวียนการเก็บรักษาเอกสารที่สแกน")
    assert "รับไฟล์ circular-photo.png แล้วค่ะ" in notice and "รุ่นดัชนี" in notice
    # followed to its published build: the outcome names the OCR pages and the new version
    outcome = page.inner_text("#build-state.ok")
    published = current_version(setup.index)
    assert published != before
    assert "เพิ่มเอกสารเรียบร้อยค่ะ" in outcome and "อ่านด้วย OCR" in outcome and published in outcome
    row = page.locator('tr[data-doc="circular-photo"]')
    assert "OCR 1 หน้า" in row.inner_text() and "telegram:7001" in row.inner_text()
    page.goto(f"{server.base}/admin/versions")
    assert page.inner_text("#version-1 .version-name") == published
    assert "+ หนังสือเวียนการเก็บรักษาเอกสารที่สแกน" in page.inner_text("#version-1")

    async def ask_in_chat() -> str:
        async with polling(settings, setup.dialogue, setup.admin):
            api.push(message("หนังสือราชการที่สแกนต้องเก็บรักษาไว้กี่ปี"))
            return (await until(api, "sendMessage"))[0]["text"]

    settings.data_db = setup.settings.data_db
    with ThreadPoolExecutor(1) as thread:
        answer = thread.submit(asyncio.run, ask_in_chat()).result()
    assert "สิบห้าปี" in answer and "หนังสือเวียนการเก็บรักษาเอกสารที่สแกน" in answer


def test_a_bad_upload_shows_its_build_error_and_leaves_the_live_index(web, page, tmp_path: Path) -> None:
    setup, server = web
    version, manifest = current_version(setup.index), read_manifest(setup.index)
    broken = tmp_path / "circular-broken.pdf"
    broken.write_bytes(b"%PDF-1.7\n1 0 obj << /Type /Catalog >> garbage\n%%EOF")  # a damaged download
    sign_in(page, issue_link(setup.db, "admin", "telegram:7001", server.base))
    notice = upload(page, server.base, broken, title="หนังสือเวียนฉบับเสีย")
    assert "รับไฟล์ circular-broken.pdf แล้วค่ะ" in notice
    error = page.inner_text("#build-state.bad")
    assert "ใช้ไฟล์ circular-broken.pdf ไม่ได้ จึงไม่ได้บันทึกค่ะ" in error and "corrupt or unreadable PDF" in error
    assert page.locator("#documents tbody tr").count() == len(manifest["documents"])
    assert current_version(setup.index) == version and read_manifest(setup.index) == manifest
    assert not list(setup.docs.glob("circular-broken*"))  # neither the file nor its metadata sidecar
    page.goto(f"{server.base}/admin/versions")
    assert page.inner_text("#version-1 .version-name") == version
    page.click("#build-recent summary")  # the recent builds, folded by default
    assert "ใช้ไฟล์ circular-broken.pdf ไม่ได้" in page.inner_text("#build-recent li.bad")
