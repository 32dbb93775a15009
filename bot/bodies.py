"""Guarding webhook requests: bodies read within a size cap (checked while they stream in),
JSON parsed without a crash on hostile nesting, refusals logged without flooding the log."""

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from starlette.requests import ClientDisconnect, Request

MAX_BODY = 1_000_000  # bytes; chat-platform webhook bodies are a few kB


class BodyRefused(Exception):
    """The body cannot be used; ``status`` is the HTTP answer."""

    status = 400


class BodyTooLarge(BodyRefused):
    status = 413


class BodyIncomplete(BodyRefused):
    """The client went away (or was cut off for being too slow) before the body ended."""

    status = 408


async def read_body(request: Request, limit: int = MAX_BODY,
                    on_chunk: Callable[[bytes], None] | None = None) -> bytes:
    """The request body, or BodyTooLarge as soon as it passes ``limit`` bytes (at once when the
    declared length is over it). ``on_chunk`` sees every chunk as it arrives, e.g. to compute a
    signature without a second pass."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge
    body = bytearray()
    try:
        async for part in request.stream():
            body += part
            if len(body) > limit:
                raise BodyTooLarge
            if on_chunk is not None and part:
                on_chunk(part)
    except ClientDisconnect as exc:
        raise BodyIncomplete from exc
    return bytes(body)


def parse_json(body: bytes | str) -> object:
    """JSON from a request; ValueError for anything unusable, including nesting deep enough to
    exhaust the parser's recursion (which would otherwise escape as a 500)."""
    try:
        return json.loads(body)
    except RecursionError as exc:
        raise ValueError("JSON nested too deeply") from exc


@dataclass
class RefusalLog:
    """Logs refused requests, at most ``burst`` lines per ``interval`` seconds; the rest are
    counted and summed up in the next line, so a flood cannot fill the disk with log."""

    logger: logging.Logger
    burst: int = 10
    interval: float = 10.0
    _window: float = field(default=0.0, repr=False)
    _logged: int = field(default=0, repr=False)
    _suppressed: int = field(default=0, repr=False)

    def warning(self, message: str, *args: object) -> None:
        now = time.monotonic()
        if now - self._window >= self.interval:
            if self._suppressed:
                self.logger.warning("%d more refused requests in the last %.0f s not logged",
                                    self._suppressed, self.interval)
            self._window, self._logged, self._suppressed = now, 0, 0
        if self._logged < self.burst:
            self._logged += 1
            self.logger.warning(message, *args)
        else:
            self._suppressed += 1
