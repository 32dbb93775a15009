"""Replicas: three real ``sarabun serve`` processes sharing one state database (PostgreSQL, and the
SQLite file) behind a real round-robin reverse proxy (tests/proxy.py). Signed LINE webhooks go to
the proxy, which hands each one to the next replica; the real line-bot-sdk client calls a local
stand-in for the LINE API that accepts a reply token once and a push retry key once.

A conversation, a group quiz, a redelivered event and a user's rate limit work the same whichever
replica gets each event; and a replica killed with SIGKILL in the middle of a burst loses no
acknowledged event and sends no answer twice: the others take over its claimed rows once their
lease runs out (bot/inbox.py), and the restarted replica rejoins the rotation."""

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text as sql

from bot.messages import QUIZ_AGAIN, RATE_LIMITED
from bot.state import open_database, sqlite_url

from .lineapi import ACCESS_TOKEN, FakeLineAPI
from .postgres import postgres  # noqa: F401  (the session's server fixture)
from .proxy import RoundRobinProxy
from .test_inbox import deliveries, line_event
from .test_line import GROUP, SECRET, postback, signed, text
from .test_serve_limits import free_port, wait_healthy

REPLICAS = 3
LIMIT = 6  # actions per user per minute, on every replica together
LEASE = 5  # seconds before a dead replica's claimed events are taken over (renewed while alive)
USER = {"type": "user", "userId": "U7001"}


@dataclass
class Cluster:
    """Replicas on one shared database behind the proxy."""

    proxy: RoundRobinProxy
    processes: list[subprocess.Popen]
    ports: list[int]
    database_url: str
    env: dict[str, str]
    args: list[str]
    tmp: Path

    def start(self, n: int) -> None:
        """(Re)start replica ``n`` on its port and wait until it is healthy."""
        log = self.tmp / f"replica-{n}.log"
        with open(log, "ab") as out:
            process = subprocess.Popen(
                [sys.executable, "-m", "bot", "serve", "--port", str(self.ports[n]), *self.args],
                cwd=self.tmp, env=self.env, stdout=subprocess.DEVNULL, stderr=out)
        self.processes[n:n + 1] = [process]  # replaces replica n, or adds it

    def wait(self, n: int) -> None:
        wait_healthy(f"http://127.0.0.1:{self.ports[n]}", self.processes[n],
                     self.tmp / f"replica-{n}.log", 180)

    def post(self, *events: dict, status: int = 200) -> int:
        """POST a signed webhook to the proxy; the replica that took it."""
        response = send(self.proxy.url, *events)
        assert response.status_code == status, response.text
        return int(response.headers["X-Upstream"])


@pytest.fixture(params=["postgresql", "sqlite"])
def cluster(request: pytest.FixtureRequest, line_api: FakeLineAPI, small_index: Path,
            small_docs: Path, tmp_path: Path) -> Iterator[Cluster]:
    """Three serving processes on one shared database, behind a round-robin proxy."""
    url = (request.getfixturevalue("postgres").new_database() if request.param == "postgresql"
           else sqlite_url(tmp_path / "shared.sqlite3"))
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path), "SARABUN_DATABASE_URL": url,
           "SARABUN_LINE_CHANNEL_SECRET": SECRET, "SARABUN_LINE_CHANNEL_ACCESS_TOKEN": ACCESS_TOKEN,
           "SARABUN_LINE_API_URL": line_api.url, "SARABUN_RATE_LIMIT_MESSAGES": str(LIMIT),
           "SARABUN_RATE_LIMIT_SECONDS": "600", "SARABUN_INBOX_LEASE_SECONDS": str(LEASE)}
    ports = [free_port() for _ in range(REPLICAS)]
    proxy = RoundRobinProxy([f"127.0.0.1:{port}" for port in ports])
    args = ["--index", str(small_index), "--docs", str(small_docs)]
    cluster = Cluster(proxy, [], ports, url, env, args, tmp_path)
    try:
        for n in range(REPLICAS):
            cluster.start(n)
        for n in range(REPLICAS):
            cluster.wait(n)
        with proxy.running():
            yield cluster
    finally:
        for process in cluster.processes:
            process.terminate()
        for process in cluster.processes:
            process.wait(30)


def test_a_conversation_spans_replicas(cluster: Cluster, line_api: FakeLineAPI) -> None:
    # A follow-up lands on a replica that never saw the list.
    first = text("จุดเน้นการพัฒนาภาครัฐ 4 เรื่องมีอะไรบ้าง", USER)
    asked_on = cluster.post(first)
    _reply(line_api, first)
    item = text("แล้วข้อ 3 ล่ะ", USER)
    assert cluster.post(item) != asked_on
    assert "Driving Innovation" in _reply(line_api, item)

    # A group quiz: the round made on one replica is answered through the others, once per user.
    quiz = text("/quiz", GROUP)
    cluster.post(quiz)
    ref = re.search(r'"data": "qa\|([^|"]+)\|', _reply(line_api, quiz)).group(1)
    answers = [postback(f"qa|{ref}|0", GROUP), postback(f"qa|{ref}|1", GROUP),
               postback(f"qa|{ref}|2", {**GROUP, "userId": "U4444"})]
    answered_on = []
    for answer in answers:
        answered_on.append(cluster.post(answer))
        _reply(line_api, answer)
    assert answered_on[0] != answered_on[1]  # the same user again, through another replica
    assert QUIZ_AGAIN in _replies(line_api, {answers[1]["replyToken"]})[0]

    # LINE redelivers an event while the first delivery is still being taken: two replicas get
    # it at once (the proxy's round robin), it is answered once.
    twice = text("มาตรา 6 ว่าอย่างไร", {"type": "user", "userId": "U7002"})
    again = {**twice, "deliveryContext": {"isRedelivery": True}}
    with ThreadPoolExecutor(2) as pool:
        upstreams = set(pool.map(cluster.post, (twice, again)))
    assert len(upstreams) == 2
    _wait(lambda: _answers_to(line_api, twice) >= 1)

    # One user's rate limit holds across replicas: LIMIT answers, one notice, the rest dropped.
    burst = [text(f"มาตรา {5 + i % 3} ว่าอย่างไร", {"type": "user", "userId": "U7003"})
             for i in range(LIMIT + 3)]
    assert {cluster.post(event) for event in burst} == set(range(REPLICAS))
    tokens = {e["replyToken"] for e in burst}
    _wait(lambda: len(_replies(line_api, tokens)) >= LIMIT + 1)
    time.sleep(2)  # anything more would have come by now
    replies = _replies(line_api, tokens)
    assert len(replies) == LIMIT + 1
    assert sum(RATE_LIMITED in r for r in replies) == 1

    assert _answers_to(line_api, twice) == 1
    db = open_database(cluster.database_url, upgrade=False)
    with db.read() as conn:
        assert conn.execute(sql("SELECT COUNT(*) FROM quiz_answers WHERE ref = :r"), {"r": ref}).scalar() == 2
        asked = conn.execute(sql("SELECT user_id, COUNT(*) FROM questions GROUP BY user_id")).all()
    # Logged once each (the redelivered one too); U7003's repeats are follow-ups, not logged anew.
    assert dict(asked)["U7001"] == 1 and dict(asked)["U7002"] == 1
    db.close()


BURST = 60  # events from distinct users, sent through the proxy a few at a time
KILL_AT = 20  # events sent before replica VICTIM gets SIGKILL
VICTIM = 1


@pytest.mark.parametrize("cluster", ["postgresql"], indirect=True)
def test_kill_9_of_a_replica_mid_burst(cluster: Cluster, line_api: FakeLineAPI) -> None:
    acknowledged: dict[int, int] = {}  # event → replica that answered 200
    broken: list[int] = []  # events whose replica died with the request (502 from the proxy)
    lock = threading.Lock()

    def deliver(i: int) -> None:
        response = send(cluster.proxy.url, line_event(i))
        with lock:
            if response.status_code == 200:
                acknowledged[i] = int(response.headers["X-Upstream"])
            else:
                assert response.status_code == 502, response.text
                broken.append(i)

    with ThreadPoolExecutor(8) as pool:
        futures = []
        for i in range(BURST):
            if i == KILL_AT:  # as soon as the victim holds an acknowledged, unanswered event
                _wait(lambda: bool(_on(acknowledged, lock, VICTIM) - set(deliveries(line_api))))
                on_victim = _on(acknowledged, lock, VICTIM)
                os.kill(cluster.processes[VICTIM].pid, signal.SIGKILL)
                killed = time.monotonic()
                cluster.processes[VICTIM].wait()
                answered = set(deliveries(line_api))
                killed_at = len(acknowledged)
            futures.append(pool.submit(deliver, i))
            time.sleep(0.05)
        for future in futures:
            future.result()
    orphans = on_victim - answered  # acknowledged by the victim, not answered when it died
    assert orphans, "the kill came after the victim had answered everything it acknowledged"
    after_kill = [acknowledged[i] for i in range(KILL_AT, BURST) if i in acknowledged]
    assert after_kill and VICTIM not in after_kill  # the others took the rest of the burst
    assert cluster.proxy.refused >= 1  # the dead replica was skipped

    # LINE redelivers what did not get 200 (the request died with the replica), to another one.
    for i in broken:
        assert cluster.post({**line_event(i), "deliveryContext": {"isRedelivery": True}}) != VICTIM

    # Every event is answered exactly once: the victim's orphans by a survivor after the lease.
    every = set(range(BURST))
    _wait(lambda: set(deliveries(line_api)) >= every, timeout=180)
    time.sleep(LEASE + 2)  # past another lease and rescan: nothing more may arrive
    counts = deliveries(line_api)
    assert counts == dict.fromkeys(every, 1), {i: n for i, n in counts.items() if n != 1}
    taken_over = max(t for path, body, t in _calls(line_api) if _event_of(body) in orphans) - killed

    # The killed replica restarts and rejoins the rotation; it finds nothing left to answer.
    cluster.start(VICTIM)
    cluster.wait(VICTIM)
    time.sleep(cluster.proxy.down_seconds)
    late = [line_event(BURST + i) for i in range(REPLICAS)]
    assert {cluster.post(event) for event in late} == set(range(REPLICAS))
    _wait(lambda: len(deliveries(line_api)) == BURST + REPLICAS)
    time.sleep(1)
    assert deliveries(line_api) == dict.fromkeys(range(BURST + REPLICAS), 1)

    db = open_database(cluster.database_url, upgrade=False)
    with db.read() as conn:
        inbox = dict(conn.execute(sql("SELECT state, COUNT(*) FROM inbox GROUP BY state")).all())
        asked = dict(conn.execute(sql("SELECT user_id, COUNT(*) FROM questions GROUP BY user_id")).all())
    db.close()
    assert inbox == {"done": BURST + REPLICAS}  # every acknowledged row stored, none left open
    assert asked == {f"Ukill{i}": 1 for i in range(BURST + REPLICAS)}  # logged once each
    print(f"\nkill -9 of replica {VICTIM} after {killed_at} acknowledged events: "
          f"{len(orphans)} of its {len(on_victim)} unanswered then (all answered by the others "
          f"{taken_over:.1f} s after the kill, lease {LEASE} s), {len(broken)} requests broken "
          f"(502, redelivered), {cluster.proxy.refused} connections refused and skipped; every one of "
          f"{BURST + REPLICAS} events answered once ({len(line_api.of('push'))} by push); "
          f"{line_api.repeats} repeats refused by the stand-in")


def _on(acknowledged: dict[int, int], lock: threading.Lock, replica: int) -> set[int]:
    with lock:
        return {event for event, n in acknowledged.items() if n == replica}


def _calls(api: FakeLineAPI) -> list[tuple[str, dict, float]]:
    """Accepted LINE API calls: path, body and when (time.monotonic())."""
    return [(path, body, at) for (path, body), at in zip(api.calls, api.times, strict=True)]


def _event_of(body: dict) -> int:
    """The burst event a reply or push answers (tokens "kill-<i>", users "Ukill<i>")."""
    return int(body.get("replyToken", "").removeprefix("kill-") or body["to"].removeprefix("Ukill"))


def send(base: str, *events: dict) -> httpx.Response:
    """A signed LINE webhook carrying ``events``."""
    body = json.dumps({"destination": "Ubot", "events": list(events)}).encode()
    return httpx.post(f"{base}/line/webhook", content=body, headers=signed(body), timeout=60)


def _replies(api: FakeLineAPI, tokens: set[str]) -> list[str]:
    return [json.dumps(b, ensure_ascii=False) for b in api.of("reply") if b.get("replyToken") in tokens]


def _answers_to(api: FakeLineAPI, event: dict) -> int:
    """Replies with the event's token plus pushes to its user."""
    user = event["source"]["userId"]
    return len(_replies(api, {event["replyToken"]})) + sum(b["to"] == user for b in api.of("push"))


def _reply(api: FakeLineAPI, event: dict) -> str:
    _wait(lambda: bool(_replies(api, {event["replyToken"]})))
    return _replies(api, {event["replyToken"]})[0]


def _wait(done, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not done():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)
