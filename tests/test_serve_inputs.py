"""Odd but legitimate inputs (issue 16.7): invisible characters in questions, Telegram channel
posts without a user, the Telegram API down at start-up, unsafe source URLs in Flex, LINE 400s
that are not about the reply token. Real clients against the local API stand-ins."""

import time

from starlette.testclient import TestClient

from bot.dialogue import Dialogue
from bot.messages import FAILED
from bot.render_line import reply_messages, safe_uri
from bot.serve import create_app
from bot.settings import BotSettings
from retrieval.answer import Answer, Citation

from .botapi import FakeBotAPI, message
from .lineapi import ACCESS_TOKEN, FakeLineAPI
from .test_line import SECRET, all_text, post, text

HEADERS = {"X-Telegram-Bot-Api-Secret-Token": "s3cret-token"}


def test_zero_width_characters_do_not_change_the_answer(client: TestClient, line_api: FakeLineAPI) -> None:
    plain = "รัฐบาลดิจิทัลมีคุณลักษณะอะไรบ้าง"
    hidden = "รัฐบาล\u200bดิจิ\u200dทัล\u2060มีคุณ\ufeffลักษณะ\u00adอะไรบ้าง\u200e"
    assert post(client, text(plain, source={"type": "user", "userId": "Ua"}),
                text(hidden, source={"type": "user", "userId": "Ub"})) == 200
    first, second = (r["messages"][0] for r in line_api.of("reply"))
    assert first["type"] == second["type"] == "flex"  # answered, not declined
    assert all_text(first) == all_text(second)


def test_line_400_other_than_the_token_is_not_pushed(client: TestClient, line_api: FakeLineAPI) -> None:
    refused = text("มาตรา 6 ว่าอย่างไร")
    line_api.refused_reply_tokens.add(refused["replyToken"])
    expired = text("มาตรา 7 ว่าอย่างไร")
    line_api.expired_reply_tokens.add(expired["replyToken"])
    assert post(client, refused, expired) == 200
    pushes = line_api.of("push")
    assert len(pushes) == 1 and "มาตรา ๗" in all_text(pushes[0]["messages"])  # only the expired one
    assert client.get("/healthz").status_code == 200  # a bad request is not an outage


def test_unsafe_source_urls_never_reach_flex() -> None:
    assert safe_uri("https://www.ocsc.go.th/a?b=1&c=2") == "https://www.ocsc.go.th/a?b=1&c=2"
    assert safe_uri("https://example.go.th/เอกสาร ก.pdf") is None  # a space: not a URL
    assert safe_uri("https://example.go.th/เอกสาร.pdf") == \
        "https://example.go.th/%E0%B9%80%E0%B8%AD%E0%B8%81%E0%B8%AA%E0%B8%B2%E0%B8%A3.pdf"
    for bad in ["javascript:alert(1)", "data:text/html,x", "file:///etc/passwd", "ftp://x.org/a",
                "https://", "http://x.org:99999/", "https://x.org/\u202eevil", "docs_source/a.pdf",
                "https://x.org/" + "a" * 1000]:
        assert safe_uri(bad) is None, bad
    citations = [Citation(1, "d1", "เอกสาร", "javascript:alert(1)", 1, None, "ข้อความ", 1.0, "d1#0"),
                 Citation(2, "d2", "เอกสาร", "https://ok.go.th/x", 1, None, "ข้อความ", 1.0, "d2#0")]
    from bot.dialogue import Turn

    flex = reply_messages(Turn("r", "c", "q", 0, Answer("q", False, "คำตอบ", citations)))[0].to_dict()
    uris = [b["action"].get("uri") for bubble in flex["contents"]["contents"][1:]
            for b in bubble["footer"]["contents"]]
    assert uris == [None, None, "https://ok.go.th/x"]  # postback, postback, the one safe link


def test_telegram_channel_posts_without_a_user(api: FakeBotAPI, settings: BotSettings, retriever) -> None:
    channel = {"id": -1001234, "type": "channel", "title": "ประกาศ"}

    def channel_post(n: int, body: str) -> dict:
        post = message(body, chat=channel)["message"]
        del post["from"]  # channel posts carry no user
        return {"update_id": n, "channel_post": {**post, "sender_chat": channel}}

    with TestClient(create_app(settings, Dialogue(retriever))) as client:
        for n, body in enumerate(["@sarabun_test_bot มาตรา 6 ว่าอย่างไร", "ข่าวประชาสัมพันธ์ทั่วไป"],
                                 start=500):
            response = client.post("/telegram/webhook", json=channel_post(n, body), headers=HEADERS)
            assert response.status_code == 200
        answer = api.wait_for("sendMessage", 1)[0]
        api.wait_idle()
        assert len(api.of("sendMessage")) == 1  # the post for the bot, not the other one
        assert answer["chat_id"] == channel["id"] and "มาตรา ๖" in answer["text"]
        assert answer["text"] != FAILED


def test_line_serves_while_telegram_is_down_at_start(api: FakeBotAPI, settings: BotSettings,
                                                     line_api: FakeLineAPI, retriever) -> None:
    for _ in range(2):  # start-up fails twice (the retry pauses are 1 s, then 2 s)
        api.fail_next("getMe", 502, "Bad Gateway")
    settings.line_channel_secret, settings.line_channel_access_token = SECRET, ACCESS_TOKEN
    settings.line_api_url = line_api.url
    with TestClient(create_app(settings, Dialogue(retriever))) as client:
        health = until(lambda: client.get("/healthz"), lambda r: r.status_code == 503)
        assert health.json()["failing"] == ["telegram_api"]
        assert post(client, text("มาตรา 6 ว่าอย่างไร")) == 200  # LINE answers meanwhile
        assert "มาตรา ๖" in all_text(line_api.of("reply")[0]["messages"])
        update = {"update_id": 900, **message("มาตรา 5 ว่าอย่างไร")}
        assert client.post("/telegram/webhook", json=update, headers=HEADERS).status_code == 200
        answer = api.wait_for("sendMessage", 1, timeout=60)[0]  # once Telegram has started
        assert "มาตรา ๕" in answer["text"]
        until(lambda: client.get("/healthz"), lambda r: r.status_code == 200)


def until(get, ok, seconds: float = 10.0):
    """``get()`` again until ``ok`` holds for its result (background start-up is in progress)."""
    deadline = time.monotonic() + seconds
    while not ok(result := get()):
        assert time.monotonic() < deadline, result
        time.sleep(0.05)
    return result
