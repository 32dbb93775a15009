"""Routing of Telegram updates: the rate limit ahead of every handler, which messages are meant
for the bot, and the inline buttons."""

import asyncio
import logging
import re

from telegram import InlineKeyboardMarkup, Message, Update
from telegram.constants import ChatType, MessageEntityType, ParseMode
from telegram.ext import ApplicationHandlerStop, ContextTypes

from . import actions
from .messages import EXAMPLES, HINT_NON_TEXT, RATE_LIMITED, STALE, THANKS
from .render_telegram import answer_keyboard, passage_messages
from .state import Feedback, record_feedback
from .telegram_services import NO_PREVIEW, answer_question, record, send_reply, services_of, user_key
from .telegram_training import BUTTONS as TRAINING_BUTTONS
from .telegram_training import on_training_button

log = logging.getLogger(__name__)


async def on_any_action(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Count every action addressed to the bot (messages, commands, buttons) against the user's
    rate limit; over it, the update goes no further and the user is told once per window."""
    if not _is_action(update, context):
        return
    services = services_of(context)
    user = user_key(update)
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


async def on_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A question in a private chat, or a group message addressed to the bot."""
    message = update.effective_message
    if message.chat.type == ChatType.PRIVATE:
        await answer_question(update, context, message.text)
        return
    question = addressed_text(message, context.bot.id, context.bot.username)
    if question is not None:
        await answer_question(update, context, question)


async def on_other(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Stickers, photos, voice … in a private chat get a short hint."""
    await update.effective_message.reply_text(HINT_NON_TEXT)


async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Inline buttons: example questions, full passage, another answer, 👍/👎; quiz and glossary
    buttons go to the training handler."""
    query = update.callback_query
    action = actions.decode(query.data or "")
    services = services_of(context)
    if action.kind in TRAINING_BUTTONS:
        await on_training_button(update, context, action)
        return
    if action.kind == actions.EXAMPLE and (i := actions.index_arg(action, len(EXAMPLES))) is not None:
        await query.answer()
        await answer_question(update, context, EXAMPLES[i])
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
        await send_reply(context, chat_id, await services.compute.run(services.dialogue.more, turn.ref))
    elif action.kind == actions.FEEDBACK and action.arg in ("0", "1"):
        await query.answer(THANKS)
        await record(services, "feedback", record_feedback, services.db, Feedback.for_turn(
            turn, "telegram", str(update.effective_user.id), action.arg == "1"))
        keyboard = answer_keyboard(turn)
        if keyboard:  # drop the vote buttons so one answer gets one vote per message
            rows = [list(row) for row in keyboard.inline_keyboard]
            rows[-1] = [b for b in rows[-1] if b.text not in ("👍", "👎")]
            await query.edit_message_reply_markup(InlineKeyboardMarkup(rows))
    else:
        await query.answer(STALE, show_alert=True)
