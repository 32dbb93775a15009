"""Telegram front end on python-telegram-bot: the application, its handlers and how it runs.

Private chats: any text is a question. Groups: only commands, @mentions and replies to the bot.
Runs with long polling (``sarabun telegram``) or behind the webhook of ``sarabun serve``.
The handlers live in telegram_commands, telegram_training, telegram_admin and telegram_routing.
"""

import asyncio
import logging
import re

from telegram import BotCommand, Update
from telegram.error import TelegramError
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    TypeHandler,
    filters,
)

from .admin import Admin
from .compute import Compute
from .dialogue import Dialogue
from .health import Health
from .messages import FAILED
from .ratelimit import RateLimiter
from .settings import BotSettings, SettingsError
from .state import state_database
from .telegram_admin import follow_builds, on_admin_change, on_admin_info, on_document, on_web
from .telegram_commands import on_ask, on_define, on_help, on_sources, on_start
from .telegram_http import TrackedRequest
from .telegram_routing import on_any_action, on_button, on_other, on_text
from .telegram_services import Services
from .telegram_training import on_quiz, on_session, on_terms
from .training import Training

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


class TokenError(SettingsError):
    """The bot token is missing or malformed."""


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
    # Admin work runs beside the other updates (block=False): a file's download or a rollback
    # never holds questions back (builds themselves run in the background queue, bot/builds.py).
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
    services: Services = app.bot_data["sarabun"]
    if services.admin is not None and services.follower is None:
        services.follower = asyncio.create_task(follow_builds(app), name="telegram-builds")
    try:
        await app.bot.set_my_commands(COMMANDS)
    except TelegramError as exc:  # the bot still answers without the command menu
        log.warning("setMyCommands failed: %s", exc)


async def _post_stop(app: Application) -> None:
    services: Services = app.bot_data["sarabun"]
    for timer in services.timers.values():  # do not hold shutdown for a quiz
        timer.cancel()
    if services.follower is not None:  # builds go on; their outcomes are told after a restart
        services.follower.cancel()
        services.follower = None


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log the failing update and tell the user; the bot keeps serving other updates."""
    log.error("update %s failed", getattr(update, "update_id", "?"), exc_info=context.error)
    if isinstance(update, Update) and update.effective_chat:
        try:
            await context.bot.send_message(update.effective_chat.id, FAILED)
        except TelegramError:
            log.warning("could not tell chat %s about the failure", update.effective_chat.id)
