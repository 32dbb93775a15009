"""LINE front end (line-bot-sdk v3): the signed webhook of ``sarabun serve``.

The signature is checked on the raw body before anything is parsed; valid requests get 200 at once
and their events are handled after the response (LINE retries slow webhooks). Events are
de-duplicated by ``webhookEventId``; when a reply token has expired (slow answer, redelivery) the
answer is pushed instead. A file from an admin (``SARABUN_ADMIN_LINE_IDS``) in a private chat is
queued for the background build (:mod:`bot.builds`) and its outcome pushed when the build ends.
"""

import asyncio
import base64
import hashlib
import hmac
import json
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from linebot.v3.messaging import (
    ApiClient,
    ApiException,
    Configuration,
    Message,
    MessagingApi,
    MessagingApiBlob,
    PushMessageRequest,
    ReplyMessageRequest,
)
from linebot.v3.webhooks import (
    Event,
    FileMessageContent,
    FollowEvent,
    GroupSource,
    JoinEvent,
    MessageEvent,
    PostbackEvent,
    RoomSource,
    TextMessageContent,
)
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from . import actions, builds
from .admin import Admin
from .bodies import BodyRefused, RefusalLog, parse_json, read_body
from .compute import Compute
from .dialogue import WELCOME, Dialogue, Turn
from .health import DATABASE, LINE, Health, record_safely
from .inbox import Inbox, Item
from .line_admin import LineUploads
from .line_events import addressed_text, chat_key, inbox_entry, reply_token_unusable, user_key
from .messages import (
    DEFINE_USAGE,
    EXAMPLES,
    HINT_NON_TEXT,
    NO_QUIZ,
    QUIZ_AGAIN,
    RATE_LIMITED,
    STALE,
    THANKS,
)
from .ratelimit import RateLimiter
from .render_line import (
    MAX_MESSAGES,
    example_replies,
    passage_message,
    quiz_message,
    reply_messages,
    text_message,
    verdict_message,
)
from .render_text import document_lines
from .settings import BotSettings, SettingsError
from .state import Database, Feedback, first_delivery, record_feedback, record_question
from .training import Training
from .web import auth as web_auth
from .web.settings import WebSettings

log = logging.getLogger(__name__)
refused = RefusalLog(log)
REPLY_TOKEN_SECONDS = 30.0  # a retried event older than this is pushed: its token may have expired


@dataclass
class LineBot:
    """The LINE webhook handler with its API client and state."""

    settings: BotSettings
    dialogue: Dialogue
    db: Database
    limiter: RateLimiter
    health: Health = field(default_factory=Health)
    compute: Compute = field(default_factory=Compute)  # answers are computed off the event loop
    inbox: Inbox | None = None  # events are stored before the 200 and answered from there
    admin: Admin | None = None  # document uploads from SARABUN_ADMIN_LINE_IDS; None: not offered
    api: MessagingApi = field(init=False)
    uploads: LineUploads = field(init=False)
    _delivering: dict[str, list] = field(default_factory=dict, repr=False)  # event id → [Item, pushes]
    training: Training = field(init=False)

    def __post_init__(self) -> None:
        if not (self.settings.line_channel_secret and self.settings.line_channel_access_token):
            raise SettingsError("LINE needs both SARABUN_LINE_CHANNEL_SECRET and "
                                    "SARABUN_LINE_CHANNEL_ACCESS_TOKEN")
        config = Configuration(host=self.settings.line_api_url,
                               access_token=self.settings.line_channel_access_token)
        self.api = MessagingApi(ApiClient(config))
        self.uploads = LineUploads(self.admin, self.db, self.health, MessagingApiBlob(ApiClient(Configuration(
            host=self.settings.line_data_api_url, access_token=self.settings.line_channel_access_token))))
        self.training = Training(self.dialogue, self.db)

    async def webhook(self, request: Request) -> Response:
        """``POST /line/webhook``."""
        client = request.client.host if request.client else "?"
        signature = request.headers.get("X-Line-Signature", "")
        if not signature:  # refused before a byte of the body is read
            refused.warning("line webhook: no signature from %s", client)
            return PlainTextResponse("invalid signature", status_code=400)
        # The signature is computed while the body streams in, within the size cap.
        mac = hmac.new(self.settings.line_channel_secret.encode(), digestmod=hashlib.sha256)
        try:
            body = await read_body(request, on_chunk=mac.update)
        except BodyRefused as exc:
            refused.warning("line webhook: body refused (%s) from %s", exc.status, client)
            return PlainTextResponse("body refused", status_code=exc.status)
        if not hmac.compare_digest(base64.b64encode(mac.digest()), signature.encode()):
            refused.warning("line webhook: wrong signature from %s", client)
            return PlainTextResponse("invalid signature", status_code=400)
        try:
            raw_events = parse_json(body)["events"]
            if not isinstance(raw_events, list):
                raise TypeError("events is not a list")
        except (ValueError, TypeError, KeyError) as exc:
            refused.warning("line webhook: malformed body from %s: %s", client, exc)
            return PlainTextResponse("malformed body", status_code=400)
        raws = [raw for raw in raw_events if isinstance(raw, dict)]
        if self.inbox is not None and (ids := await self.inbox.accept("line", [inbox_entry(r) for r in raws])
                                       ) is not None:  # stored: answered right after the 200
            return Response(status_code=200, background=BackgroundTask(self.inbox.process, ids))
        events = [e for e in (self._event(raw) for raw in raws) if e is not None]
        return Response(status_code=200, background=BackgroundTask(self._handle_all, events))

    async def handle_item(self, item: Item) -> None:
        """Answer one event stored in the inbox (de-duplicated there already)."""
        raw = json.loads(item.payload)
        try:
            event = Event.from_dict(raw)
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            log.info("line: event of type %r ignored: %s", raw.get("type"), exc)
            return
        event_id = getattr(event, "webhook_event_id", None) or item.key
        self._delivering[event_id] = [item, 0]
        try:
            await self._handle(event)
        finally:
            self._delivering.pop(event_id, None)

    def _event(self, raw: object) -> Event | None:
        """A parsed event, or None for duplicates, unknown types and malformed events."""
        if not isinstance(raw, dict):
            return None
        event_id = raw.get("webhookEventId")
        if event_id and not self._first_delivery(str(event_id)):
            log.info("line: duplicate event %s ignored", event_id)
            return None
        try:
            return Event.from_dict(raw)
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            log.info("line: event of type %r ignored: %s", raw.get("type"), exc)
            return None

    def _first_delivery(self, event_id: str) -> bool:
        """Whether no replica has taken this event yet; when the database fails, the event is
        handled (a rare duplicate answer beats a lost one)."""
        try:
            return first_delivery(self.db, "line", event_id)
        except Exception as exc:
            log.error("line: de-duplication failed for %s: %s", event_id, exc)
            self.health.failed(DATABASE, f"{type(exc).__name__}: {exc}")
            return True

    async def _handle_all(self, events: list[Event]) -> None:
        for event in events:
            try:
                await self._handle(event)
            except Exception:  # one bad event must not stop the others or the server
                log.exception("line: event %s failed", getattr(event, "webhook_event_id", "?"))

    async def _handle(self, event: Event) -> None:
        if isinstance(event, (FollowEvent, JoinEvent)):
            await self._send(event, [text_message(WELCOME, example_replies())])
        elif isinstance(event, MessageEvent):
            await self._on_message(event)
        elif isinstance(event, PostbackEvent):
            await self._on_postback(event)

    async def _on_message(self, event: MessageEvent) -> None:
        in_group = isinstance(event.source, (GroupSource, RoomSource))
        if not isinstance(event.message, TextMessageContent):
            if in_group or not await self._allowed(event):
                return
            reply = HINT_NON_TEXT
            if isinstance(event.message, FileMessageContent):
                reply = await self.uploads.receive(user_key(event), event.message)
            await self._send(event, [text_message(reply)])
            return
        text = addressed_text(event.message) if in_group else event.message.text
        if text is None or not await self._allowed(event):  # group chatter is not counted
            return
        if text.startswith(("/help", "/start")):
            await self._send(event, [text_message(WELCOME, example_replies())])
            return
        if text.startswith("/sources"):
            lines = [f"• {line}" for line in document_lines(self.dialogue.retriever.index)]
            await self._send(event, [text_message("เอกสารที่สารบรรณใช้ตอบ\n" + "\n".join(lines))])
            return
        if text.startswith("/web"):
            await self._send(event, [text_message(await asyncio.to_thread(self._web_link, event, in_group))])
            return
        if text.startswith("/define"):
            term = text.removeprefix("/define").strip()
            await self._ask(event, lambda: self.dialogue.define(chat_key(event), term) if term
                            else DEFINE_USAGE)
            return
        if text.startswith("/quiz"):
            quiz_round = await self.compute.run(self.training.new_round, chat_key(event),
                                                text.removeprefix("/quiz").strip())
            await self._send(event, [quiz_message(quiz_round) if quiz_round else text_message(NO_QUIZ)])
            return
        question = text.removeprefix("/ask").strip()
        await self._ask(event, lambda: self.dialogue.reply(chat_key(event), question))

    async def push_outcome(self, outcome: builds.Outcome) -> None:
        """Push how an upload's build ended to its uploader: once, even when pushed again after a
        failure that did reach LINE (the retry key is the build's; LINE answers a repeat with 409)."""
        key = str(uuid.uuid5(uuid.NAMESPACE_URL, f"line-build:{outcome.id}"))
        try:
            await self._call(self.api.push_message, PushMessageRequest(
                to=outcome.chat, messages=[text_message(outcome.message)]), x_line_retry_key=key)
        except ApiException as exc:
            if exc.status != 409:
                raise

    def _web_link(self, event: MessageEvent, in_group: bool) -> str:
        """/web: a one-time sign-in link to the web console for the LINE users listed in
        ``SARABUN_ADMIN_LINE_IDS`` / ``SARABUN_TRAINER_LINE_IDS``, in a private chat only."""
        if in_group:
            return web_auth.PRIVATE_ONLY
        web = WebSettings()
        return web_auth.link_reply(self.db, web.public_url, "line", user_key(event), web.admin_line_ids,
                                   web.trainer_line_ids)

    async def _on_postback(self, event: PostbackEvent) -> None:
        if not await self._allowed(event):
            return
        action = actions.decode(event.postback.data or "")
        if action.kind == actions.EXAMPLE and (i := actions.index_arg(action, len(EXAMPLES))) is not None:
            await self._ask(event, lambda: self.dialogue.reply(chat_key(event), EXAMPLES[i]))
            return
        if action.kind == actions.QUIZ_ANSWER:
            await self._on_quiz_answer(event, action)
            return
        turn = self.dialogue.turn(action.ref)
        if turn is None:
            await self._send(event, [text_message(STALE)])
        elif action.kind == actions.PASSAGE and (
                i := actions.index_arg(action, len(turn.answer.citations))) is not None:
            await self._send(event, [passage_message(turn.answer.citations[i])])
        elif action.kind == actions.MORE:
            await self._ask(event, lambda: self.dialogue.more(turn.ref))
        elif action.kind == actions.FEEDBACK and action.arg in ("0", "1"):
            await self._send(event, [text_message(THANKS)])
            await self._record("feedback", record_feedback, self.db,
                               Feedback.for_turn(turn, "line", user_key(event), action.arg == "1"))
        else:
            await self._send(event, [text_message(STALE)])

    async def _on_quiz_answer(self, event: PostbackEvent, action: actions.Action) -> None:
        """Each participant gets their own verdict with the answer and its source."""
        quiz_round = self.training.round(action.ref)
        choice = int(action.arg) if action.arg.isdigit() else -1
        outcome = self.training.answer(action.ref, user_key(event), user_key(event), choice)
        if quiz_round is None or outcome == "stale":
            await self._send(event, [text_message(STALE)])
        elif outcome == "again":
            await self._send(event, [text_message(QUIZ_AGAIN)])
        else:
            await self._send(event, [verdict_message(quiz_round.question, choice)])

    async def _ask(self, event: MessageEvent | PostbackEvent, reply: Callable[[], Turn | str]) -> None:
        user = user_key(event)
        answer = await self.compute.run(reply)
        await self._send(event, reply_messages(answer))
        if isinstance(answer, Turn) and not answer.follow_up:  # after the answer went out
            # Keyed by the event: a takeover after a replica died logs it once (or at all).
            await self._record("question", record_question, self.db, "line", user, answer,
                               getattr(event, "webhook_event_id", None))

    async def _allowed(self, event: MessageEvent | PostbackEvent) -> bool:
        """Count one action against the user's rate limit (every message and postback for the
        bot); over it, tell them once per window."""
        user = user_key(event)
        if await asyncio.to_thread(self.limiter.allow, user):  # a database write: off the loop
            return True
        log.info("line rate limit: user %s", user)
        if await asyncio.to_thread(self.limiter.should_notify, user):
            await self._send(event, [text_message(RATE_LIMITED)])
        return False

    async def _record(self, what: str, write: Callable[..., object], *args: object) -> None:
        """Bookkeeping off the event loop; a failure is logged and counted, never raised."""
        await asyncio.to_thread(record_safely, self.health, what, write, *args)

    async def _send(self, event: Event, messages: list[Message]) -> None:
        """Reply with the event's token; push when it is unusable (expired or redelivered).

        After a restart an event may have been answered just before the process died. Then a
        reply token refused as used means it was (no push), and pushes carry a retry key derived
        from the event, which LINE accepts once (409 for a repeat)."""
        messages = messages[:MAX_MESSAGES]
        event_id = getattr(event, "webhook_event_id", None) or ""
        delivering = self._delivering.get(event_id)
        retried = delivering is not None and delivering[0].attempts > 1
        token = getattr(event, "reply_token", None)
        redelivered = bool(event.delivery_context and event.delivery_context.is_redelivery)
        # A retried event's token is tried only while surely unexpired: then "invalid" means used.
        fresh = time.time() - (getattr(event, "timestamp", 0) or 0) / 1000 < REPLY_TOKEN_SECONDS
        if token and not redelivered and (fresh or not retried):
            try:
                await self._call(self.api.reply_message,
                                 ReplyMessageRequest(reply_token=token, messages=messages))
                return
            except ApiException as exc:
                if not reply_token_unusable(exc):  # any other 400 is our fault: a push would fail too
                    raise
                if retried:
                    log.info("line: event %s was answered before a restart (reply token used)", event_id)
                    return
                log.info("line: reply token unusable (%s), pushing instead", exc.body)
        retry_key = None
        if delivering is not None:
            delivering[1] += 1
            retry_key = str(uuid.uuid5(uuid.NAMESPACE_URL, f"line:{event_id}:{delivering[1]}"))
        try:
            await self._call(self.api.push_message,
                             PushMessageRequest(to=chat_key(event), messages=messages),
                             x_line_retry_key=retry_key)
        except ApiException as exc:
            if exc.status != 409:
                raise
            log.info("line: push for event %s was already accepted before a restart", event_id)

    async def _call(self, method: Callable[..., object], request: object, **options: object) -> None:
        """One LINE API call in a thread; its outcome tells ``/healthz`` whether LINE works
        (a 400 is about one request, a 409 a repeated retry key, not about LINE or our token)."""
        try:
            await asyncio.to_thread(method, request, **options)
        except ApiException as exc:
            if exc.status not in (400, 409):
                self.health.failed(LINE, f"HTTP {exc.status} {exc.reason}")
            raise
        except Exception as exc:  # connection refused, timeouts …
            self.health.failed(LINE, f"{type(exc).__name__}: {exc}")
            raise
        self.health.succeeded(LINE)

