"""Faults around answering (issue 16): a database that cannot be written, a wrong LINE token, a
failing Bot API. Answers still go out; ``/healthz`` names the failing part with a 503.

Real parts: the ASGI app with the real line-bot-sdk and python-telegram-bot clients against the
local API stand-ins, real SQLite on a real full file system (a 1 MB tmpfs, mounted as root)."""

import errno
import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from bot.dialogue import Dialogue
from bot.messages import FAILED
from bot.serve import create_app
from bot.settings import BotSettings

from .botapi import FakeBotAPI, message
from .lineapi import ACCESS_TOKEN, FakeLineAPI
from .test_line import SECRET, post, text


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A real 1 MB file system (tmpfs), so that the database can really run out of space."""
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs (needs root): {done.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def fill(disk: Path) -> Path:
    """Fill ``disk`` to the last byte; returns the filler file (delete it to free the space)."""
    filler = disk / "filler"
    with open(filler, "wb", buffering=0) as f:
        try:
            while True:
                f.write(b"\0" * 4096)
        except OSError as exc:
            assert exc.errno == errno.ENOSPC
    return filler


def line_settings(api: FakeLineAPI, db: Path, token: str = ACCESS_TOKEN) -> BotSettings:
    return BotSettings(telegram_token="", line_channel_secret=SECRET, line_channel_access_token=token,
                       line_api_url=api.url, data_db=db, rate_limit_messages=50)


def test_full_database_disk_does_not_cost_line_answers(line_api: FakeLineAPI, small_disk: Path,
                                                       retriever) -> None:
    settings = line_settings(line_api, small_disk / "data.sqlite3")
    with TestClient(create_app(settings, Dialogue(retriever))) as client:
        assert client.get("/healthz").status_code == 200
        filler = fill(small_disk)
        questions = ["มาตรา 4 ว่าอย่างไร", "มาตรา 5 ว่าอย่างไร", "มาตรา 6 ว่าอย่างไร",
                     "มาตรา 7 ว่าอย่างไร", "รัฐบาลดิจิทัลมีคุณลักษณะอะไรบ้าง"]
        for q in questions:
            assert post(client, text(q, source={"type": "user", "userId": f"U{len(q)}"})) == 200
        replies = line_api.of("reply")
        assert len(replies) == 5  # every question answered although none could be recorded
        assert all(r["messages"][0]["type"] == "flex" for r in replies)
        health = client.get("/healthz")
        assert health.status_code == 503
        body = health.json()
        assert body["status"] == "degraded" and body["failing"] == ["database"]
        assert body["parts"]["database"]["failures"] >= 1  # the WAL may still hold a few rows
        assert "full" in body["parts"]["database"]["error"]

        os.unlink(filler)  # space again: the next record succeeds and health recovers
        assert post(client, text("มาตรา 8 ว่าอย่างไร")) == 200
        assert client.get("/healthz").status_code == 200


def test_full_database_disk_does_not_cost_telegram_answers(api: FakeBotAPI, settings: BotSettings,
                                                           small_disk: Path, retriever) -> None:
    settings.data_db = small_disk / "data.sqlite3"
    with TestClient(create_app(settings, Dialogue(retriever))) as client:
        fill(small_disk)
        for i, q in enumerate(["มาตรา 5 ว่าอย่างไร", "มาตรา 6 ว่าอย่างไร", "มาตรา 7 ว่าอย่างไร"]):
            update = {"update_id": 100 + i, **message(q)}
            assert client.post("/telegram/webhook", json=update,
                               headers={"X-Telegram-Bot-Api-Secret-Token": "s3cret-token"}).status_code == 200
        sent = [c["text"] for c in api.wait_for("sendMessage", 3)]
        api.wait_idle()
        assert len(api.of("sendMessage")) == 3 and FAILED not in sent
        assert all("<b>แหล่งอ้างอิง</b>" in s for s in sent)  # cited answers, not notices
        health = client.get("/healthz")
        assert health.status_code == 503 and health.json()["failing"] == ["database"]


def test_wrong_line_token_shows_in_healthz(line_api: FakeLineAPI, tmp_path: Path, retriever) -> None:
    settings = line_settings(line_api, tmp_path / "data.sqlite3", token="revoked-token")
    with TestClient(create_app(settings, Dialogue(retriever))) as client:
        assert post(client, text("มาตรา 6 ว่าอย่างไร")) == 200
        health = client.get("/healthz")
        assert health.status_code == 503
        assert health.json()["failing"] == ["line_api"]
        assert "401" in health.json()["parts"]["line_api"]["error"]


def test_failing_bot_api_shows_in_healthz(api: FakeBotAPI, settings: BotSettings, retriever) -> None:
    with TestClient(create_app(settings, Dialogue(retriever))) as client:
        api.fail_next("sendMessage", 502, "Bad Gateway")
        api.fail_next("sendMessage", 502, "Bad Gateway")  # the answer and the failure notice
        update = {"update_id": 7, **message("มาตรา 6 ว่าอย่างไร")}
        client.post("/telegram/webhook", json=update,
                    headers={"X-Telegram-Bot-Api-Secret-Token": "s3cret-token"})
        api.wait_idle()
        health = client.get("/healthz")
        assert health.status_code == 503, json.dumps(health.json())
        assert health.json()["failing"] == ["telegram_api"]
        assert health.json()["parts"]["telegram_api"]["error"] == "HTTP 502"
