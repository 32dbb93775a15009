"""The HTTP client of the Telegram bot, reporting whether the Bot API works to ``/healthz``."""

from telegram.request import HTTPXRequest, RequestData

from .health import TELEGRAM, Health

# Statuses about one request or chat (bad request, blocked by the user, flood wait), not about
# the Bot API or our token; everything else that is not a success marks Telegram failing.
_REQUEST_ERRORS = {400, 403, 409, 429}


class TrackedRequest(HTTPXRequest):
    """``HTTPXRequest`` that records each call's outcome in ``health``."""

    def __init__(self, health: Health, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.health = health

    async def do_request(self, url: str, method: str, request_data: RequestData | None = None,
                         **timeouts: object) -> tuple[int, bytes]:
        try:
            code, payload = await super().do_request(url, method, request_data, **timeouts)
        except Exception as exc:  # network errors, timeouts
            self.health.failed(TELEGRAM, f"{type(exc).__name__}: {exc}")
            raise
        if 200 <= code < 300:
            self.health.succeeded(TELEGRAM)
        elif code not in _REQUEST_ERRORS:
            self.health.failed(TELEGRAM, f"HTTP {code}")
        return code, payload
