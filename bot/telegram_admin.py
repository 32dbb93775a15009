"""Admin work from Telegram: document uploads, /reindex /rollback /remove, /status /report, and
the /web sign-in link; refused attempts go to the audit log."""

import asyncio
import logging
import time
from html import escape

from telegram import Update
from telegram.constants import ChatType
from telegram.ext import Application, ContextTypes

from . import builds
from .admin import safe_filename
from .messages import change_queued
from .render_telegram import pack
from .report import build_report, render_report
from .state import AuditEntry, record_audit
from .telegram_services import NO_PREVIEW, Services, command_name, record, services_of
from .web import auth as web_auth
from .web.settings import WebSettings

log = logging.getLogger(__name__)

HINT_DOCUMENT = "ขออภัยค่ะ การส่งเอกสารเข้าระบบทำได้เฉพาะผู้ดูแลระบบ หากต้องการถาม กรุณาพิมพ์เป็นข้อความค่ะ"
REINDEX_WAITING = "มีคำสั่งจัดทำดัชนีใหม่รอคิวอยู่แล้วค่ะ"
ADMIN_ONLY = "คำสั่งนี้สำหรับผู้ดูแลระบบเท่านั้นค่ะ"
REMOVE_USAGE = "พิมพ์ชื่อไฟล์หรือรหัสเอกสารต่อท้ายคำสั่งค่ะ เช่น /remove circular_2567.pdf"
REPORT_DAYS = 7


async def on_document(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """An admin's file is checked, downloaded and queued for the background build (the outcome
    follows when it ends, see :func:`follow_builds`); anyone else's is refused, not stored."""
    services = services_of(context)
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
    file = await context.bot.get_file(document.file_id)
    data = bytes(await file.download_as_bytearray())
    place = await asyncio.to_thread(builds.enqueue, services.admin, actor, "upload",
                                    safe_filename(name), None, data, f"telegram:{message.chat_id}")
    await message.reply_text(change_queued(f"ไฟล์ {safe_filename(name)} ", place))


async def follow_builds(app: Application) -> None:
    """Tell Telegram uploaders how their builds ended (and start what waits after a restart)."""
    async def send(outcome: builds.Outcome) -> None:
        await app.bot.send_message(int(outcome.chat), outcome.message)
    await builds.follow_outcomes(app.bot_data["sarabun"].admin, "telegram", send)


async def on_admin_change(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/rollback at once; /reindex and /remove <document> queued for the background build, like
    an upload (the outcome follows when the build ends)."""
    services = services_of(context)
    message = update.effective_message
    if not services.is_admin(update):
        await message.reply_text(ADMIN_ONLY)
        await _audit_refused(services, update, command_name(message), " ".join(context.args or []))
        return
    actor = f"telegram:{update.effective_user.id}"
    command = command_name(message)
    if command == "rollback":
        result = await asyncio.to_thread(services.admin.rollback, actor)
        await message.reply_text(result.message)
        return
    if command == "remove":
        if not context.args:
            await message.reply_text(REMOVE_USAGE)
            return
        target, what = " ".join(context.args), f"คำสั่งลบ {' '.join(context.args)} "
    elif await asyncio.to_thread(builds.reindex_waiting, services.admin.db):
        await message.reply_text(REINDEX_WAITING)  # another would add nothing
        return
    else:
        target, what = "", "คำสั่งจัดทำดัชนีใหม่"
    place = await asyncio.to_thread(builds.enqueue, services.admin, actor, command, target, None, None,
                                    f"telegram:{message.chat_id}")
    await message.reply_text(change_queued(what, place))


async def _audit_refused(services: Services, update: Update, action: str, target: str) -> None:
    """An admin action attempted by someone who is not an admin goes to the audit log, after the
    reply (a failing log never holds the answer back)."""
    user = update.effective_user
    entry = AuditEntry(f"telegram:{user.id if user else '?'}", action, target[:200], "refused",
                       "not an admin")
    await record(services, "audit", record_audit, services.db, entry)


async def on_admin_info(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/status and /report."""
    services = services_of(context)
    message = update.effective_message
    if not services.is_admin(update):
        await message.reply_text(ADMIN_ONLY)
        return
    if command_name(message) == "status":
        text = services.admin.status()
    else:
        since = time.time() - REPORT_DAYS * 86400
        text = render_report(build_report(services.db, since, services.dialogue.retriever.index))
    for part in pack([escape(block) for block in text.split("\n\n")]):
        await message.reply_html(part, link_preview_options=NO_PREVIEW)


async def on_web(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/web: a one-time sign-in link to the web console, for admins and trainers, in private."""
    services = services_of(context)
    message = update.effective_message
    if message.chat.type != ChatType.PRIVATE:
        await message.reply_text(web_auth.PRIVATE_ONLY)
        return
    reply = await asyncio.to_thread(web_auth.link_reply, services.db, WebSettings().public_url, "telegram",
                                    str(update.effective_user.id), services.admins, services.trainers)
    await message.reply_text(reply, link_preview_options=NO_PREVIEW)
