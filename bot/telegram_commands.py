"""Telegram commands for everyone asking questions: /start, /help, /ask, /sources, /define."""

from html import escape

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import ContextTypes

from . import actions
from .dialogue import WELCOME
from .messages import DEFINE_USAGE, EXAMPLES, EXAMPLES_INTRO
from .render_telegram import pack
from .render_text import document_lines
from .telegram_services import NO_PREVIEW, answer_question, send_reply, services_of

HELP = (
    "พิมพ์คำถามเกี่ยวกับนโยบายและกฎหมายด้านรัฐบาลดิจิทัลได้เลยค่ะ "
    "สารบรรณจะตอบจากเอกสารพร้อมแหล่งอ้างอิง\n\n"
    "• ในกลุ่ม: ใช้ /ask คำถาม, แท็ก @{username} หรือตอบกลับข้อความของบอท\n"
    "• ถามต่อได้ เช่น “แล้วข้อ 3 ล่ะ”, “ขอคำตอบอื่น”, “มาตราถัดไป”\n"
    "• /sources ดูรายชื่อเอกสาร"
)
ASK_USAGE = "พิมพ์คำถามต่อท้ายคำสั่งค่ะ เช่น /ask รัฐบาลดิจิทัลคืออะไร"
SOURCES_TITLE = "<b>เอกสารที่สารบรรณใช้ตอบ</b>"


async def on_start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Welcome with example questions as buttons."""
    buttons = [[InlineKeyboardButton(q, callback_data=actions.Action(actions.EXAMPLE, arg=str(i)).encode())]
               for i, q in enumerate(EXAMPLES)]
    await update.effective_message.reply_text(
        f"{WELCOME}\n\n{EXAMPLES_INTRO}", reply_markup=InlineKeyboardMarkup(buttons))


async def on_help(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """How to use the bot, in private chats and groups."""
    await update.effective_message.reply_text(HELP.format(username=context.bot.username))


async def on_ask(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """``/ask <คำถาม>``: works the same in private chats and groups."""
    question = " ".join(context.args or [])
    if not question.strip():
        await update.effective_message.reply_text(ASK_USAGE)
        return
    await answer_question(update, context, question)


async def on_sources(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The documents in the index, with their dates."""
    lines = [f"• {escape(line)}" for line in document_lines(services_of(context).dialogue.retriever.index)]
    for text in pack([SOURCES_TITLE, *lines]):
        await update.effective_message.reply_html(text, link_preview_options=NO_PREVIEW)


async def on_define(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """``/define <คำ>``: the definition in every document that defines the term, cited."""
    term = " ".join(context.args or [])
    if not term.strip():
        await update.effective_message.reply_text(DEFINE_USAGE)
        return
    services = services_of(context)
    await send_reply(context, update.effective_chat.id, await services.compute.run(
        services.dialogue.define, str(update.effective_chat.id), term))
