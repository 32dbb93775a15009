"""What a LINE webhook event says: its inbox key, whether it is addressed to the bot, whose it is,
and whether LINE refused a reply because of its token."""

import hashlib
import json

from linebot.v3.messaging import ApiException
from linebot.v3.webhooks import Event, TextMessageContent

COMMANDS = ("/ask", "/help", "/start", "/sources", "/define", "/quiz", "/web")


def inbox_entry(raw: dict) -> tuple[str, str]:
    """An event's inbox key (its webhookEventId; a digest for events without one) and JSON."""
    payload = json.dumps(raw, ensure_ascii=False, sort_keys=True)
    key = str(raw.get("webhookEventId") or "") or "sha256:" + hashlib.sha256(payload.encode()).hexdigest()
    return key, payload


def reply_token_unusable(exc: ApiException) -> bool:
    """Whether LINE refused a reply because its token expired or was used (then a push is the
    only way to answer); other 400s mean a bad request that a billed push would not fix."""
    return exc.status == 400 and "reply token" in str(exc.body or "").lower()


def addressed_text(message: TextMessageContent) -> str | None:
    """The question in a group message meant for the bot (it is @mentioned, or the text starts
    with a command), without the mention; None when the message is not for the bot."""
    text = message.text
    mentionees = message.mention.mentionees if message.mention else []
    own = [m for m in mentionees if getattr(m, "is_self", False)]
    if not own and not text.startswith(COMMANDS):
        return None
    for m in sorted(own, key=lambda m: m.index, reverse=True):
        text = text[: m.index] + text[m.index + m.length :]
    return text.strip()


def chat_key(event: Event) -> str:
    """The conversation an event belongs to: its group, room or user."""
    source = event.source
    return str(getattr(source, "group_id", None) or getattr(source, "room_id", None)
               or getattr(source, "user_id", None) or "unknown")


def user_key(event: Event) -> str:
    """Who sent an event (its chat when LINE gives no user)."""
    return str(getattr(event.source, "user_id", None) or chat_key(event))
