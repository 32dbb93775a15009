"""Training in Telegram: /quiz rounds and their reveal, /session and /score for trainers, and the
/terms glossary pages."""

import asyncio
import logging
from html import escape

from telegram import Update
from telegram.constants import ChatMemberStatus, ChatType, ParseMode
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from . import actions
from .messages import NO_QUIZ, QUIZ_AGAIN, QUIZ_CLOSED, QUIZ_RECORDED, RIGHT, STALE, WRONG
from .render_telegram import leaderboard_message, quiz_keyboard, quiz_message, reveal_message, terms_page
from .telegram_services import NO_PREVIEW, Services, command_name, services_of

log = logging.getLogger(__name__)

TRAINER_ONLY = "คำสั่งนี้สำหรับผู้สอน (ผู้ดูแลกลุ่ม) ค่ะ"
SESSION_STARTED = "เริ่มรอบอบรมแล้วค่ะ ตั้งแต่นี้คะแนนจาก /quiz จะถูกนับ ดูคะแนนได้ที่ /score"
SESSION_USAGE = "ใช้ /session start เพื่อเริ่มนับคะแนน หรือ /session stop เพื่อจบรอบค่ะ"
NO_SESSION = "ยังไม่ได้เริ่มรอบอบรมค่ะ"
SCORE_TITLE = "ตารางคะแนน"
FINAL_TITLE = "จบรอบอบรม — คะแนนรวม"
CLOSED_NOTE = "เฉลยแล้ว"
BUTTONS = (actions.QUIZ_ANSWER, actions.QUIZ_REVEAL, actions.TERMS)  # what on_training_button takes


async def on_terms(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """``/terms``: the glossary, one page at a time."""
    text, keyboard = terms_page(_terms(services_of(context)), 0)
    await update.effective_message.reply_html(text, reply_markup=keyboard)


async def on_quiz(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """``/quiz [หัวข้อ]``: a multiple-choice question from the documents, revealed after the
    first answer (private chats) or by the trainer / after ``quiz_seconds`` (groups)."""
    services = services_of(context)
    chat = update.effective_chat
    quiz_round = await services.compute.run(services.training.new_round, str(chat.id),
                                            " ".join(context.args or []))
    if quiz_round is None:
        await update.effective_message.reply_text(NO_QUIZ)
        return
    group = chat.type != ChatType.PRIVATE
    sent = await context.bot.send_message(chat.id, quiz_message(quiz_round.question),
                                          parse_mode=ParseMode.HTML,
                                          reply_markup=quiz_keyboard(quiz_round, group))
    if group:
        services.timers[quiz_round.ref] = asyncio.create_task(
            _reveal_later(context, quiz_round.ref, sent.message_id, services.quiz_seconds))


async def on_session(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """``/session start|stop`` (trainers) and ``/score`` (everyone)."""
    services = services_of(context)
    chat_id = str(update.effective_chat.id)
    message = update.effective_message
    if command_name(message) == "score":
        await message.reply_html(leaderboard_message(services.training.leaderboard(chat_id), SCORE_TITLE))
        return
    if not await _is_trainer(update, context):
        await message.reply_text(TRAINER_ONLY)
        return
    command = (context.args or [""])[0]
    if command == "start":
        services.training.start_session(chat_id)
        await message.reply_text(SESSION_STARTED)
    elif command == "stop":
        board = services.training.stop_session(chat_id)
        await message.reply_html(leaderboard_message(board, FINAL_TITLE) if board is not None
                                 else escape(NO_SESSION))
    else:
        await message.reply_text(SESSION_USAGE)


async def on_training_button(update: Update, context: ContextTypes.DEFAULT_TYPE,
                             action: actions.Action) -> None:
    """A quiz choice, a trainer's reveal, or another glossary page (the kinds in BUTTONS)."""
    query = update.callback_query
    services = services_of(context)
    if action.kind == actions.TERMS and action.arg.isdigit():
        text, keyboard = terms_page(_terms(services), int(action.arg))
        await query.answer()
        await query.edit_message_text(text, parse_mode=ParseMode.HTML, reply_markup=keyboard)
        return
    quiz_round = services.training.round(action.ref)
    if quiz_round is None:
        await query.answer(STALE, show_alert=True)
        return
    message_id = query.message.message_id
    if action.kind == actions.QUIZ_REVEAL:
        if not await _is_trainer(update, context):
            await query.answer(TRAINER_ONLY, show_alert=True)
            return
        await query.answer()
        await _reveal(context, quiz_round.ref, message_id)
        return
    user = update.effective_user
    choice = int(action.arg) if action.arg.isdigit() else -1
    outcome = services.training.answer(quiz_round.ref, str(user.id), user.full_name, choice)
    if query.message.chat.type == ChatType.PRIVATE and outcome == "ok":
        await query.answer(RIGHT if choice == quiz_round.question.answer else WRONG)
        await _reveal(context, quiz_round.ref, message_id)
        return
    await query.answer({"ok": QUIZ_RECORDED, "again": QUIZ_AGAIN, "closed": QUIZ_CLOSED}.get(outcome, STALE))


async def _reveal_later(context: ContextTypes.DEFAULT_TYPE, ref: str, message_id: int, delay: float) -> None:
    await asyncio.sleep(delay)
    try:
        await _reveal(context, ref, message_id)
    except TelegramError as exc:  # not an update, so the error handler would not see it
        log.warning("quiz %s: reveal failed: %s", ref, exc)


async def _reveal(context: ContextTypes.DEFAULT_TYPE, ref: str, message_id: int) -> None:
    """Close the round (once), take its buttons away and post the answer with its source."""
    services = services_of(context)
    timer = services.timers.pop(ref, None)
    if timer is not None and timer is not asyncio.current_task():
        timer.cancel()
    quiz_round = services.training.reveal(ref)
    if quiz_round is None:
        return
    chat_id = int(quiz_round.chat_id)
    await context.bot.edit_message_text(quiz_message(quiz_round.question) + f"\n\n({CLOSED_NOTE})",
                                        chat_id=chat_id, message_id=message_id,
                                        parse_mode=ParseMode.HTML)
    await context.bot.send_message(chat_id, reveal_message(quiz_round), parse_mode=ParseMode.HTML,
                                   link_preview_options=NO_PREVIEW)


async def _is_trainer(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    """Configured trainers and admins, group owners and administrators, anyone in a private chat,
    a channel's own posts (they carry no user; only its admins can post)."""
    services = services_of(context)
    user, chat = update.effective_user, update.effective_chat
    if user is None:
        return chat.type == ChatType.CHANNEL
    if chat.type == ChatType.PRIVATE or user.id in services.trainers or user.id in services.admins:
        return True
    member = await context.bot.get_chat_member(chat.id, user.id)
    return member.status in (ChatMemberStatus.OWNER, ChatMemberStatus.ADMINISTRATOR)


def _terms(services: Services) -> list[str]:
    return sorted({d.term for d in services.dialogue.retriever.index.glossary})
