"""A local HTTP server standing in for the LINE Messaging API: records reply and push requests
made by the real line-bot-sdk client and answers like LINE does (a reply token works once; a
push's ``X-Line-Retry-Key`` is accepted once, a repeat gets 409); it also serves the content of
files sent to the bot (``GET /v2/bot/message/<id>/content``, LINE's data API) from ``contents``."""

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from .httpthread import serving

ACCESS_TOKEN = "test-channel-access-token"
SECRET = "line-channel-secret"  # the channel secret webhooks are signed with


class FakeLineAPI:
    def __init__(self) -> None:
        self.calls: list[tuple[str, dict]] = []  # (path, JSON body) of accepted requests
        self.times: list[float] = []  # time.monotonic() when each accepted request arrived
        self.expired_reply_tokens: set[str] = set()
        self.refused_reply_tokens: set[str] = set()  # 400 for another reason than the token
        self.used_reply_tokens: set[str] = set()
        self.retry_keys: set[str] = set()
        self.contents: dict[str, bytes] = {}  # message id → the bytes of the file sent with it
        self.downloads: list[str] = []  # message ids whose content was fetched
        self.repeats = 0  # refused second uses of a reply token or retry key
        self._lock = threading.Condition()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_port}"

    def of(self, kind: str) -> list[dict]:
        """Bodies of accepted "reply" or "push" requests."""
        with self._lock:
            return [body for path, body in self.calls if path == f"/v2/bot/message/{kind}"]

    def wait_for(self, kind: str, count: int, timeout: float = 60.0) -> list[dict]:
        """Block until ``count`` requests of ``kind`` were accepted; returns their bodies."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while len(found := [b for p, b in self.calls if p == f"/v2/bot/message/{kind}"]) < count:
                if not self._lock.wait(deadline - time.monotonic()):
                    raise AssertionError(f"{len(found)} {kind} requests, expected {count}")
            return found

    @contextmanager
    def running(self) -> Iterator["FakeLineAPI"]:
        with serving(self._server):
            yield self

    def _first_use(self, reply_token: str | None, retry_key: str | None) -> bool:
        with self._lock:
            seen = self.used_reply_tokens if reply_token else self.retry_keys
            key = reply_token or retry_key
            if key is None:
                return True
            if key in seen:
                self.repeats += 1
                return False
            seen.add(key)
            return True

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        api = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:  # the data API: /v2/bot/message/<id>/content
                parts = self.path.strip("/").split("/")
                data = None
                if self.headers.get("authorization") == f"Bearer {ACCESS_TOKEN}" and len(parts) == 5 \
                        and parts[:3] == ["v2", "bot", "message"] and parts[4] == "content":
                    with api._lock:
                        api.downloads.append(parts[3])
                    data = api.contents.get(parts[3])
                self.send_response(200 if data is not None else 404)
                self.send_header("content-type", "application/octet-stream")
                self.send_header("content-length", str(len(data or b"")))
                self.end_headers()
                self.wfile.write(data or b"")

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers.get("content-length", 0))) or b"{}")
                if self.headers.get("authorization") != f"Bearer {ACCESS_TOKEN}":
                    status, reply = 401, {"message": "Authentication failed"}
                elif body.get("replyToken") in api.expired_reply_tokens:
                    status, reply = 400, {"message": "Invalid reply token"}
                elif body.get("replyToken") in api.refused_reply_tokens:
                    status, reply = 400, {"message": "The request body has 1 error(s)",
                                          "details": [{"message": "invalid uri", "property": "x"}]}
                elif not api._first_use(body.get("replyToken"), self.headers.get("X-Line-Retry-Key")):
                    status, reply = (409, {"message": "The retry key is already accepted"}) \
                        if self.headers.get("X-Line-Retry-Key") else (400, {"message": "Invalid reply token"})
                else:
                    with api._lock:
                        api.calls.append((self.path, body))
                        api.times.append(time.monotonic())
                        api._lock.notify_all()
                    status, reply = 200, {"sentMessages": [{"id": "1", "quoteToken": "q"}]}
                data = json.dumps(reply).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        return Handler
