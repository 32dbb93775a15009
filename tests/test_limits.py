"""Every user action is rate-limited and every vote counts once: a /quiz flood, button presses and
repeated votes through the real python-telegram-bot against the local Bot API stand-in, and LINE
postbacks through signed webhooks (issue 16 items 6)."""

import asyncio
import json
import sqlite3
from pathlib import Path

from starlette.testclient import TestClient

from bot.dialogue import Dialogue
from bot.messages import RATE_LIMITED
from bot.serve import create_app
from bot.settings import BotSettings

from .botapi import GROUP, OTHER_USER, FakeBotAPI, message, polling, press, until
from .lineapi import ACCESS_TOKEN, FakeLineAPI
from .test_line import SECRET, postback, signed, text


def _sent(api: FakeBotAPI) -> list[str]:
    return [m["text"] for m in api.of("sendMessage")]


def test_a_quiz_flood_is_limited_and_others_are_served(api: FakeBotAPI, settings: BotSettings,
                                                        retriever) -> None:
    """200 /quiz from one user: the limit's worth of quizzes and one notice; another user in the
    same group is still answered."""
    async def scenario() -> None:
        async with polling(settings, Dialogue(retriever)):
            for _ in range(200):
                api.push(message("/quiz", chat=GROUP))
            api.push(message("/quiz", chat=GROUP, user=OTHER_USER))
            await until(api, "sendMessage", settings.rate_limit_messages + 2)
            await asyncio.to_thread(api.wait_idle)
            sent = _sent(api)
            assert sent.count(RATE_LIMITED) == 1
            assert len(sent) == settings.rate_limit_messages + 2  # 5 + the other user's, + 1 notice
            # Group chatter not addressed to the bot is not counted against anyone.
            for _ in range(20):
                api.push(message("คุยกันในกลุ่ม", chat=GROUP, user=OTHER_USER))
            api.push(message("/quiz", chat=GROUP, user=OTHER_USER))
            await until(api, "sendMessage", settings.rate_limit_messages + 3)

    asyncio.run(scenario())


def test_buttons_count_and_one_vote_per_answer(api: FakeBotAPI, settings: BotSettings, retriever) -> None:
    async def scenario() -> None:
        async with polling(settings, Dialogue(retriever)):
            api.push(message("มาตรา 6 ว่าอย่างไร"))
            answer = (await until(api, "sendMessage"))[0]
            data = [b["callback_data"] for row in answer["reply_markup"]["inline_keyboard"] for b in row]
            vote = next(d for d in data if d.startswith("fb|") and d.endswith("|0"))
            passage = next(d for d in data if d.startswith("src|"))
            api.push(press(vote))
            api.push(press(vote))  # the same answer voted on again (another copy of the message)
            await until(api, "answerCallbackQuery", 2)
            for _ in range(3):  # 1 question + 2 votes + 2 passages = the limit of 5
                api.push(press(passage))
            alerts = await until(api, "answerCallbackQuery", 5)
            assert alerts[-1].get("text") == RATE_LIMITED and alerts[-1].get("show_alert")
            assert all(a.get("text") != RATE_LIMITED for a in alerts[:-1])

    asyncio.run(scenario())
    rows = sqlite3.connect(settings.data_db).execute("SELECT user_id, helpful FROM feedback").fetchall()
    assert rows == [("7001", 0)]


def test_line_postbacks_count_against_the_limit(tmp_path: Path, retriever) -> None:
    with FakeLineAPI().running() as line_api:
        settings = BotSettings(telegram_token="", line_channel_secret=SECRET,
                               line_channel_access_token=ACCESS_TOKEN, line_api_url=line_api.url,
                               data_db=tmp_path / "data.sqlite3", rate_limit_messages=3)
        with TestClient(create_app(settings, Dialogue(retriever))) as client:
            def post(*events: dict) -> None:
                body = json.dumps({"destination": "U", "events": list(events)}).encode()
                assert client.post("/line/webhook", content=body, headers=signed(body)).status_code == 200

            post(text("มาตรา 6 ว่าอย่างไร"))
            reply = json.dumps(line_api.wait_for("reply", 1)[0], ensure_ascii=False)
            ref = reply.split('"data": "fb|', 1)[1].split("|", 1)[0]
            post(postback(f"fb|{ref}|1"), postback(f"fb|{ref}|1"))  # a repeated vote: thanked, kept once
            post(postback(f"src|{ref}|0"), postback(f"src|{ref}|0"))  # over the limit of 3 here
            replies = [json.dumps(r, ensure_ascii=False) for r in line_api.wait_for("reply", 4)]
            assert sum(RATE_LIMITED in r for r in replies) == 1
        rows = sqlite3.connect(settings.data_db).execute("SELECT helpful FROM feedback").fetchall()
        assert rows == [(1,)]
