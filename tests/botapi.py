"""A local HTTP server speaking the Telegram Bot API, for end-to-end tests of the real
python-telegram-bot Application: it hands queued update JSON out through getUpdates, records every
other call with its decoded parameters and answers like Telegram does."""

import asyncio
import itertools
import json
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, unquote

from bot.admin import Admin
from bot.dialogue import Dialogue
from bot.settings import BotSettings
from bot.telegram import build_application

TOKEN = "123456789:AAHfakeTokenForTestsOnly_abcdefghijkl"
BOT = {"id": 4242, "is_bot": True, "first_name": "สารบรรณ", "username": "sarabun_test_bot",
       "can_join_groups": True, "can_read_all_group_messages": False,
       "supports_inline_queries": False}


class FakeBotAPI:
    """Bot API endpoint at ``base_url``; ``files`` maps file paths to bytes for downloads."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict]] = []
        self.failures: dict[str, list[tuple[int, dict]]] = {}  # method → queued error replies
        self.files: dict[str, bytes] = {}
        self.chat_owners: set[int] = set()  # getChatMember says "creator" for these users
        self._updates: list[dict] = []
        self._next_update = 1
        self._next_message = 1000
        self._cond = threading.Condition()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_port}/bot"

    @property
    def file_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_port}/file/bot"

    def push(self, update: dict) -> int:
        """Queue an update for getUpdates; returns its update_id."""
        with self._cond:
            update = {"update_id": self._next_update, **update}
            self._next_update += 1
            self._updates.append(update)
            self._cond.notify_all()
            return update["update_id"]

    def fail_next(self, method: str, status: int, description: str, **parameters: object) -> None:
        """Make the next call of ``method`` fail like Telegram would (e.g. 429 with retry_after)."""
        body = {"ok": False, "error_code": status, "description": description}
        if parameters:
            body["parameters"] = parameters
        self.failures.setdefault(method, []).append((status, body))

    def of(self, method: str) -> list[dict]:
        """Parameters of every successful call of ``method`` so far."""
        with self._cond:
            return [params for name, params in self.calls if name == method]

    def wait_for(self, method: str, count: int = 1, timeout: float = 60.0) -> list[dict]:
        """Block until ``method`` was called ``count`` times; returns those calls."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while len(found := [p for n, p in self.calls if n == method]) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"{method} called {len(found)} times, expected {count}: "
                                         f"{[n for n, _ in self.calls]}")
                self._cond.wait(left)
            return found

    def wait_idle(self, quiet: float = 1.0, timeout: float = 60.0) -> None:
        """Block until no call arrived for ``quiet`` seconds (the bot has nothing left to say)."""
        deadline = time.monotonic() + timeout
        seen = -1
        while time.monotonic() < deadline:
            with self._cond:
                now = len(self.calls)
            if now == seen:
                return
            seen = now
            time.sleep(quiet)
        raise AssertionError("the bot never went quiet")

    @contextmanager
    def running(self) -> Iterator["FakeBotAPI"]:
        self._thread.start()
        try:
            yield self
        finally:
            self._server.shutdown()
            self._server.server_close()

    # -- the Bot API -------------------------------------------------------------------------

    def _call(self, method: str, params: dict) -> tuple[int, dict]:
        with self._cond:
            if self.failures.get(method):
                return self.failures[method].pop(0)
        if method == "getUpdates":
            return 200, {"ok": True, "result": self._get_updates(params)}
        with self._cond:
            self.calls.append((method, params))
            self._cond.notify_all()
        return 200, {"ok": True, "result": self._result(method, params)}

    def _get_updates(self, params: dict) -> list[dict]:
        offset = int(params.get("offset", 0) or 0)
        wait = min(float(params.get("timeout", 0) or 0), 0.2)
        with self._cond:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
            if not self._updates:
                self._cond.wait(wait)
            return list(self._updates)

    def _result(self, method: str, params: dict) -> object:
        if method == "getMe":
            return BOT
        if method in ("sendMessage", "editMessageText", "editMessageReplyMarkup", "sendDocument"):
            with self._cond:
                self._next_message += 1
                message_id = params.get("message_id", self._next_message)
            chat_id = params.get("chat_id", 0)
            return {"message_id": message_id, "date": int(time.time()), "from": BOT,
                    "chat": {"id": chat_id, "type": "private" if int(chat_id) > 0 else "group"},
                    "text": params.get("text", "")}
        if method == "getChatMember":
            user = {"id": int(params["user_id"]), "is_bot": False, "first_name": "ผู้ใช้"}
            if int(params["user_id"]) in self.chat_owners:
                return {"status": "creator", "user": user, "is_anonymous": False}
            return {"status": "member", "user": user}
        if method == "getFile":
            return {"file_id": params["file_id"], "file_unique_id": params["file_id"],
                    "file_size": len(self.files.get(params["file_id"], b"")),
                    "file_path": params["file_id"]}
        return True

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        api = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:  # keep test output clean
                pass

            def do_GET(self) -> None:  # file downloads: /file/bot<token>/<path>
                prefix = f"/file/bot{TOKEN}/"
                path = unquote(self.path)  # httpx percent-encodes the token's ":"
                data = api.files.get(path[len(prefix):]) if path.startswith(prefix) else None
                self.send_response(200 if data is not None else 404)
                self.end_headers()
                self.wfile.write(data or b"")

            def do_POST(self) -> None:
                prefix = f"/bot{TOKEN}/"
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                if not self.path.startswith(prefix):
                    status, reply = 401, {"ok": False, "error_code": 401,
                                          "description": "Unauthorized"}
                else:
                    params = _decode(self.headers.get("content-type", ""), body)
                    status, reply = api._call(self.path[len(prefix):], params)
                data = json.dumps(reply).encode()
                try:
                    self.send_response(status)
                    self.send_header("content-type", "application/json")
                    self.send_header("content-length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):  # the bot stopped polling
                    pass

        return Handler


def _decode(content_type: str, body: bytes) -> dict:
    """Parameters as python-telegram-bot sends them: form fields whose non-string values are
    JSON-encoded (multipart when files are attached)."""
    if content_type.startswith("multipart/form-data"):
        message = BytesParser(policy=HTTP).parsebytes(
            f"content-type: {content_type}\r\n\r\n".encode() + body)
        fields = {part.get_param("name", header="content-disposition"): part.get_payload(decode=True)
                  for part in message.iter_parts()}
        pairs = [(k, v.decode("utf-8", "replace")) for k, v in fields.items()]
    elif content_type.startswith("application/json"):
        return json.loads(body or b"{}")
    else:
        pairs = parse_qsl(body.decode(), keep_blank_values=True)
    out: dict = {}
    for key, value in pairs:
        try:
            decoded = json.loads(value)
            # numbers stay text except ids ("text": "15" is a string), true/false become bools
            numeric = isinstance(decoded, (int, float)) and not isinstance(decoded, bool)
            out[key] = value if numeric and not key.endswith("id") else decoded
        except ValueError:
            out[key] = value
    return out


# -- update JSON and running the bot -------------------------------------------------------

USER = {"id": 7001, "is_bot": False, "first_name": "สมหญิง"}
OTHER_USER = {"id": 7002, "is_bot": False, "first_name": "สมชาย"}
GROUP = {"id": -100200, "type": "supergroup", "title": "อบรมรัฐบาลดิจิทัล"}
_message_ids = itertools.count(1)


def message(text: str, chat: dict | None = None, user: dict = USER, **extra: object) -> dict:
    """A message update as Telegram sends it (commands and @mentions carry their entities)."""
    chat = chat or {"id": user["id"], "type": "private", "first_name": user["first_name"]}
    msg = {"message_id": next(_message_ids), "date": int(time.time()), "chat": chat, "from": user,
           "text": text, **extra}
    entities = []
    if text.startswith("/"):
        entities.append({"type": "bot_command", "offset": 0, "length": len(text.split()[0])})
    mention = "@" + BOT["username"]
    if mention in text:
        entities.append({"type": "mention", "offset": text.index(mention), "length": len(mention)})
    if entities:
        msg["entities"] = entities
    return {"message": msg}


def press(data: str, user: dict = USER, chat: dict | None = None) -> dict:
    """A button press on a bot message in ``chat`` (default: the user's private chat)."""
    chat = chat or {"id": user["id"], "type": "private"}
    return {"callback_query": {
        "id": str(next(_message_ids)), "from": user, "chat_instance": "ci", "data": data,
        "message": {"message_id": 1, "date": int(time.time()), "from": BOT, "chat": chat, "text": "…"}}}


@asynccontextmanager
async def polling(settings: BotSettings, dialogue: Dialogue, admin: Admin | None = None
                  ) -> AsyncIterator[None]:
    """The bot as `sarabun telegram` runs it: initialise, post-init, start polling."""
    app = build_application(settings, dialogue, admin)
    async with app:
        await app.post_init(app)
        await app.start()
        await app.updater.start_polling(poll_interval=0.0, timeout=1)
        try:
            yield
        finally:
            await app.updater.stop()
            await app.stop()
            await app.post_stop(app)


async def until(api: FakeBotAPI, method: str, count: int = 1) -> list[dict]:
    return await asyncio.to_thread(api.wait_for, method, count)
