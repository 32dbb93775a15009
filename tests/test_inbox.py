"""The durable inbox (issue 15.1): kill -9 of a real ``sarabun serve`` in the middle of a burst of
signed LINE events; after a restart every acknowledged event is answered exactly once.

The LINE API stand-in behaves like LINE where it matters here: a reply token works once and a
push's retry key is accepted once, so a repeated delivery would be refused and counted."""

import asyncio
import json
import os
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from bot.health import Health
from bot.inbox import Inbox, Item
from bot.state import Database, open_database, sqlite_url

from .lineapi import FakeLineAPI
from .postgres import postgres  # noqa: F401  (the session's server fixture)
from .test_line import signed
from .test_serve_limits import free_port, serve_env, wait_healthy

QUESTIONS = ["มาตรา 4 ว่าอย่างไร", "มาตรา 5 ว่าอย่างไร", "มาตรา 6 ว่าอย่างไร", "มาตรา 7 ว่าอย่างไร",
             "รัฐบาลดิจิทัลมีคุณลักษณะอะไรบ้าง", "จุดเน้นการพัฒนาภาครัฐมีอะไรบ้าง",
             "คณะกรรมการพัฒนารัฐบาลดิจิทัลประกอบด้วยใครบ้าง", "ระบบสารบรรณอิเล็กทรอนิกส์ต้องมีคุณสมบัติอะไร"]
BURST = 120
KILL_AFTER = 20  # acknowledged events, and at least 3 answered


def line_event(i: int) -> dict:
    return {"type": "message", "mode": "active", "timestamp": int(time.time() * 1000),
            "source": {"type": "user", "userId": f"Ukill{i}"}, "webhookEventId": f"01KILL{i:06d}",
            "deliveryContext": {"isRedelivery": False}, "replyToken": f"kill-{i}",
            "message": {"type": "text", "id": str(i), "quoteToken": "q",
                        "text": QUESTIONS[i % len(QUESTIONS)]}}


def deliveries(api: FakeLineAPI) -> dict[int, int]:
    """Accepted replies and pushes per event."""
    counts: dict[int, int] = {}
    for body in api.of("reply"):
        i = int(body["replyToken"].removeprefix("kill-"))
        counts[i] = counts.get(i, 0) + 1
    for body in api.of("push"):
        i = int(body["to"].removeprefix("Ukill"))
        counts[i] = counts.get(i, 0) + 1
    return counts


def start(small_index: Path, tmp: Path, api: FakeLineAPI, port: int, log: Path) -> subprocess.Popen:
    env = serve_env(api, tmp, SARABUN_INBOX_LEASE_SECONDS="2")
    with open(log, "ab") as out:
        process = subprocess.Popen([sys.executable, "-m", "bot", "serve", "--port", str(port),
                                    "--index", str(small_index)], env=env, cwd=tmp,
                                   stdout=out, stderr=subprocess.STDOUT)
    wait_healthy(f"http://127.0.0.1:{port}", process, log)
    return process


def test_kill_9_mid_burst_then_each_acknowledged_event_answered_once(small_index: Path,
                                                                    tmp_path: Path) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = tmp_path / "serve.log"
    acknowledged: set[int] = set()
    lock = threading.Lock()
    with FakeLineAPI().running() as api:
        first = start(small_index, tmp_path, api, port, log)

        def send(i: int) -> None:
            body = json.dumps({"destination": "Ubot", "events": [line_event(i)]}).encode()
            try:
                if httpx.post(f"{url}/line/webhook", content=body, headers=signed(body),
                              timeout=10).status_code == 200:
                    with lock:
                        acknowledged.add(i)
            except httpx.HTTPError:
                pass  # the server is gone: not acknowledged

        with ThreadPoolExecutor(4) as pool:
            futures = [pool.submit(send, i) for i in range(BURST)]
            while len(acknowledged) < KILL_AFTER or len(deliveries(api)) < 3:
                time.sleep(0.01)
            os.kill(first.pid, signal.SIGKILL)
            first.wait()
            for f in futures:
                f.result()
        answered_at_kill = set(deliveries(api))
        unanswered = acknowledged - answered_at_kill
        assert unanswered, "the kill came after every acknowledged event was answered"

        second = start(small_index, tmp_path, api, port, log)
        try:
            deadline = time.monotonic() + 180
            while not acknowledged <= set(deliveries(api)):
                assert time.monotonic() < deadline, sorted(acknowledged - set(deliveries(api)))
                time.sleep(0.2)
            time.sleep(5)  # past the 2 s lease and a rescan: nothing more may arrive
            counts = deliveries(api)
        finally:
            second.terminate()
            second.wait(30)
    assert {i: counts.get(i, 0) for i in acknowledged} == dict.fromkeys(acknowledged, 1)
    assert all(n == 1 for n in counts.values())  # stored-but-unacknowledged ones at most once too
    print(f"\nkill -9 after {len(acknowledged & answered_at_kill)} answered of {len(acknowledged)} "
          f"acknowledged ({len(unanswered)} unanswered at the kill); after restart "
          f"{sum(counts[i] for i in acknowledged)} answers for {len(acknowledged)} acknowledged, "
          f"{api.repeats} repeated deliveries refused by the stand-in")


def test_replayed_telegram_update_is_answered_once(api, settings, retriever) -> None:
    from starlette.testclient import TestClient

    from bot.dialogue import Dialogue
    from bot.serve import create_app

    from .botapi import message

    update = {"update_id": 4242, **message("มาตรา 6 ว่าอย่างไร")}
    headers = {"X-Telegram-Bot-Api-Secret-Token": "s3cret-token"}
    with TestClient(create_app(settings, Dialogue(retriever))) as client:
        for _ in range(3):  # Telegram retries, or someone replays the request
            assert client.post("/telegram/webhook", json=update, headers=headers).status_code == 200
        api.wait_for("sendMessage", 1)
        api.wait_idle()
    assert len(api.of("sendMessage")) == 1


@pytest.fixture(params=["sqlite", "postgresql"])
def state_db(request: pytest.FixtureRequest, tmp_path: Path) -> Database:
    if request.param == "sqlite":
        return open_database(sqlite_url(tmp_path / "state.sqlite3"))
    return open_database(request.getfixturevalue("postgres").new_database())


def test_inbox_stores_once_and_takes_over_expired_claims(state_db: Database) -> None:
    handled: list[tuple[str, int]] = []

    async def handler(item: Item) -> None:
        handled.append((item.key, item.attempts))

    async def scenario() -> None:
        inbox = Inbox(state_db, Health(), lease=0.5)
        inbox.register("line", handler)
        ids = await inbox.accept("line", [("e1", '{"n": 1}'), ("e2", '{"n": 2}')])
        assert ids is not None and len(ids) == 2
        assert await inbox.accept("line", [("e1", '{"n": 1}')]) == []  # a redelivery: stored once
        assert inbox._claim(ids[1], time.time()) is not None  # e2 taken by a process that then died
        await inbox.process(ids)
        assert handled == [("e1", 1)]  # e2 is still under the dead process's lease
        await asyncio.sleep(0.6)
        await inbox.start()  # a restart: queues what the lease no longer protects
        for _ in range(100):
            if len(handled) == 2:
                break
            await asyncio.sleep(0.05)
        await inbox.stop()
        assert handled == [("e1", 1), ("e2", 2)]  # attempts 2: "may have been answered"
        assert inbox._claimable(time.time() + 10) == []  # both done

    asyncio.run(scenario())


def test_a_live_claim_is_renewed_so_no_other_replica_answers_it_again(state_db: Database) -> None:
    """Two inboxes on one database stand for two replicas: a slow answer lasting several leases
    is not taken over while its replica lives; a claim taken over after a stall is reported lost."""
    handled: list[tuple[str, str, int]] = []

    def handler(name: str, seconds: float):
        async def handle(item: Item) -> None:
            await asyncio.sleep(seconds)
            handled.append((name, item.key, item.attempts))
        return handle

    async def scenario() -> None:
        slow, other = Inbox(state_db, Health(), lease=0.6), Inbox(state_db, Health(), lease=0.6)
        slow.register("line", handler("slow", 2.5))  # four leases long
        other.register("line", handler("other", 0))
        await slow.start()
        await other.start()
        ids = await slow.accept("line", [("e1", "{}")])
        await slow.process(ids)  # meanwhile the other replica rescans every second
        await asyncio.sleep(1.2)
        assert handled == [("slow", "e1", 1)]
        # A replica that stalled past its lease: the row was claimed again, renewing says so.
        (e2,) = await other.accept("line", [("e2", "{}")])
        assert slow._claim(e2, time.time() - 1) is not None
        assert other._claim(e2, time.time()) is not None  # past the first claim's lease
        assert slow._renew({e2: 1}, time.time()) == [e2]
        await slow.stop()
        await other.stop()

    asyncio.run(scenario())


def test_a_question_is_logged_once_per_event(state_db: Database) -> None:
    """An event answered again after a takeover logs its question once; questions without an
    event key (the CLI, older callers) are each logged."""
    from sqlalchemy import text as sql

    from bot.dialogue import Turn
    from bot.state import record_question

    from .test_state import _answer

    turn = Turn("r1", "U1", "มาตรา 6 ว่าอย่างไร", 0, _answer())
    for key in ("01EVENT1", "01EVENT1", None, None):
        record_question(state_db, "line", "U1", turn, key)
    record_question(state_db, "telegram", "U1", turn, "01EVENT1")  # another platform's key space
    with state_db.read() as conn:
        assert conn.execute(sql("SELECT COUNT(*) FROM questions")).scalar() == 4
