"""End to end: signed LINE webhooks into the real ASGI app; the real line-bot-sdk client calls a
local server standing in for the LINE API; the real dialogue core, model and index answer."""

import base64
import hashlib
import hmac
import itertools
import json
import sqlite3

from starlette.testclient import TestClient

from bot.messages import HINT_NON_TEXT, QUIZ_AGAIN, RIGHT, STALE, THANKS
from bot.render_text import ABSTAIN
from retrieval.quiz import generate_quiz

from .lineapi import SECRET, FakeLineAPI

USER = {"type": "user", "userId": "U1111"}
GROUP = {"type": "group", "groupId": "C2222", "userId": "U3333"}
_ids = itertools.count(1)


def event(kind: str, source: dict = USER, redelivery: bool = False, **fields: object) -> dict:
    n = next(_ids)
    return {"type": kind, "mode": "active", "timestamp": 1700000000000 + n, "source": source,
            "webhookEventId": f"01HEVENT{n:06d}", "deliveryContext": {"isRedelivery": redelivery},
            "replyToken": f"reply-{n}", **fields}


def text(body: str, source: dict = USER, mention: dict | None = None, **kw: object) -> dict:
    message = {"type": "text", "id": str(next(_ids)), "quoteToken": "q", "text": body}
    if mention:
        message["mention"] = mention
    return event("message", source, message=message, **kw)


def postback(data: str, source: dict = USER) -> dict:
    return event("postback", source, postback={"data": data})


def signed(body: bytes, secret: str = SECRET) -> dict:
    digest = hmac.new(secret.encode(), body, hashlib.sha256).digest()
    return {"X-Line-Signature": base64.b64encode(digest).decode(), "content-type": "application/json"}


def post(client: TestClient, *events: dict, secret: str = SECRET) -> int:
    body = json.dumps({"destination": "Ubot", "events": list(events)}).encode()
    return client.post("/line/webhook", content=body, headers=signed(body, secret)).status_code


def flex_bubbles(message: dict) -> list[dict]:
    assert message["type"] == "flex"
    return message["contents"]["contents"]


def all_text(node: object) -> str:
    """Every "text" value inside a Flex structure."""
    if isinstance(node, dict):
        return " ".join([str(node.get("text", ""))] + [all_text(v) for v in node.values()])
    if isinstance(node, list):
        return " ".join(all_text(v) for v in node)
    return ""


def test_cited_answer_as_flex_with_quick_replies(client: TestClient, line_api: FakeLineAPI) -> None:
    assert post(client, text("รัฐบาลดิจิทัลมีคุณลักษณะอะไรบ้างคะ")) == 200
    (reply,) = line_api.of("reply")
    assert reply["replyToken"].startswith("reply-") and len(reply["messages"]) <= 5
    message = reply["messages"][0]
    bubbles = flex_bubbles(message)
    assert "1) E-government" in all_text(bubbles[0])
    assert "[1] แนวทางการพัฒนาทักษะด้านดิจิทัล" in all_text(bubbles[1])
    actions = [b["action"] for b in bubbles[1]["footer"]["contents"]]
    assert actions[0]["type"] == "postback" and actions[0]["label"] == "ข้อความต้นฉบับ"
    assert actions[1]["type"] == "uri" and actions[1]["uri"].startswith("https://www.ocsc.go.th/")
    quick = [i["action"]["label"] for i in message["quickReply"]["items"]]
    assert quick[:3] == ["คำตอบอื่น", "👍", "👎"]
    assert len(message["altText"]) <= 400


def test_abstention_follow_and_unsupported_message(client: TestClient, line_api: FakeLineAPI) -> None:
    sticker = {"type": "sticker", "id": "9", "quoteToken": "q", "packageId": "1", "stickerId": "1",
               "stickerResourceType": "STATIC"}
    assert post(client, text("วิธีทำผัดกะเพราหมูสับ"), event("follow", follow={"isUnblocked": False}),
                event("message", message=sticker)) == 200
    abstained, welcome, hint = (r["messages"][0] for r in line_api.of("reply"))
    assert abstained["type"] == "text" and abstained["text"].startswith(ABSTAIN)
    assert welcome["text"].startswith("สวัสดีค่ะ") and len(welcome["quickReply"]["items"]) == 3
    assert hint["text"] == HINT_NON_TEXT


def test_group_needs_mention_or_command(client: TestClient, line_api: FakeLineAPI) -> None:
    mention = {"mentionees": [{"index": 0, "length": 9, "type": "user", "userId": "Ubot", "isSelf": True}]}
    other = {"mentionees": [{"index": 0, "length": 5, "type": "user", "userId": "U9", "isSelf": False}]}
    assert post(client, text("มาตรา 6 ว่าอย่างไร", GROUP),
                text("@สมชาย มาตรา 6 ว่าอย่างไร", GROUP, other)) == 200
    assert line_api.of("reply") == []  # neither is addressed to the bot
    assert post(client, text("@สารบรรณ มาตรา 6 ว่าอย่างไร", GROUP, mention),
                text("/ask มาตรา 5 ว่าอย่างไร", GROUP)) == 200
    first, second = line_api.of("reply")
    assert "มาตรา ๖" in all_text(first["messages"]) and "มาตรา ๕" in all_text(second["messages"])


def test_postbacks_passage_more_feedback_and_stale(client: TestClient, line_api: FakeLineAPI) -> None:
    post(client, text("จุดเน้นการพัฒนาภาครัฐมีอะไรบ้าง"))
    message = line_api.of("reply")[0]["messages"][0]
    passage_data = flex_bubbles(message)[1]["footer"]["contents"][0]["action"]["data"]
    more, _up, down = (i["action"]["data"] for i in message["quickReply"]["items"][:3])
    assert post(client, postback(passage_data), postback(more), postback(down),
                postback("src|gone|0")) == 200
    passage, other, thanks, stale = (r["messages"][0] for r in line_api.of("reply")[1:])
    assert passage["type"] == "text" and passage["text"].startswith("[1] ")
    assert len(passage["text"].encode("utf-16-le")) // 2 <= 5000
    assert other["type"] == "flex" and all_text(other) != all_text(message)
    assert thanks["text"] == THANKS and stale["text"] == STALE
    db = sqlite3.connect(client.db_path)
    assert db.execute("SELECT platform, user_id, helpful FROM feedback").fetchall() == [("line", "U1111", 0)]


def test_dedupe_redelivery_and_expired_token(client: TestClient, line_api: FakeLineAPI) -> None:
    first = text("มาตรา 6 ว่าอย่างไร")
    assert post(client, first) == 200 and post(client, first) == 200  # same webhookEventId twice
    assert len(line_api.of("reply")) == 1
    assert post(client, text("มาตรา 5 ว่าอย่างไร", redelivery=True)) == 200
    expired = text("มาตรา 7 ว่าอย่างไร")
    line_api.expired_reply_tokens.add(expired["replyToken"])
    assert post(client, expired) == 200
    pushes = line_api.of("push")
    assert [p["to"] for p in pushes] == ["U1111", "U1111"]
    assert "มาตรา ๕" in all_text(pushes[0]["messages"]) and "มาตรา ๗" in all_text(pushes[1]["messages"])
    assert len(line_api.of("reply")) == 1


def test_forged_and_malformed_requests_are_refused(client: TestClient, line_api: FakeLineAPI) -> None:
    assert post(client, text("มาตรา 6 ว่าอย่างไร"), secret="forged") == 400
    body = json.dumps({"events": [text("มาตรา 6")]}).encode()
    assert client.post("/line/webhook", content=body).status_code == 400  # no signature
    broken = b'{"events": [ not json'
    assert client.post("/line/webhook", content=broken, headers=signed(broken)).status_code == 400
    assert post(client, event("somethingNew"), {"not": "an event"}) == 200  # ignored, logged
    huge = b'{"events": []}' + b" " * 2_000_000
    assert client.post("/line/webhook", content=huge, headers=signed(huge)).status_code == 413
    assert line_api.calls == []  # no API call was made for any of them
    assert client.get("/healthz").status_code == 200  # still serving


def test_define_and_quiz_with_quick_replies(client: TestClient, line_api: FakeLineAPI, retriever) -> None:
    assert post(client, text("/define รัฐบาลดิจิทัล"), text("/quiz")) == 200
    defined, quiz = (r["messages"][0] for r in line_api.of("reply"))
    cards = flex_bubbles(defined)
    assert "“รัฐบาลดิจิทัล”" in all_text(cards[0])
    sources = all_text(cards[1:])  # one card per defining document
    assert "พระราชบัญญัติการบริหารงานและการให้บริการภาครัฐผ่านระบบดิจิทัล" in sources
    assert "แนวทางการพัฒนาทักษะด้านดิจิทัล" in sources
    items = quiz["quickReply"]["items"]
    assert quiz["text"].startswith("คำถาม: ")
    assert [i["action"]["label"] for i in items] == ["ก", "ข", "ค", "ง"]
    expected = generate_quiz(retriever, 1, seed=0)[0]  # the chat's first round
    right = items[expected.answer]["action"]["data"]
    wrong = items[(expected.answer + 1) % 4]["action"]["data"]
    assert post(client, postback(right), postback(wrong)) == 200
    verdict, again = (r["messages"][0]["text"] for r in line_api.of("reply")[2:])
    assert verdict.startswith(RIGHT) and expected.choices[expected.answer] in verdict
    assert again == QUIZ_AGAIN  # one answer per participant
