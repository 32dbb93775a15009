"""What the Telegram handlers share: the services kept in ``bot_data`` and the way a question is
answered and a reply goes out."""

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field

from telegram import LinkPreviewOptions, Message, Update
from telegram.constants import ChatAction, ParseMode
from telegram.ext import ContextTypes

from .admin import Admin
from .compute import Compute
from .dialogue import Dialogue, Turn
from .health import Health, record_safely
from .ratelimit import RateLimiter
from .render_telegram import answer_keyboard, answer_messages
from .state import Database, record_question
from .training import Training

NO_PREVIEW = LinkPreviewOptions(is_disabled=True)


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
    follower: asyncio.Task | None = None  # tells uploaders how their builds ended (admins only)

    def is_admin(self, update: Update) -> bool:
        return bool(self.admin and update.effective_user and update.effective_user.id in self.admins)


def services_of(context: ContextTypes.DEFAULT_TYPE) -> Services:
    """The Services that ``build_application`` put in ``bot_data``."""
    return context.bot_data["sarabun"]


def command_name(message: Message) -> str:
    """"remove" for "/remove@sarabun_bot circular.pdf"."""
    return message.text.split()[0].lstrip("/").split("@")[0]


def user_key(update: Update) -> str:
    """The user an update counts against (the chat for posts that carry no user)."""
    return str(update.effective_user.id if update.effective_user else update.effective_chat.id)


async def answer_question(update: Update, context: ContextTypes.DEFAULT_TYPE, question: str) -> None:
    """Answer ``question`` in the update's chat and record it once the answer went out."""
    services = services_of(context)
    chat_id = update.effective_chat.id
    await context.bot.send_chat_action(chat_id, ChatAction.TYPING)
    reply = await services.compute.run(services.dialogue.reply, str(chat_id), question)
    await send_reply(context, chat_id, reply)
    if isinstance(reply, Turn) and not reply.follow_up:  # after the answer went out
        await record(services, "question", record_question, services.db, "telegram",
                     user_key(update), reply)


async def record(services: Services, what: str, write: Callable[..., object], *args: object) -> None:
    """Bookkeeping off the event loop; a failure is logged and counted, never raised."""
    await asyncio.to_thread(record_safely, services.health, what, write, *args)


async def send_reply(context: ContextTypes.DEFAULT_TYPE, chat_id: int, reply: Turn | str) -> None:
    """A plain message, or an answer's messages with its buttons under the last one."""
    if isinstance(reply, str):
        await context.bot.send_message(chat_id, reply)
        return
    messages = answer_messages(reply.answer)
    keyboard = answer_keyboard(reply)
    for i, text in enumerate(messages):
        await context.bot.send_message(
            chat_id, text, parse_mode=ParseMode.HTML, link_preview_options=NO_PREVIEW,
            reply_markup=keyboard if i == len(messages) - 1 else None)
