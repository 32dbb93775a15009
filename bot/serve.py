"""The ASGI app of ``sarabun serve``: chat-platform webhooks and a health check.

Webhooks only accept requests that prove where they come from (Telegram's secret token header,
LINE's body signature); anything else is refused before the body is parsed.
"""

import hmac
import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route
from telegram import Update
from telegram.ext import Application

from .admin import Admin
from .bodies import MAX_BODY, BodyTooLarge, read_body
from .dialogue import Dialogue
from .health import Health
from .line import LineBot
from .ratelimit import RateLimiter
from .records import connect
from .settings import BotSettings, SettingsError
from .telegram import build_application

log = logging.getLogger(__name__)

def create_app(settings: BotSettings, dialogue: Dialogue, admin: Admin | None = None) -> Starlette:
    """The app with ``GET /healthz``, ``POST /telegram/webhook`` when a Telegram token is set and
    ``POST /line/webhook`` when a LINE channel is."""
    health = Health()
    routes = [Route("/healthz", _healthz(dialogue, health))]
    if settings.line_channel_secret or settings.line_channel_access_token:
        line = LineBot(settings, dialogue, connect(settings.data_db),
                       RateLimiter(settings.rate_limit_messages, settings.rate_limit_seconds), health)
        routes.append(Route("/line/webhook", line.webhook, methods=["POST"]))
    telegram: Application | None = None
    if settings.telegram_token:
        if not settings.telegram_webhook_secret:
            raise SettingsError("SARABUN_TELEGRAM_WEBHOOK_SECRET must be set to receive Telegram "
                             "webhooks (1-256 characters: A-Z, a-z, 0-9, _ and -)")
        telegram = build_application(settings, dialogue, admin, webhook=True, health=health)
        routes.append(Route("/telegram/webhook", _telegram_webhook(telegram, settings),
                            methods=["POST"]))

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        if telegram is None:
            yield
            return
        async with telegram:
            await telegram.post_init(telegram)
            await telegram.start()
            if settings.telegram_webhook_url:
                await telegram.bot.set_webhook(
                    settings.telegram_webhook_url, secret_token=settings.telegram_webhook_secret,
                    allowed_updates=Update.ALL_TYPES)
                log.info("Telegram webhook set to %s", settings.telegram_webhook_url)
            yield
            await telegram.stop()

    return Starlette(routes=routes, lifespan=lifespan)


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


def _telegram_webhook(telegram: Application, settings: BotSettings):
    secret = settings.telegram_webhook_secret.encode()

    async def webhook(request: Request) -> Response:
        given = request.headers.get("X-Telegram-Bot-Api-Secret-Token", "").encode()
        client = request.client.host if request.client else "?"
        if not hmac.compare_digest(given, secret):
            log.warning("telegram webhook: wrong or missing secret token from %s", client)
            return PlainTextResponse("forbidden", status_code=403)
        try:
            data = json.loads(await read_body(request))
            update = Update.de_json(data, telegram.bot)
        except BodyTooLarge:
            log.warning("telegram webhook: body over %d bytes from %s", MAX_BODY, client)
            return PlainTextResponse("payload too large", status_code=413)
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            log.warning("telegram webhook: malformed update from %s: %s", client, exc)
            return PlainTextResponse("malformed update", status_code=400)
        await telegram.update_queue.put(update)
        return Response(status_code=200)
    return webhook
