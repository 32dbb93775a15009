"""A small real HTTP reverse proxy for the replica tests: round robin over several ``sarabun
serve`` processes, like the load balancer in front of a deployment (docs/deploy.md).

Each request goes to the next replica in turn. A replica that refuses the connection is marked
down for ``down_seconds`` and the request goes to the next one (the request never reached it, so
this is safe for a POST, as in nginx's ``proxy_next_upstream error``). A replica that dies after
taking the request gets it answered 502, not retried: the proxy cannot know whether it was
acted on, and LINE redelivers a webhook that did not get 200. Every response names the replica
that served it in ``X-Upstream`` (its index in ``backends``), like nginx's ``$upstream_addr``."""

import http.client
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from .httpthread import serving

HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade",
              "proxy-authorization", "proxy-authenticate", "host", "content-length"}


class RoundRobinProxy:
    """Forwards every request to ``backends`` ("host:port") in turn, skipping refusing ones."""

    def __init__(self, backends: list[str], down_seconds: float = 2.0, timeout: float = 60.0) -> None:
        self.backends = backends
        self.down_seconds = down_seconds
        self.timeout = timeout
        self.served: list[int] = []  # the replica that answered each request, in order
        self.refused = 0  # connections refused by a replica (then tried on the next)
        self.failed = 0  # requests answered 502: the replica broke off after taking them
        self._next = 0
        self._down_until = [0.0] * len(backends)
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_port}"

    @contextmanager
    def running(self) -> Iterator["RoundRobinProxy"]:
        with serving(self._server):
            yield self

    def _order(self) -> list[int]:
        """Replicas to try for one request: the next in turn first, those marked down last."""
        with self._lock:
            start = self._next
            self._next = (self._next + 1) % len(self.backends)
            now = time.monotonic()
            turn = [(start + i) % len(self.backends) for i in range(len(self.backends))]
            return sorted(turn, key=lambda i: self._down_until[i] > now)  # stable: keeps the turn

    def _connect(self, order: list[int]) -> tuple[int, http.client.HTTPConnection] | None:
        for i in order:
            host, port = self.backends[i].rsplit(":", 1)
            conn = http.client.HTTPConnection(host, int(port), timeout=self.timeout)
            try:
                conn.connect()
            except OSError:  # refused (or unreachable): mark it down, try the next replica
                conn.close()
                with self._lock:
                    self.refused += 1
                    self._down_until[i] = time.monotonic() + self.down_seconds
                continue
            with self._lock:
                self._down_until[i] = 0.0
            return i, conn
        return None

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                self._forward()

            def do_POST(self) -> None:
                self._forward()

            def _forward(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", 0) or 0))
                headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
                connected = proxy._connect(proxy._order())
                if connected is None:
                    self._send(503, {}, b"no replica available", None)
                    return
                i, conn = connected
                try:
                    conn.request(self.command, self.path, body=body, headers=headers)
                    response = conn.getresponse()
                    data = response.read()
                except (OSError, http.client.HTTPException):  # it died with the request
                    with proxy._lock:
                        proxy.failed += 1
                    self._send(502, {}, b"replica failed", i)
                    return
                finally:
                    conn.close()
                kept = {k: v for k, v in response.getheaders()
                        if k.lower() not in HOP_BY_HOP | {"server", "date"}}  # ours are sent
                with proxy._lock:
                    proxy.served.append(i)
                self._send(response.status, kept, data, i)

            def _send(self, status: int, headers: dict[str, str], data: bytes, upstream: int | None
                      ) -> None:
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                if upstream is not None:
                    self.send_header("X-Upstream", str(upstream))
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        return Handler
