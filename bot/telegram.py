"""Telegram front end on python-telegram-bot: private and group chats over the dialogue core.

Private chats: any text is a question. Groups: only commands, @mentions and replies to the bot.
Runs with long polling (``sarabun telegram``) or behind the webhook of ``sarabun serve``.
"""

import asyncio
import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from html import escape

from telegram import (
    BotCommand,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    Message,
    Update,
)
from telegram.constants import ChatAction, ChatMemberStatus, ChatType, MessageEntityType, ParseMode
from telegram.error import TelegramError
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    ApplicationHandlerStop,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    TypeHandler,
    filters,
)

from . import actions
from .admin import Admin
from .compute import Compute
from .dialogue import WELCOME, Dialogue, Turn
from .health import Health, record_safely
from .messages import (
    DEFINE_USAGE,
    EXAMPLES,
    EXAMPLES_INTRO,
    FAILED,
    HINT_NON_TEXT,
    NO_QUIZ,
    QUIZ_AGAIN,
    QUIZ_CLOSED,
    QUIZ_RECORDED,
    RATE_LIMITED,
    RIGHT,
    STALE,
    THANKS,
    WRONG,
)
from .ratelimit import RateLimiter
from .render_telegram import (
    answer_keyboard,
    answer_messages,
    leaderboard_message,
    pack,
    passage_messages,
    quiz_keyboard,
    quiz_message,
    reveal_message,
    terms_page,
)
from .render_text import document_lines
from .report import build_report, render_report
from .settings import BotSettings, SettingsError
from .state import (
    AuditEntry,
    Database,
    Feedback,
    record_audit,
    record_feedback,
    record_question,
    state_database,
)
from .telegram_http import TrackedRequest
from .training import Training
from .web import auth as web_auth
from .web.settings import WebSettings

log = logging.getLogger(__name__)

TOKEN_FORMAT = re.compile(r"^[0-9]{3,}:[A-Za-z0-9_-]{30,}$")
COMMANDS = [
    BotCommand("start", "เริ่มต้นใช้งานและตัวอย่างคำถาม"),
    BotCommand("help", "วิธีใช้สารบรรณ"),
    BotCommand("ask", "ถามคำถาม เช่น /ask รัฐบาลดิจิทัลคืออะไร"),
    BotCommand("sources", "รายชื่อเอกสารที่ใช้ตอบ"),
    BotCommand("define", "นิยามของคำ เช่น /define รัฐบาลดิจิทัล"),
    BotCommand("terms", "รายการคำศัพท์ที่เอกสารให้นิยามไว้"),
    BotCommand("quiz", "คำถามทบทวนแบบเลือกตอบ (ระบุหัวข้อได้)"),
    BotCommand("session", "ผู้สอน: /session start หรือ /session stop เพื่อนับคะแนน"),
    BotCommand("score", "ตารางคะแนนของรอบอบรม"),
]
HELP = (
    "พิมพ์คำถามเกี่ยวกับนโยบายและกฎหมายด้านรัฐบาลดิจิทัลได้เลยค่ะ "
    "สารบรรณจะตอบจากเอกสารพร้อมแหล่งอ้างอิง\n\n"
    "• ในกลุ่ม: ใช้ /ask คำถาม, แท็ก @{username} หรือตอบกลับข้อความของบอท\n"
    "• ถามต่อได้ เช่น “แล้วข้อ 3 ล่ะ”, “ขอคำตอบอื่น”, “มาตราถัดไป”\n"
    "• /sources ดูรายชื่อเอกสาร"
)
ASK_USAGE = "พิมพ์คำถามต่อท้ายคำสั่งค่ะ เช่น /ask รัฐบาลดิจิทัลคืออะไร"
HINT_DOCUMENT = "ขออภัยค่ะ การส่งเอกสารเข้าระบบทำได้เฉพาะผู้ดูแลระบบ หากต้องการถาม กรุณาพิมพ์เป็นข้อความค่ะ"
UPLOAD_RECEIVED = "ได้รับไฟล์แล้วค่ะ กำลังตรวจและจัดทำดัชนี ระหว่างนี้ถามคำถามได้ตามปกติ"
REINDEX_STARTED = "กำลังจัดทำดัชนีใหม่ค่ะ ระหว่างนี้ถามคำถามได้ตามปกติ"
ADMIN_ONLY = "คำสั่งนี้สำหรับผู้ดูแลระบบเท่านั้นค่ะ"
REMOVE_USAGE = "พิมพ์ชื่อไฟล์หรือรหัสเอกสารต่อท้ายคำสั่งค่ะ เช่น /remove circular_2567.pdf"
REPORT_DAYS = 7
TRAINER_ONLY = "คำสั่งนี้สำหรับผู้สอน (ผู้ดูแลกลุ่ม) ค่ะ"
SESSION_STARTED = "เริ่มรอบอบรมแล้วค่ะ ตั้งแต่นี้คะแนนจาก /quiz จะถูกนับ ดูคะแนนได้ที่ /score"
SESSION_USAGE = "ใช้ /session start เพื่อเริ่มนับคะแนน หรือ /session stop เพื่อจบรอบค่ะ"
NO_SESSION = "ยังไม่ได้เริ่มรอบอบรมค่ะ"
SCORE_TITLE = "ตารางคะแนน"
FINAL_TITLE = "จบรอบอบรม — คะแนนรวม"
CLOSED_NOTE = "เฉลยแล้ว"
SOURCES_TITLE = "<b>เอกสารที่สารบรรณใช้ตอบ</b>"
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)


class TokenError(SettingsError):
    """The bot token is missing or malformed."""


@dataclass
class Services:
    """What the handlers share, kept in ``application.bot_data``."""

    dialogue: Dialogue
    db: Database
    limiter: RateLimiter
    admins: frozenset[int]
    admin: Admin | None  # document and index operations; None where they are not offered
    training: Training
    trainers: frozenset[int]
    quiz_seconds: float
    health: Health = field(default_factory=Health)  # outcomes of database and Bot API calls
    compute: Compute = field(default_factory=Compute)  # answers are computed off the event loop
    timers: dict[str, asyncio.Task] = field(default_factory=dict)  # quiz round → its reveal timer

    def is_admin(self, update: Update) -> bool:
        return bool(self.admin and update.effective_user and update.effective_user.id in self.admins)


def check_token(token: str) -> str:
    """The token, or TokenError with a message saying what to fix."""
    if not token:
        raise TokenError("SARABUN_TELEGRAM_TOKEN is not set: create a bot with @BotFather and "
                         "put its token in the environment or in .env")
    if not TOKEN_FORMAT.match(token):
        raise TokenError("SARABUN_TELEGRAM_TOKEN is malformed: expected '<digits>:<secret>' "
                         "exactly as @BotFather gave it")
    return token


def build_application(settings: BotSettings, dialogue: Dialogue, admin: Admin | None = None,
                      webhook: bool = False, health: Health | None = None,
                      compute: Compute | None = None) -> Application:
    """The python-telegram-bot Application with Sarabun's handlers; ``admin`` enables document
    uploads and admin commands for ``SARABUN_ADMIN_TELEGRAM_IDS``; ``webhook`` leaves out the
    polling updater (updates then arrive through ``sarabun serve``); ``health`` receives the
    outcome of every Bot API call and database write; ``compute`` is the pool answers are
    computed in (shared with LINE in ``sarabun serve``)."""
    health = health or Health()
    builder = (
        ApplicationBuilder()
        .token(check_token(settings.telegram_token))
        .base_url(settings.telegram_api_url)
        .request(TrackedRequest(health, connection_pool_size=256))
        .base_file_url(settings.telegram_file_url)
        .rate_limiter(AIORateLimiter(max_retries=3))  # honours flood-wait (RetryAfter) replies
        .post_init(_post_init)
        .post_stop(_post_stop)
    )
    if webhook:
        builder = builder.updater(None)
    app = builder.build()
    db = state_database(settings)
    app.bot_data["sarabun"] = Services(
        dialogue, db, RateLimiter(db, settings.rate_limit_messages, settings.rate_limit_seconds),
        settings.admin_telegram_ids, admin, Training(dialogue, db), settings.trainer_telegram_ids,
        settings.quiz_seconds, health,
        compute or Compute(settings.answer_workers, settings.embed_threads))
    app.add_handler(TypeHandler(Update, on_any_action), group=-1)  # the rate limit, before all
    app.add_handler(CommandHandler("start", on_start))
    app.add_handler(CommandHandler("help", on_help))
    app.add_handler(CommandHandler("ask", on_ask))
    app.add_handler(CommandHandler("sources", on_sources))
    app.add_handler(CommandHandler("define", on_define))
    app.add_handler(CommandHandler("terms", on_terms))
    app.add_handler(CommandHandler("quiz", on_quiz))
    app.add_handler(CommandHandler(["session", "score"], on_session))
    # Admin work that rebuilds the index runs beside the other updates (block=False), so
    # questions keep being answered during a build.
    app.add_handler(CommandHandler(["reindex", "rollback", "remove"], on_admin_change, block=False))
    app.add_handler(CommandHandler(["status", "report"], on_admin_info))
    app.add_handler(CommandHandler("web", on_web))
    app.add_handler(MessageHandler(filters.ChatType.PRIVATE & filters.Document.ALL, on_document,
                                   block=False))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, on_text))
    app.add_handler(MessageHandler(filters.ChatType.PRIVATE & ~filters.TEXT & ~filters.StatusUpdate.ALL,
                                   on_other))
    app.add_handler(CallbackQueryHandler(on_button))
    app.add_error_handler(on_error)
    return app


def run_polling(settings: BotSettings, dialogue: Dialogue, admin: Admin | None = None) -> None:
    """Long polling until SIGINT/SIGTERM (python-telegram-bot stops cleanly on both)."""
    app = build_application(settings, dialogue, admin)
    log.info("Telegram bot polling via %s", settings.telegram_api_url)
    app.run_polling(allowed_updates=Update.ALL_TYPES)


async def _post_init(app: Application) -> None:
    try:
        await app.bot.set_my_commands(COMMANDS)
    except TelegramError as exc:  # the bot still answers without the command menu
        log.warning("setMyCommands failed: %s", exc)


async def _post_stop(app: Application) -> None:
    for timer in app.bot_data["sarabun"].timers.values():  # do not hold shutdown for a quiz
        timer.cancel()


def _services(context: ContextTypes.DEFAULT_TYPE) -> Services:
    return context.bot_data["sarabun"]


async def on_start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Welcome with example questions as buttons."""
    buttons = [[InlineKeyboardButton(q, callback_data=actions.Action(actions.EXAMPLE, arg=str(i)).encode())]
               for i, q in enumerate(EXAMPLES)]
    await update.effective_message.reply_text(
        f"{WELCOME}\n\n{EXAMPLES_INTRO}", reply_markup=InlineKeyboardMarkup(buttons))


async def on_help(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await update.effective_message.reply_text(HELP.format(username=context.bot.username))


async def on_ask(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """``/ask <คำถาม>``: works the same in private chats and groups."""
    question = " ".join(context.args or [])
    if not question.strip():
        await update.effective_message.reply_text(ASK_USAGE)
        return
    await _answer(update, context, question)


async def on_sources(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The documents in the index, with their dates."""
    lines = [f"• {escape(line)}" for line in document_lines(_services(context).dialogue.retriever.index)]
    for text in pack([SOURCES_TITLE, *lines]):
        await update.effective_message.reply_html(text, link_preview_options=NO_PREVIEW)


async def on_define(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """``/define <คำ>``: the definition in every document that defines the term, cited."""
    term = " ".join(context.args or [])
    if not term.strip():
        await update.effective_message.reply_text(DEFINE_USAGE)
        return
    services = _services(context)
    await _send(context, update.effective_chat.id, await services.compute.run(
        services.dialogue.define, str(update.effective_chat.id), term))


async def on_terms(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """``/terms``: the glossary, one page at a time."""
    text, keyboard = terms_page(_terms(_services(context)), 0)
    await update.effective_message.reply_html(text, reply_markup=keyboard)


async def on_quiz(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """``/quiz [หัวข้อ]``: a multiple-choice question from the documents, revealed after the
    first answer (private chats) or by the trainer / after ``quiz_seconds`` (groups)."""
    services = _services(context)
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
    services = _services(context)
    chat_id = str(update.effective_chat.id)
    message = update.effective_message
    if _command(message) == "score":
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


async def on_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A question in a private chat, or a group message addressed to the bot."""
    message = update.effective_message
    if message.chat.type == ChatType.PRIVATE:
        await _answer(update, context, message.text)
        return
    question = addressed_text(message, context.bot.id, context.bot.username)
    if question is not None:
        await _answer(update, context, question)


async def on_other(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Stickers, photos, voice … in a private chat get a short hint."""
    await update.effective_message.reply_text(HINT_NON_TEXT)


async def on_document(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """An admin's file is validated, stored and indexed; anyone else's is refused, not stored."""
    services = _services(context)
    message = update.effective_message
    document = message.document
    if not services.is_admin(update):
        log.info("document from non-admin %s refused", update.effective_user.id)
        await message.reply_text(HINT_DOCUMENT)
        await _audit_refused(services, update, "upload", document.file_name or "document")
        return
    actor = f"telegram:{update.effective_user.id}"
    name = document.file_name or "document"
    if refusal := services.admin.check_upload(name, document.file_size or 0, actor):
        await message.reply_text(refusal.message)
        return
    await message.reply_text(UPLOAD_RECEIVED)
    file = await context.bot.get_file(document.file_id)
    data = bytes(await file.download_as_bytearray())
    result = await asyncio.to_thread(services.admin.add_document, name, data, actor)
    await message.reply_text(result.message)


async def on_admin_change(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/reindex, /rollback and /remove <document>."""
    services = _services(context)
    message = update.effective_message
    if not services.is_admin(update):
        await message.reply_text(ADMIN_ONLY)
        await _audit_refused(services, update, _command(message), " ".join(context.args or []))
        return
    actor = f"telegram:{update.effective_user.id}"
    command = _command(message)
    if command == "remove":
        if not context.args:
            await message.reply_text(REMOVE_USAGE)
            return
        result = await asyncio.to_thread(services.admin.remove, " ".join(context.args), actor)
    elif command == "rollback":
        result = await asyncio.to_thread(services.admin.rollback, actor)
    else:
        await message.reply_text(REINDEX_STARTED)
        result = await asyncio.to_thread(services.admin.reindex, actor)
    await message.reply_text(result.message)


async def _audit_refused(services: Services, update: Update, action: str, target: str) -> None:
    """An admin action attempted by someone who is not an admin goes to the audit log, after the
    reply (a failing log never holds the answer back)."""
    user = update.effective_user
    entry = AuditEntry(f"telegram:{user.id if user else '?'}", action, target[:200], "refused",
                       "not an admin")
    await asyncio.to_thread(record_safely, services.health, "audit", record_audit, services.db, entry)


async def on_admin_info(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/status and /report."""
    services = _services(context)
    message = update.effective_message
    if not services.is_admin(update):
        await message.reply_text(ADMIN_ONLY)
        return
    if _command(message) == "status":
        text = services.admin.status()
    else:
        since = time.time() - REPORT_DAYS * 86400
        text = render_report(build_report(services.db, since, services.dialogue.retriever.index))
    for part in pack([escape(block) for block in text.split("\n\n")]):
        await message.reply_html(part, link_preview_options=NO_PREVIEW)


async def on_web(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/web: a one-time sign-in link to the web console, for admins and trainers, in private."""
    services = _services(context)
    message = update.effective_message
    if message.chat.type != ChatType.PRIVATE:
        await message.reply_text(web_auth.PRIVATE_ONLY)
        return
    reply = await asyncio.to_thread(web_auth.link_reply, services.db, WebSettings().public_url, "telegram",
                                    str(update.effective_user.id), services.admins, services.trainers)
    await message.reply_text(reply, link_preview_options=NO_PREVIEW)


async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Inline buttons: example questions, full passage, another answer, 👍/👎."""
    query = update.callback_query
    action = actions.decode(query.data or "")
    services = _services(context)
    if action.kind in (actions.QUIZ_ANSWER, actions.QUIZ_REVEAL, actions.TERMS):
        await _on_training_button(update, context, action)
        return
    if action.kind == actions.EXAMPLE and (i := actions.index_arg(action, len(EXAMPLES))) is not None:
        await query.answer()
        await _answer(update, context, EXAMPLES[i])
        return
    turn = services.dialogue.turn(action.ref)
    if turn is None:
        await query.answer(STALE, show_alert=True)
        return
    chat_id = query.message.chat.id
    if action.kind == actions.PASSAGE and (
            i := actions.index_arg(action, len(turn.answer.citations))) is not None:
        await query.answer()
        for text in passage_messages(turn.answer.citations[i]):
            await context.bot.send_message(chat_id, text, parse_mode=ParseMode.HTML,
                                           link_preview_options=NO_PREVIEW)
    elif action.kind == actions.MORE:
        await query.answer()
        await _send(context, chat_id, await services.compute.run(services.dialogue.more, turn.ref))
    elif action.kind == actions.FEEDBACK and action.arg in ("0", "1"):
        await query.answer(THANKS)
        await _record(services, "feedback", record_feedback, services.db, Feedback.for_turn(
            turn, "telegram", str(update.effective_user.id), action.arg == "1"))
        keyboard = answer_keyboard(turn)
        if keyboard:  # drop the vote buttons so one answer gets one vote per message
            rows = [list(row) for row in keyboard.inline_keyboard]
            rows[-1] = [b for b in rows[-1] if b.text not in ("👍", "👎")]
            await query.edit_message_reply_markup(InlineKeyboardMarkup(rows))
    else:
        await query.answer(STALE, show_alert=True)


async def _on_training_button(update: Update, context: ContextTypes.DEFAULT_TYPE,
                              action: actions.Action) -> None:
    query = update.callback_query
    services = _services(context)
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
    services = _services(context)
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
    services = _services(context)
    user, chat = update.effective_user, update.effective_chat
    if user is None:
        return chat.type == ChatType.CHANNEL
    if chat.type == ChatType.PRIVATE or user.id in services.trainers or user.id in services.admins:
        return True
    member = await context.bot.get_chat_member(chat.id, user.id)
    return member.status in (ChatMemberStatus.OWNER, ChatMemberStatus.ADMINISTRATOR)


def _terms(services: Services) -> list[str]:
    return sorted({d.term for d in services.dialogue.retriever.index.glossary})


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log the failing update and tell the user; the bot keeps serving other updates."""
    log.error("update %s failed", getattr(update, "update_id", "?"), exc_info=context.error)
    if isinstance(update, Update) and update.effective_chat:
        try:
            await context.bot.send_message(update.effective_chat.id, FAILED)
        except TelegramError:
            log.warning("could not tell chat %s about the failure", update.effective_chat.id)


def addressed_text(message: Message, bot_id: int, username: str) -> str | None:
    """The question in a group message meant for the bot (an @mention of it or a reply to it),
    without the mention; None when the message is not for the bot."""
    text = message.text or ""
    mention = f"@{username}".lower()
    mentioned = any(
        (e.type == MessageEntityType.MENTION and message.parse_entity(e).lower() == mention)
        or (e.type == MessageEntityType.TEXT_MENTION and e.user and e.user.id == bot_id)
        for e in message.entities)
    replied = bool(message.reply_to_message and message.reply_to_message.from_user
                   and message.reply_to_message.from_user.id == bot_id)
    if not (mentioned or replied):
        return None
    return re.sub(re.escape(mention), " ", text, flags=re.IGNORECASE).strip()


def _command(message: Message) -> str:
    """"remove" for "/remove@sarabun_bot circular.pdf"."""
    return message.text.split()[0].lstrip("/").split("@")[0]


def _user_key(update: Update) -> str:
    return str(update.effective_user.id if update.effective_user else update.effective_chat.id)


async def on_any_action(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Count every action addressed to the bot (messages, commands, buttons) against the user's
    rate limit; over it, the update goes no further and the user is told once per window."""
    if not _is_action(update, context):
        return
    services = _services(context)
    user = _user_key(update)
    if await asyncio.to_thread(services.limiter.allow, user):  # a database write: off the loop
        return
    log.info("rate limit: user %s", user)
    if update.callback_query:
        await update.callback_query.answer(RATE_LIMITED, show_alert=True)
    elif await asyncio.to_thread(services.limiter.should_notify, user):
        await context.bot.send_message(update.effective_chat.id, RATE_LIMITED)
    raise ApplicationHandlerStop


def _is_action(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    """A button press, anything in a private chat, or a group message for the bot; not group
    chatter, which costs nothing."""
    if update.callback_query:
        return True
    message = update.message
    if message is None or update.effective_chat is None:
        return False
    if message.chat.type == ChatType.PRIVATE or (message.text or "").startswith("/"):
        return True
    return message.text is not None and addressed_text(message, context.bot.id,
                                                       context.bot.username) is not None


async def _answer(update: Update, context: ContextTypes.DEFAULT_TYPE, question: str) -> None:
    services = _services(context)
    chat_id = update.effective_chat.id
    await context.bot.send_chat_action(chat_id, ChatAction.TYPING)
    reply = await services.compute.run(services.dialogue.reply, str(chat_id), question)
    await _send(context, chat_id, reply)
    if isinstance(reply, Turn) and not reply.follow_up:  # after the answer went out
        await _record(services, "question", record_question, services.db, "telegram",
                      _user_key(update), reply)


async def _record(services: Services, what: str, write: Callable[..., object], *args: object) -> None:
    """Bookkeeping off the event loop; a failure is logged and counted, never raised."""
    await asyncio.to_thread(record_safely, services.health, what, write, *args)


async def _send(context: ContextTypes.DEFAULT_TYPE, chat_id: int, reply: Turn | str) -> None:
    if isinstance(reply, str):
        await context.bot.send_message(chat_id, reply)
        return
    messages = answer_messages(reply.answer)
    keyboard = answer_keyboard(reply)
    for i, text in enumerate(messages):
        await context.bot.send_message(
            chat_id, text, parse_mode=ParseMode.HTML, link_preview_options=NO_PREVIEW,
            reply_markup=keyboard if i == len(messages) - 1 else None)
