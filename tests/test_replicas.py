"""Replicas: two real ``sarabun serve`` processes sharing one state database (PostgreSQL, and the
SQLite file), each taking signed LINE webhooks in turn, the real line-bot-sdk client calling a local
stand-in for the LINE API. A conversation, a quiz, a redelivered event and a user's rate limit work
the same whichever replica gets each event."""

import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text as sql

from bot.messages import QUIZ_AGAIN, RATE_LIMITED
from bot.state import open_database, sqlite_url

from .lineapi import ACCESS_TOKEN, FakeLineAPI
from .postgres import postgres  # noqa: F401  (the session's server fixture)
from .test_line import GROUP, SECRET, postback, signed, text

LIMIT = 6  # actions per user per minute, on every replica together
USER = {"type": "user", "userId": "U7001"}


@pytest.fixture(params=["postgresql", "sqlite"])
def replicas(request, line_api: FakeLineAPI, small_index: Path, small_docs: Path, tmp_path: Path
             ) -> Iterator[tuple[list[str], str]]:
    """Base URLs of two serving processes and their shared database URL."""
    url = (request.getfixturevalue("postgres").new_database() if request.param == "postgresql"
           else sqlite_url(tmp_path / "shared.sqlite3"))
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path), "SARABUN_DATABASE_URL": url,
           "SARABUN_LINE_CHANNEL_SECRET": SECRET, "SARABUN_LINE_CHANNEL_ACCESS_TOKEN": ACCESS_TOKEN,
           "SARABUN_LINE_API_URL": line_api.url, "SARABUN_RATE_LIMIT_MESSAGES": str(LIMIT),
           "SARABUN_RATE_LIMIT_SECONDS": "600"}
    ports = [_free_port() for _ in range(2)]
    procs = [subprocess.Popen([sys.executable, "-m", "bot", "serve", "--port", str(port),
                               "--index", str(small_index), "--docs", str(small_docs)],
                              cwd=tmp_path, env=env, stdout=subprocess.DEVNULL,
                              stderr=open(tmp_path / f"replica-{n}.log", "w"))  # noqa: SIM115
             for n, port in enumerate(ports)]
    bases = [f"http://127.0.0.1:{port}" for port in ports]
    try:
        for base, proc, n in zip(bases, procs, range(2), strict=True):
            _wait_healthy(base, proc, tmp_path / f"replica-{n}.log")
        yield bases, url
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(30)


def test_a_conversation_spans_replicas(replicas: tuple[list[str], str], line_api: FakeLineAPI) -> None:
    (a, b), url = replicas

    # A follow-up lands on the replica that never saw the list.
    first = text("จุดเน้นการพัฒนาภาครัฐ 4 เรื่องมีอะไรบ้าง", USER)
    _post(a, first)
    _reply(line_api, first)
    item = text("แล้วข้อ 3 ล่ะ", USER)
    _post(b, item)
    assert "Driving Innovation" in _reply(line_api, item)

    # A group quiz: the round made on one replica is answered through both, once per user.
    quiz = text("/quiz", GROUP)
    _post(a, quiz)
    ref = re.search(r'"data": "qa\|([^|"]+)\|', _reply(line_api, quiz)).group(1)
    answers = [postback(f"qa|{ref}|0", GROUP), postback(f"qa|{ref}|1", GROUP),
               postback(f"qa|{ref}|2", {**GROUP, "userId": "U4444"})]
    _post(b, answers[0])
    _reply(line_api, answers[0])
    _post(a, answers[1])
    assert QUIZ_AGAIN in _reply(line_api, answers[1])  # same user through the other replica
    _post(a, answers[2])
    _reply(line_api, answers[2])

    # A redelivered event reaches both replicas at once: answered once.
    twice = text("มาตรา 6 ว่าอย่างไร", {"type": "user", "userId": "U7002"})
    threads = [threading.Thread(target=_post, args=(base, twice)) for base in (a, b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    _reply(line_api, twice)

    # One user's rate limit holds across replicas: LIMIT answers, one notice, the rest dropped.
    burst = [text(f"มาตรา {5 + i % 3} ว่าอย่างไร", {"type": "user", "userId": "U7003"})
             for i in range(LIMIT + 3)]
    for i, event in enumerate(burst):
        _post((a, b)[i % 2], event)
    tokens = {e["replyToken"] for e in burst}
    deadline = time.monotonic() + 120
    while len(_replies(line_api, tokens)) < LIMIT + 1 and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(2)  # anything more would have come by now
    replies = _replies(line_api, tokens)
    assert len(replies) == LIMIT + 1
    assert sum(RATE_LIMITED in r for r in replies) == 1

    time.sleep(1)
    assert len(_replies(line_api, {twice["replyToken"]})) == 1
    db = open_database(url, upgrade=False)
    with db.read() as conn:
        assert conn.execute(sql("SELECT COUNT(*) FROM quiz_answers WHERE ref = :r"), {"r": ref}).scalar() == 2
        asked = conn.execute(sql("SELECT user_id, COUNT(*) FROM questions GROUP BY user_id")).all()
    # Logged once each (the redelivered one too); U7003's repeats are follow-ups, not logged anew.
    assert dict(asked)["U7001"] == 1 and dict(asked)["U7002"] == 1
    db.close()


def _post(base: str, *events: dict) -> None:
    body = json.dumps({"destination": "Ubot", "events": list(events)}).encode()
    response = httpx.post(f"{base}/line/webhook", content=body, headers=signed(body), timeout=30)
    assert response.status_code == 200


def _replies(api: FakeLineAPI, tokens: set[str]) -> list[str]:
    return [json.dumps(b, ensure_ascii=False) for b in api.of("reply") if b.get("replyToken") in tokens]


def _reply(api: FakeLineAPI, event: dict, timeout: float = 120) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if found := _replies(api, {event["replyToken"]}):
            return found[0]
        time.sleep(0.1)
    raise AssertionError(f"no reply to {event['replyToken']}")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_healthy(base: str, proc: subprocess.Popen, log: Path, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"replica exited: {log.read_text()[-3000:]}")
        try:
            if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise AssertionError(f"replica not healthy: {log.read_text()[-3000:]}")
