"""End to end: the real python-telegram-bot Application against a local Bot API server, fed real
update JSON through getUpdates, over the real dialogue core, model and index."""

import asyncio
import json
import sqlite3
import subprocess
import sys

import pytest
from starlette.testclient import TestClient

from bot.dialogue import EMPTY, Dialogue
from bot.messages import HINT_NON_TEXT, RATE_LIMITED, STALE, THANKS
from bot.render_telegram import MAX_MESSAGE, answer_messages, passage_messages
from bot.render_text import ABSTAIN, excerpt, utf16_len
from bot.serve import create_app
from bot.settings import BotSettings
from retrieval.answer import Answer, Citation

from .botapi import BOT, GROUP, OTHER_USER, FakeBotAPI, message, polling, press, until


def texts(api: FakeBotAPI) -> list[str]:
    return [c["text"] for c in api.of("sendMessage")]


def buttons(call: dict) -> list[dict]:
    return [b for row in call["reply_markup"]["inline_keyboard"] for b in row]


def test_private_question_start_and_commands(api: FakeBotAPI, settings: BotSettings, retriever) -> None:
    async def scenario() -> None:
        async with polling(settings, Dialogue(retriever)):
            commands = (await until(api, "setMyCommands"))[0]["commands"]
            assert [c["command"] for c in commands] == ["start", "help", "ask", "sources", "define", "terms",
                                                        "quiz", "session", "score"]
            assert all("ก" <= c["description"][0] <= "๙" for c in commands)  # Thai descriptions

            api.push(message("/start"))
            start = (await until(api, "sendMessage"))[0]
            assert "สวัสดีค่ะ" in start["text"] and len(buttons(start)) == 3

            api.push(message("รัฐบาลดิจิทัลมีคุณลักษณะอะไรบ้างคะ"))
            answer = (await until(api, "sendMessage", 2))[1]
            assert api.of("sendChatAction")[0]["action"] == "typing"
            assert answer["parse_mode"] == "HTML"
            assert "1) E-government" in answer["text"] and "<b>แหล่งอ้างอิง</b>" in answer["text"]
            assert "[1] แนวทางการพัฒนาทักษะด้านดิจิทัล" in answer["text"]
            assert "<blockquote expandable>" in answer["text"]
            assert '<a href="https://www.ocsc.go.th/' in answer["text"]
            labels = [b["text"] for b in buttons(answer)]
            assert labels[0] == "ข้อความต้นฉบับ [1]" and labels[-3:] == ["คำตอบอื่น", "👍", "👎"]
            assert all(len(b["callback_data"].encode()) <= 64 for b in buttons(answer))

            api.push(message("/sources"))
            sources = (await until(api, "sendMessage", 3))[2]
            assert "แนวทางการพัฒนาทักษะด้านดิจิทัล" in sources["text"]

    asyncio.run(scenario())


def test_group_answers_only_commands_mentions_and_replies(api: FakeBotAPI, settings: BotSettings,
                                                          retriever) -> None:
    async def scenario() -> None:
        async with polling(settings, Dialogue(retriever)):
            api.push(message("รัฐบาลดิจิทัลมีคุณลักษณะอะไรบ้าง", chat=GROUP))  # not for the bot
            api.push(message("@sarabun_test_bot มาตรา 6 ว่าอย่างไร", chat=GROUP))
            first = (await until(api, "sendMessage"))[0]
            assert first["chat_id"] == GROUP["id"] and "มาตรา ๖" in first["text"]
            bot_message = {"message_id": 5, "date": 0, "from": BOT, "chat": GROUP, "text": "…"}
            api.push(message("แล้วมาตราก่อนหน้าล่ะ", chat=GROUP, user=OTHER_USER,
                             reply_to_message=bot_message))
            api.push(message("/ask@sarabun_test_bot ครม. คืออะไร", chat=GROUP))
            await until(api, "sendMessage", 3)
            await asyncio.to_thread(api.wait_idle)
            sent = texts(api)
            assert len(sent) == 3  # the message without mention got no reply
            assert "มาตรา ๕" in sent[1]

    asyncio.run(scenario())


def test_off_topic_and_bad_input_get_polite_replies(api: FakeBotAPI, settings: BotSettings,
                                                    retriever) -> None:
    async def scenario() -> None:
        async with polling(settings, Dialogue(retriever)):
            api.push(message("วิธีทำผัดกะเพราหมูสับ"))
            abstained = (await until(api, "sendMessage"))[0]
            assert abstained["text"].startswith(ABSTAIN) and "reply_markup" not in abstained
            api.push(message("รัฐบาลดิจิทัล " * 800))  # ~10,000 characters
            api.push(message("🙏😀🎉"))
            api.push({"message": {**message("x")["message"], "text": None,
                                  "sticker": {"file_id": "s", "file_unique_id": "s", "type": "regular",
                                              "width": 1, "height": 1, "is_animated": False,
                                              "is_video": False}}})
            api.push(message("คณะกรรมการพัฒนารัฐบาลดิจิทัลประกอบด้วยใครบ้าง"))  # still alive
            sent = [c["text"] for c in await until(api, "sendMessage", 5)]
            assert sent[1]  # the huge message was answered or abstained, politely
            assert sent[2] == EMPTY and sent[3] == HINT_NON_TEXT
            assert "มาตรา ๖" in sent[4] or "คณะกรรมการ" in sent[4]

    asyncio.run(scenario())


def test_buttons_passage_more_feedback_and_stale(api: FakeBotAPI, settings: BotSettings,
                                                 retriever) -> None:
    async def scenario() -> None:
        async with polling(settings, Dialogue(retriever)):
            api.push(message("จุดเน้นการพัฒนาภาครัฐมีอะไรบ้าง"))
            answer = (await until(api, "sendMessage"))[0]
            data = {b["text"]: b["callback_data"] for b in buttons(answer)}

            api.push(press(data["ข้อความต้นฉบับ [1]"]))
            passage = (await until(api, "sendMessage", 2))[1]
            assert passage["text"].startswith("<b>[1] ") and "<blockquote>" in passage["text"]

            api.push(press(data["คำตอบอื่น"]))
            other = (await until(api, "sendMessage", 3))[2]
            assert "<b>แหล่งอ้างอิง</b>" in other["text"] and other["text"] != answer["text"]

            api.push(press(data["👎"]))
            edit = (await until(api, "editMessageReplyMarkup"))[0]
            assert "👎" not in json.dumps(edit["reply_markup"], ensure_ascii=False)

            api.push(press("more|no-such-turn|"))
            acks = await until(api, "answerCallbackQuery", 4)
            assert acks[2]["text"] == THANKS
            assert acks[3]["text"] == STALE and acks[3]["show_alert"] is True

    asyncio.run(scenario())
    rows = sqlite3.connect(settings.data_db).execute(
        "SELECT platform, user_id, question, chunk_ids, helpful FROM feedback").fetchall()
    assert len(rows) == 1
    platform, user_id, question, chunk_ids, helpful = rows[0]
    assert (platform, user_id, question, helpful) == ("telegram", "7001", "จุดเน้นการพัฒนาภาครัฐมีอะไรบ้าง", 0)
    assert chunk_ids.startswith("ocsc_digital_skills_guideline_2560#")


def test_rate_limit_flood_wait_and_failing_update(api: FakeBotAPI, settings: BotSettings,
                                                  retriever) -> None:
    settings.rate_limit_messages = 2

    async def scenario() -> None:
        async with polling(settings, Dialogue(retriever)):
            api.fail_next("sendMessage", 429, "Too Many Requests: retry after 1", retry_after=1)
            api.push(message("มาตรา 6 ว่าอย่างไร"))
            first = (await until(api, "sendMessage"))[0]  # delivered after the flood wait
            assert "มาตรา ๖" in first["text"]
            for _ in range(3):
                api.push(message("มาตรา 5 ว่าอย่างไร"))
            await until(api, "sendMessage", 3)
            await asyncio.to_thread(api.wait_idle)
            assert texts(api)[2:] == [RATE_LIMITED]  # 2 answers, then one notice for 2 extra

            api.fail_next("sendMessage", 400, "Bad Request: chat not found")
            api.push(message("มาตรา 4 ว่าอย่างไร", user=OTHER_USER,
                             chat={"id": OTHER_USER["id"], "type": "private"}))
            api.push(message("มาตรา 7 ว่าอย่างไร", user=OTHER_USER,
                             chat={"id": OTHER_USER["id"], "type": "private"}))
            sent = await until(api, "sendMessage", 5)  # the failure notice, then the answer
            assert "ขออภัยค่ะ เกิดข้อผิดพลาดชั่วคราว" in sent[3]["text"]
            assert "มาตรา ๗" in sent[4]["text"]

    asyncio.run(scenario())


def test_webhook_checks_the_secret(api: FakeBotAPI, settings: BotSettings, retriever) -> None:
    app = create_app(settings, Dialogue(retriever))
    update = {"update_id": 1, **message("มาตรา 6 ว่าอย่างไร")}
    with TestClient(app) as client:
        assert client.get("/healthz").json()["status"] == "ok"
        wrong = client.post("/telegram/webhook", json=update,
                            headers={"X-Telegram-Bot-Api-Secret-Token": "guess"})
        missing = client.post("/telegram/webhook", json=update)
        assert wrong.status_code == 403 and missing.status_code == 403
        bad = client.post("/telegram/webhook", content=b"{not json",
                          headers={"X-Telegram-Bot-Api-Secret-Token": "s3cret-token"})
        assert bad.status_code == 400
        api.wait_idle()
        assert api.of("sendMessage") == []  # nothing processed
        ok = client.post("/telegram/webhook", json=update,
                         headers={"X-Telegram-Bot-Api-Secret-Token": "s3cret-token"})
        assert ok.status_code == 200
        assert "มาตรา ๖" in api.wait_for("sendMessage")[0]["text"]


def test_long_answers_split_on_block_boundaries() -> None:
    text = "ข้อความ <ทดสอบ> & " * 60  # escaping makes it longer
    citations = [Citation(i, f"doc{i}", "ชื่อเอกสาร", "https://example.go.th/a?b=1&c=2", 1,
                          f"มาตรา {i}", text, 1.0) for i in range(1, 6)]
    messages = answer_messages(Answer("คำถาม", False, "คำตอบ <ยาว> " * 150, citations))
    assert len(messages) > 1
    for m in messages:
        assert utf16_len(m) <= MAX_MESSAGE
        assert m.count("<blockquote") == m.count("</blockquote>")
        assert "<ทดสอบ>" not in m and "&lt;ทดสอบ&gt;" in m


def test_an_answer_citing_long_sections_fits_one_message() -> None:
    """Three cited sections of 2,000 characters: each is shortened to its share of one message,
    and the passage button shows it whole."""
    section = "มาตรา ๑๘ " + "ข้อความของมาตรานี้ที่ยาวมาก " * 75
    citations = [Citation(i, f"doc{i}", "ชื่อเอกสาร", "https://example.go.th/a", 1, f"มาตรา {i}", section, 1.0)
                 for i in range(1, 4)]
    messages = answer_messages(Answer("คำถาม", False, "คำตอบที่ระบุข้อเท็จจริง", citations))
    assert len(messages) == 1 and utf16_len(messages[0]) <= MAX_MESSAGE
    assert messages[0].count("<blockquote expandable>") == 3 and messages[0].count(" …</blockquote>") == 3
    whole = "".join(passage_messages(citations[0]))
    assert whole.count("ข้อความของมาตรานี้ที่ยาวมาก") == 75


@pytest.mark.parametrize("token", ["", "not-a-token"])
def test_telegram_command_refuses_bad_token(token: str) -> None:
    out = subprocess.run([sys.executable, "-m", "bot", "telegram"], capture_output=True, text=True,
                         env={"SARABUN_TELEGRAM_TOKEN": token, "PATH": ""}, timeout=120)
    assert out.returncode == 2
    assert "SARABUN_TELEGRAM_TOKEN" in out.stderr and "Traceback" not in out.stderr


def test_a_long_citation_is_excerpted_from_the_passage_found() -> None:
    """A citation shows a whole section; where it must be shortened (a LINE card, a share of a
    Telegram message), the excerpt starts at the passage the search found, not at the section's
    start."""
    head = "มาตรา ๑๙ ส่วนต้นของมาตรา " * 40
    found = "พนักงานเจ้าหน้าที่จะสั่งยึดหรืออายัดไว้เกินสามสิบวันมิได้"
    c = Citation(1, "d", "ชื่อเอกสาร", "", 1, "มาตรา ๑๙", head + found + " ส่วนท้าย" * 50, 1.0, focus=len(head))
    assert excerpt(c, 300).startswith("… " + found)
    assert excerpt(Citation(1, "d", "t", "", 1, None, "สั้น", 1.0), 300) == "สั้น"
    message = answer_messages(Answer("คำถาม", False, "คำตอบ", [c] * 3))[0]
    assert message.count(found) == 3
