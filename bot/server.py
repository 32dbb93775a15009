"""Running ``sarabun serve`` under uvicorn with bounds that slow or abusive clients cannot get
around: a deadline for the request headers and one for the body, a cap on open connections
(the oldest idle one makes room for a new one, so ``/healthz`` always gets in) and throttled
logging of what was cut off.

uvicorn's own ``timeout_keep_alive`` only covers the pause between requests and restarts on every
byte received, so a client sending one byte every few seconds, or nothing at all after
connecting, would otherwise hold its connection (and a file descriptor) for ever.
"""

import asyncio
import logging
import resource
import sys
import time
from dataclasses import dataclass, replace

import h11
import uvicorn
from starlette.types import ASGIApp
from uvicorn.protocols.http.h11_impl import H11Protocol

from .bodies import RefusalLog

log = logging.getLogger(__name__)
refused = RefusalLog(log)


@dataclass(frozen=True)
class Limits:
    """Bounds on each connection of the server."""

    header_seconds: float = 10.0  # from connecting (or the previous response) to complete headers
    body_seconds: float = 20.0  # from the headers to the end of the body
    max_connections: int = 1000  # open at once; more evict the oldest idle connection
    max_header_bytes: int = 16_384  # h11's bound on an incomplete request line plus headers


def limited_protocol(limits: Limits) -> type[H11Protocol]:
    """An ``H11Protocol`` enforcing ``limits``; connections are shared by class, per server."""
    opened: dict[H11Protocol, float] = {}  # every open connection, oldest first

    class Limited(H11Protocol):
        _deadline: asyncio.TimerHandle | None = None

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            opened[self] = time.monotonic()
            if len(opened) > limits.max_connections:
                self._make_room()
            self._arm(limits.header_seconds)

        def connection_lost(self, exc: Exception | None) -> None:
            opened.pop(self, None)
            self._disarm()
            super().connection_lost(exc)

        def data_received(self, data: bytes) -> None:
            waiting = self.conn.their_state == h11.IDLE
            super().data_received(data)
            if waiting and self.conn.their_state != h11.IDLE:  # the headers are complete
                self._arm(limits.body_seconds)

        def on_response_complete(self) -> None:
            super().on_response_complete()
            if not self.transport.is_closing():
                self._arm(limits.header_seconds)  # the next request's headers

        def _idle(self) -> bool:
            """Waiting for (the rest of) a request, with no request being answered."""
            return self.cycle is None or self.cycle.response_complete

        def _make_room(self) -> None:
            victim = next((c for c in opened if c is not self and c._idle()), None)
            if victim is None:
                refused.warning("connection limit %d reached with every connection busy; "
                                "refusing %s", limits.max_connections, self.client)
                opened.pop(self)
                self.transport.abort()
            else:
                refused.warning("connection limit %d reached; closing the oldest idle "
                                "connection (%s)", limits.max_connections, victim.client)
                opened.pop(victim)  # now: connection_lost only runs on the next loop turn
                victim.transport.abort()

        def _arm(self, seconds: float) -> None:
            self._disarm()
            self._deadline = self.loop.call_later(seconds, self._expired)

        def _disarm(self) -> None:
            if self._deadline is not None:
                self._deadline.cancel()
                self._deadline = None

        def _expired(self) -> None:
            self._deadline = None
            state = self.conn.their_state
            if state == h11.IDLE or state == h11.SEND_BODY:  # headers or body still owed
                part = "headers" if state == h11.IDLE else "body"
                if state == h11.SEND_BODY or self.conn.trailing_data[0]:
                    refused.warning("%s too slow (request %s); connection closed", self.client, part)
                self.transport.abort()

    return Limited


def raise_file_limit() -> int:
    """Raise this process's open-file limit to its hard limit; returns the new soft limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or hard > soft:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
            soft = hard
        except (ValueError, OSError):
            pass
    return soft


def config(app: ASGIApp, host: str, port: int, limits: Limits) -> uvicorn.Config:
    """The uvicorn configuration of ``sarabun serve``; the connection cap is lowered to leave
    file descriptors for the database, the index and outgoing calls."""
    files = raise_file_limit()
    limits = replace(limits, max_connections=max(16, min(limits.max_connections, files - 64)))
    return uvicorn.Config(
        app, host=host, port=port, log_level="info",
        http=limited_protocol(limits),
        access_log=False,  # refusals are logged (throttled) by the app; a flood must not fill disks
        timeout_keep_alive=5,
        # Past this many connections or running requests uvicorn answers 503 at once.
        limit_concurrency=limits.max_connections + 50,
        h11_max_incomplete_event_size=limits.max_header_bytes,
        timeout_graceful_shutdown=10,  # do not hang on in-flight work at shutdown
        backlog=512)


def run(app: ASGIApp, host: str, port: int, limits: Limits) -> None:
    """Serve ``app`` until SIGINT/SIGTERM."""
    # Answer threads run pure-Python composition and hold the GIL; a shorter switch interval
    # (default 5 ms) lets the event loop in between, so /healthz and acknowledgements stay fast.
    sys.setswitchinterval(0.001)
    uvicorn.Server(config(app, host, port, limits)).run()
