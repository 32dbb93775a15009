"""Admin uploads from LINE: a file sent by an admin (``SARABUN_ADMIN_LINE_IDS``) in a private chat
is checked, downloaded from the LINE content API and queued for the background build
(:mod:`bot.builds`); ``LineBot.push_outcome`` tells the admin how it ended."""

import asyncio
from dataclasses import dataclass

from linebot.v3.messaging import MessagingApiBlob
from linebot.v3.webhooks import FileMessageContent

from . import builds
from .admin import Admin, safe_filename
from .health import Health, record_safely
from .messages import HINT_NON_TEXT, change_queued
from .state import AuditEntry, Database, record_audit
from .web.settings import WebSettings


@dataclass
class LineUploads:
    """What a file sent to the LINE bot needs: the admin operations, the state database and the
    client of LINE's content API."""

    admin: Admin | None  # None: uploads are not offered (``sarabun serve`` without documents)
    db: Database
    health: Health
    blob: MessagingApiBlob

    async def receive(self, user: str, file: FileMessageContent) -> str:
        """The reply to ``file`` from LINE user ``user``: queued (the outcome follows by push),
        refused with the reason, or, for anyone but an admin, a hint to type questions (the
        attempt is audited)."""
        actor = f"line:{user}"
        if self.admin is None or user not in WebSettings().admin_line_ids:
            entry = AuditEntry(actor, "upload", (file.file_name or "")[:200], "refused", "not an admin")
            await asyncio.to_thread(record_safely, self.health, "audit", record_audit, self.db, entry)
            return HINT_NON_TEXT
        name = file.file_name or "document"
        if refusal := await asyncio.to_thread(self.admin.check_upload, name, file.file_size or 0, actor):
            return refusal.message
        data = bytes(await asyncio.to_thread(self.blob.get_message_content, file.id))
        place = await asyncio.to_thread(builds.enqueue, self.admin, actor, "upload", safe_filename(name),
                                        None, data, actor)
        return change_queued(f"ไฟล์ {safe_filename(name)} ", place)
