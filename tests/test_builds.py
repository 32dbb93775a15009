"""The build queue's outcomes for chat uploaders, on SQLite and PostgreSQL: each is handed out
once across followers, a failed send is tried again, and given up after MAX_SENDS tries; the
console's own builds are never sent to a chat."""

import asyncio
import time
from pathlib import Path

import pytest
from sqlalchemy import text

from bot.admin import Admin
from bot.builds import MAX_SENDS, Outcome, follow_outcomes, take_outcomes
from bot.state import open_database, sqlite_url

from .postgres import postgres  # noqa: F401  (the session's PostgreSQL server fixture)


@pytest.fixture(params=["sqlite", "postgresql"])
def admin(request: pytest.FixtureRequest, tmp_path: Path) -> Admin:
    url = (request.getfixturevalue("postgres").new_database() if request.param == "postgresql"
           else sqlite_url(tmp_path / "data.sqlite3"))
    (tmp_path / "docs").mkdir()
    return Admin(tmp_path / "docs", tmp_path / "index", "e5-small", 10**7, open_database(url))


def finished(admin: Admin, reply_to: str | None, message: str, ok: bool = True) -> None:
    """A build that has ended, as the queue records it."""
    with admin.db.tx() as conn:
        conn.execute(text("INSERT INTO web_builds (actor, started, at, action, target, queued, "
                          "finished, ok, message, reply_to) "
                          "VALUES ('x', :t, :t, 'upload', 'a.pdf', 0, :t, :ok, :m, :r)"),
                     {"t": time.time(), "ok": int(ok), "m": message, "r": reply_to})


def test_outcomes_are_sent_once_retried_and_given_up(admin: Admin) -> None:
    finished(admin, "telegram:42", "เพิ่มเอกสารเรียบร้อยค่ะ")
    finished(admin, "telegram:43", "ใช้ไฟล์ a.pdf ไม่ได้ค่ะ", ok=False)
    finished(admin, "line:Uadmin", "ของ LINE")
    finished(admin, None, "ของคอนโซล")
    sent: list[tuple[str, str]] = []
    tries: dict[str, int] = {}

    async def send(outcome: Outcome) -> None:
        tries[outcome.chat] = tries.get(outcome.chat, 0) + 1
        if outcome.chat == "43" or tries[outcome.chat] < 3:  # 42 fails twice; 43 always fails
            raise ConnectionError("Bot API unreachable")
        sent.append((outcome.chat, outcome.message))

    async def run() -> None:
        # two followers (two replicas) at once: each outcome is still sent once
        tasks = [asyncio.create_task(follow_outcomes(admin, "telegram", send, every=0.05)) for _ in range(2)]
        await asyncio.sleep(3)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    asyncio.run(run())
    assert sent == [("42", "เพิ่มเอกสารเรียบร้อยค่ะ")]
    assert tries == {"42": 3, "43": MAX_SENDS}  # given up after MAX_SENDS failed sends
    assert take_outcomes(admin.db, "telegram") == []
    (line,) = take_outcomes(admin.db, "line")  # another platform's outcome waits for its follower
    assert (line.chat, line.message, line.tries) == ("Uadmin", "ของ LINE", 0)
    with admin.db.read() as conn:  # the console's build is shown on its pages, never sent
        assert conn.execute(text("SELECT replied FROM web_builds WHERE reply_to IS NULL")).scalar_one() == 0
