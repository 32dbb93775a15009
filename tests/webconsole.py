"""Helpers of the web-console tests: the real ``sarabun serve`` app over a private copy of the
small corpus, and sign-in through real one-time links."""

import re
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import text
from starlette.applications import Starlette
from starlette.routing import Mount, Route
from starlette.testclient import TestClient

from bot.admin import Admin
from bot.dialogue import Dialogue
from bot.serve import create_app
from bot.settings import BotSettings
from bot.state import Database, open_database
from bot.web.auth import issue_link
from retrieval.live import LiveRetriever

CSRF = re.compile(r'name="csrf" value="([^"]+)"')
TOKEN = re.compile(r'name="token" value="([^"]+)"')


@dataclass
class ConsoleSetup:
    app: Starlette
    db: Database
    docs: Path
    index: Path
    admin: Admin
    dialogue: Dialogue
    settings: BotSettings


def console_setup(tmp_path: Path, small_docs: Path, small_index: Path, embedder, **settings: object
                  ) -> ConsoleSetup:
    """The real app of ``sarabun serve`` over copies of the small corpus and its index; no chat
    platform unless ``settings`` configure one (then /healthz and /admin only)."""
    docs, index_dir = tmp_path / "docs", tmp_path / "index"
    shutil.copytree(small_docs, docs)
    shutil.copytree(small_index, index_dir, symlinks=True)
    bot_settings = BotSettings(**{"data_db": tmp_path / "data.sqlite3", "telegram_token": "",
                                  "line_channel_secret": "", "line_channel_access_token": "", **settings})
    db = open_database(bot_settings.state_url)
    dialogue = Dialogue(LiveRetriever(index_dir, embedder, interval=0), state=db)
    admin = Admin(docs, index_dir, embedder, 10**7, db)
    return ConsoleSetup(create_app(bot_settings, dialogue, admin), db, docs, index_dir, admin, dialogue,
                        bot_settings)


def wait_for_builds(db: Database, timeout: float = 240) -> list[tuple[str, str, bool, str]]:
    """Wait until the console's queued and running builds have ended; (action, target, ok,
    message) of every console build so far, oldest first."""
    deadline = time.time() + timeout
    while True:
        with db.read() as conn:
            rows = conn.execute(text("SELECT action, target, ok, message, finished FROM web_builds "
                                     "ORDER BY id")).all()
        if all(r.finished is not None for r in rows):
            return [(r.action, r.target, bool(r.ok), r.message) for r in rows]
        assert time.time() < deadline, f"console builds still running after {timeout} s"
        time.sleep(0.2)


def console_routes(app: Starlette) -> list[tuple[str, str]]:
    """(method, path) of every route of the console (its sign-in page and static files aside)."""
    mount = next(r for r in app.routes if isinstance(r, Mount) and r.path == "/admin")
    out = []
    for route in mount.routes:
        if isinstance(route, Route) and route.path != "/signin":
            out += [(m, "/admin" + route.path) for m in sorted(route.methods - {"HEAD"})]
    return out


def sign_in(client: TestClient, db: Database, role: str = "admin", identity: str = "telegram:7001",
            base: str = "http://testserver") -> str:
    """Sign ``client`` in through a fresh one-time link; the session's CSRF token."""
    page = client.get(issue_link(db, role, identity, base))
    assert page.status_code == 200
    response = client.post("/admin/signin", data={"token": TOKEN.search(page.text).group(1),
                                                  "csrf": CSRF.search(page.text).group(1)},
                           follow_redirects=False)
    assert response.status_code == 303, response.text
    return CSRF.search(client.get("/admin/live").text).group(1)
