"""The ASGI app of ``sarabun serve``: chat-platform webhooks and a health check.

Webhooks only accept requests that prove where they come from (Telegram's secret token header,
LINE's body signature); anything else is refused before the body is parsed.
"""

import asyncio
import hmac
import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route
from telegram import Update
from telegram.error import TelegramError
from telegram.ext import Application

from .admin import Admin
from .bodies import BodyRefused, RefusalLog, parse_json, read_body
from .builds import follow_outcomes
from .compute import Compute
from .dialogue import Dialogue
from .health import Health
from .inbox import Inbox, Item
from .line import LineBot
from .ratelimit import RateLimiter
from .settings import BotSettings, SettingsError
from .state import state_database
from .telegram import build_application
from .web.app import mount as web_console
from .web.settings import WebSettings

log = logging.getLogger(__name__)
refused = RefusalLog(log)

def create_app(settings: BotSettings, dialogue: Dialogue, admin: Admin | None = None) -> Starlette:
    """The app with ``GET /healthz``, ``POST /telegram/webhook`` when a Telegram token is set and
    ``POST /line/webhook`` when a LINE channel is."""
    health = Health()
    compute = Compute(settings.answer_workers, settings.embed_threads)
    routes = [Route("/healthz", _healthz(dialogue, health))]
    db = state_database(settings)
    inbox = Inbox(db, health, settings.inbox_lease_seconds)  # webhooks store before their 200
    line: LineBot | None = None
    if settings.line_channel_secret or settings.line_channel_access_token:
        line = LineBot(settings, dialogue, db,
                       RateLimiter(db, settings.rate_limit_messages, settings.rate_limit_seconds), health,
                       compute, inbox, admin)
        inbox.register("line", line.handle_item)
        routes.append(Route("/line/webhook", line.webhook, methods=["POST"]))
    telegram: Application | None = None
    telegram_ready = asyncio.Event()
    if settings.telegram_token:
        if not settings.telegram_webhook_secret:
            raise SettingsError("SARABUN_TELEGRAM_WEBHOOK_SECRET must be set to receive Telegram "
                             "webhooks (1-256 characters: A-Z, a-z, 0-9, _ and -)")
        telegram = build_application(settings, dialogue, admin, webhook=True, health=health,
                                     compute=compute)
        inbox.register("telegram", _telegram_handler(telegram), telegram_ready)
        routes.append(Route("/telegram/webhook", _telegram_webhook(telegram, settings, inbox),
                            methods=["POST"]))
    if admin is not None:  # the web console for admins and trainers (bot/web), under /admin
        routes.append(web_console(WebSettings(), admin.db, dialogue, admin))

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        # Telegram starts in the background: LINE and /healthz serve even while the Bot API is
        # unreachable, and Telegram joins as soon as it answers.
        starting = asyncio.create_task(start_telegram(telegram, settings, telegram_ready)) \
            if telegram else None
        await inbox.start()  # answers what a previous process acknowledged but did not answer
        # LINE uploaders are told how their builds ended (Telegram's are, once Telegram starts).
        following = asyncio.create_task(follow_outcomes(admin, "line", line.push_outcome)) \
            if line and admin else None
        try:
            yield
        finally:
            if following is not None:
                following.cancel()
            await inbox.stop()
            if starting is not None:
                starting.cancel()
                await stop_telegram(telegram)
            compute.close()

    return Starlette(routes=routes, lifespan=lifespan)


async def start_telegram(telegram: Application, settings: BotSettings, ready: asyncio.Event,
                         first_delay: float = 1.0, max_delay: float = 60.0) -> None:
    """Initialise and start the Telegram application, retrying with growing pauses until the Bot
    API answers (each failure is logged and shows in ``/healthz``); then set ``ready``."""
    delay = first_delay
    while True:
        try:
            await telegram.initialize()
            await telegram.post_init(telegram)
            await telegram.start()
            if settings.telegram_webhook_url:
                await telegram.bot.set_webhook(
                    settings.telegram_webhook_url, secret_token=settings.telegram_webhook_secret,
                    allowed_updates=Update.ALL_TYPES)
                log.info("Telegram webhook set to %s", settings.telegram_webhook_url)
            log.info("Telegram started")
            ready.set()
            return
        except TelegramError as exc:
            log.warning("Telegram API unreachable at start (%s); retrying in %.0f s", exc, delay)
        await asyncio.sleep(delay)
        delay = min(delay * 2, max_delay)


async def stop_telegram(telegram: Application) -> None:
    """Stop and shut down whatever part of Telegram had started."""
    if telegram.running:
        await telegram.stop()
        await telegram.post_stop(telegram)
    try:
        await telegram.shutdown()
    except TelegramError as exc:  # shutting down; nothing left to do about it
        log.warning("Telegram shutdown: %s", exc)


def _healthz(dialogue: Dialogue, health: Health):
    async def healthz(_: Request) -> Response:
        """200 when every part works; 503 (take this process out of rotation) naming the parts
        whose latest call failed: the database, the LINE API, the Telegram API."""
        index = dialogue.retriever.index
        failing = health.failing()
        return JSONResponse({"status": "degraded" if failing else "ok", "failing": sorted(failing),
                             "parts": health.report(), "index_version": index.version,
                             "chunks": len(index.chunks)},
                            status_code=503 if failing else 200)
    return healthz


def _telegram_handler(telegram: Application):
    async def handle(item: Item) -> None:
        """Process one stored update (handler errors are reported by the bot's error handler)."""
        await telegram.process_update(Update.de_json(json.loads(item.payload), telegram.bot))
    return handle


def _telegram_webhook(telegram: Application, settings: BotSettings, inbox: Inbox):
    secret = settings.telegram_webhook_secret.encode()

    async def webhook(request: Request) -> Response:
        given = request.headers.get("X-Telegram-Bot-Api-Secret-Token", "").encode()
        client = request.client.host if request.client else "?"
        if not hmac.compare_digest(given, secret):
            refused.warning("telegram webhook: wrong or missing secret token from %s", client)
            return PlainTextResponse("forbidden", status_code=403)
        try:
            data = parse_json(await read_body(request))
            update = Update.de_json(data, telegram.bot)
        except BodyRefused as exc:
            refused.warning("telegram webhook: body refused (%s) from %s", exc.status, client)
            return PlainTextResponse("body refused", status_code=exc.status)
        except (ValueError, TypeError, KeyError, AttributeError, RecursionError) as exc:
            refused.warning("telegram webhook: malformed update from %s: %s", client, exc)
            return PlainTextResponse("malformed update", status_code=400)
        ids = await inbox.accept("telegram", [(str(update.update_id), json.dumps(data))])
        if ids is None:
            await telegram.update_queue.put(update)  # database down: answered, not stored
            return Response(status_code=200)
        return Response(status_code=200, background=BackgroundTask(inbox.process, ids))
    return webhook
