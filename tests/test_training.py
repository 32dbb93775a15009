"""Trainers' tools: glossary and quiz on the shipped corpus, and a quiz round with a scored session
in a group chat through the real python-telegram-bot against the local Bot API server."""

import asyncio
import json
import subprocess
import sys
from pathlib import Path

import pytest

from bot.dialogue import Dialogue
from bot.messages import QUIZ_AGAIN, QUIZ_RECORDED, RIGHT, WRONG
from bot.settings import BotSettings
from bot.telegram_training import SESSION_STARTED, TRAINER_ONLY
from index.glossary import lookup
from index.store import load_index
from index.thai_text import compact
from retrieval.answer import ask, define
from retrieval.quiz import generate_quiz
from retrieval.search import open_retriever

from .botapi import GROUP, OTHER_USER, USER, FakeBotAPI, message, polling, press, until

THIRD_USER = {"id": 7003, "is_bot": False, "first_name": "สมศรี"}


@pytest.fixture(scope="module")
def shipped(shipped_index: Path):
    return open_retriever(load_index(shipped_index))


def _in_passage(choice: str, passage: str) -> bool:
    return compact(choice.removesuffix(" …")) in compact(passage)


def test_glossary_finds_both_definitions_of_digital_government(shipped) -> None:
    answer = define(shipped, "รัฐบาลดิจิทัล")
    docs = [c.doc_id for c in answer.citations]
    assert "digital_government_act_2562" in docs and "ocsc_digital_skills_guideline_2560" in docs
    act = answer.citations[docs.index("digital_government_act_2562")]
    assert act.section == "มาตรา ๓" and "“รัฐบาลดิจิทัล” หมายความว่า" in act.text
    seed = answer.citations[docs.index("ocsc_digital_skills_guideline_2560")]
    assert "การปรับเปลี่ยนภาครัฐเป็นรัฐบาลดิจิทัล" in seed.text and "หมายถึง" in seed.text
    # English names and questions in chat form reach the definitions too
    assert lookup(shipped.index.glossary, "Electronic Government")[0].term == "E-government"
    open_gov = ask(shipped, "Open Government หมายถึงอะไรคะ")
    assert "รัฐบาลที่เปิดให้ประชาชนเข้ามามีส่วนร่วม" in open_gov.answer
    assert define(shipped, "ขนมครก").abstained
    # A meaning wrapped over a blank line ("… (C2G) ระหว่าง" / "รัฐบาลกับหน่วยงานภาครัฐ (G2G) …") is whole.
    connected = define(shipped, "Connected Government")
    assert connected.answer.rstrip().endswith("และภาคธุรกิจ (G2B)")


def test_a_body_an_act_names_short_is_defined_by_its_full_name(shipped) -> None:
    # "ให้มีคณะกรรมการกำกับดูแลด้านความมั่นคงปลอดภัยไซเบอร์ เรียกโดยย่อว่า “กกม.”"
    answer = define(shipped, "กกม.")
    assert not answer.abstained and "คณะกรรมการกำกับดูแลด้านความมั่นคงปลอดภัยไซเบอร์" in answer.answer
    assert [c.doc_id for c in answer.citations] == ["cybersecurity_act_2562"]
    assert "กมช." in {d.term for d in shipped.index.glossary if d.short_for}
    # It answers what the short name stands for, not who sits on the body.
    member = ask(shipped, "ผู้ว่าการธนาคารแห่งประเทศไทย เป็นกรรมการใน กกม. ด้วยไหม")
    assert not member.answer.startswith("“กกม.”")


def test_quiz_and_define_command_lines(shipped_index: Path) -> None:
    quiz = subprocess.run([sys.executable, "-m", "bot", "quiz", "--index", str(shipped_index), "--count", "3",
                           "--seed", "1", "--json"], capture_output=True, text=True, timeout=300)
    assert quiz.returncode == 0, quiz.stderr
    rows = [json.loads(line) for line in quiz.stdout.splitlines()]
    assert len(rows) == 3
    for row in rows:
        assert set(row) == {"question", "kind", "choices", "answer", "citation"} and 0 <= row["answer"] <= 3
        fields = {"rank", "doc_id", "title", "source", "page", "section", "text", "score", "ocr",
                  "ocr_confidence"}
        assert set(row["citation"]) == fields
    define_out = subprocess.run([sys.executable, "-m", "bot", "define", "--index", str(shipped_index),
                                 "--json", "รัฐบาลดิจิทัล"], capture_output=True, text=True, timeout=300)
    assert define_out.returncode == 0, define_out.stderr
    answer = json.loads(define_out.stdout)
    assert not answer["abstained"] and len(answer["citations"]) >= 2


def test_quiz_round_in_a_group_with_a_scored_session(api: FakeBotAPI, settings: BotSettings,
                                                     retriever) -> None:
    api.chat_owners.add(USER["id"])  # the trainer owns the group
    expected = generate_quiz(retriever, 1, seed=0)[0]  # a chat's first round uses seed 0
    right, wrong = expected.answer, (expected.answer + 1) % 4

    async def scenario() -> None:
        async with polling(settings, Dialogue(retriever)):
            api.push(message("/session start", chat=GROUP))
            assert (await until(api, "sendMessage"))[0]["text"] == SESSION_STARTED
            api.push(message("/quiz", chat=GROUP))
            quiz = (await until(api, "sendMessage", 2))[1]
            assert expected.question in quiz["text"]
            buttons = [b for row in quiz["reply_markup"]["inline_keyboard"] for b in row]
            assert [b["text"] for b in buttons] == ["ก", "ข", "ค", "ง", "เฉลย"]
            choices, reveal = [b["callback_data"] for b in buttons[:4]], buttons[4]["callback_data"]
            api.push(press(choices[right], OTHER_USER, GROUP))
            api.push(press(choices[wrong], THIRD_USER, GROUP))
            api.push(press(choices[wrong], OTHER_USER, GROUP))  # a second answer does not count
            api.push(press(reveal, OTHER_USER, GROUP))  # not a trainer
            acks = await until(api, "answerCallbackQuery", 4)
            assert [a.get("text") for a in acks] == [QUIZ_RECORDED, QUIZ_RECORDED, QUIZ_AGAIN, TRAINER_ONLY]
            api.push(press(reveal, USER, GROUP))
            edit = (await until(api, "editMessageText"))[0]
            assert "(เฉลยแล้ว)" in edit["text"] and "reply_markup" not in edit
            revealed = (await until(api, "sendMessage", 3))[2]["text"]
            assert revealed.startswith(f"<b>เฉลย</b> {'กขคง'[right]}.")
            assert f"ตอบถูก 1/2 คน: {OTHER_USER['first_name']}" in revealed and "[1] " in revealed
            api.push(message("/score", chat=GROUP, user=THIRD_USER))
            board = (await until(api, "sendMessage", 4))[3]["text"].split("\n")[1:]
            assert board == [f"1. {OTHER_USER['first_name']} — 1 คะแนน",
                             f"2. {THIRD_USER['first_name']} — 0 คะแนน"]
            api.push(message("/session stop", chat=GROUP, user=OTHER_USER))
            assert (await until(api, "sendMessage", 5))[4]["text"] == TRAINER_ONLY
            api.push(message("/session stop", chat=GROUP))
            final = (await until(api, "sendMessage", 6))[5]["text"]
            assert final.startswith("<b>จบรอบอบรม") and "1 คะแนน" in final

    asyncio.run(scenario())


def test_private_quiz_reveals_on_first_answer_and_terms_page(api: FakeBotAPI, settings: BotSettings,
                                                             retriever) -> None:
    async def scenario() -> None:
        async with polling(settings, Dialogue(retriever)):
            api.push(message("/quiz"))
            quiz = (await until(api, "sendMessage"))[0]
            first = quiz["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
            api.push(press(first))
            assert (await until(api, "answerCallbackQuery"))[0]["text"] in (RIGHT, WRONG)
            assert (await until(api, "sendMessage", 2))[1]["text"].startswith("<b>เฉลย</b>")
            api.push(message("/define รัฐบาลดิจิทัล"))
            defined = (await until(api, "sendMessage", 3))[2]["text"]
            assert "“รัฐบาลดิจิทัล”" in defined and "การปรับเปลี่ยนภาครัฐเป็นรัฐบาลดิจิทัล" in defined
            api.push(message("/terms"))
            terms = (await until(api, "sendMessage", 4))[3]
            assert "• รัฐบาลดิจิทัล" in terms["text"]

    asyncio.run(scenario())


def test_group_quiz_is_revealed_after_the_timeout(api: FakeBotAPI, settings: BotSettings, retriever) -> None:
    settings.quiz_seconds = 0.5

    async def scenario() -> None:
        async with polling(settings, Dialogue(retriever)):
            api.push(message("/quiz การพัฒนาข้าราชการ", chat=GROUP))
            await until(api, "editMessageText")
            sent = await until(api, "sendMessage", 2)
            assert sent[1]["text"].startswith("<b>เฉลย</b>") and "ตอบถูก" not in sent[1]["text"]

    asyncio.run(scenario())
