"""Password-less sign-in for the web console: one-time links, browser sessions, CSRF tokens.

An admin or trainer asks the bot (``/web``) or the server's shell (``sarabun web-link``) for a
link; it is valid for ``LINK_SECONDS`` and can be redeemed once, which starts a session with the
person's chat identity and role. Links and sessions are stored (by token hash) in the database
layer, so every replica knows them and a restart signs nobody out.
"""

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from urllib.parse import quote

from sqlalchemy import text

from ..state.db import Database

ROLES = ("admin", "trainer")
LINK_SECONDS = 600.0
SESSION_SECONDS = 12 * 3600.0
SIGNIN_PATH = "/admin/signin"

LINK_REPLY = ("ลิงก์เข้าสู่คอนโซลเว็บของสารบรรณ (ใช้ได้ครั้งเดียว ภายใน 10 นาที):\n{url}\n"
              "โปรดอย่าส่งต่อลิงก์นี้ให้ผู้อื่นค่ะ")
PRIVATE_ONLY = "ขอลิงก์ /web ในแชตส่วนตัวกับบอตเท่านั้นค่ะ เพื่อไม่ให้ผู้อื่นในกลุ่มเห็นลิงก์"
NOT_ALLOWED = "คำสั่ง /web สำหรับผู้ดูแลและผู้สอนที่ได้รับสิทธิ์เท่านั้นค่ะ"
NO_PUBLIC_URL = ("ยังไม่ได้ตั้งค่าที่อยู่ของคอนโซลเว็บค่ะ ผู้ดูแลเซิร์ฟเวอร์ตั้ง SARABUN_PUBLIC_URL "
                 "(เช่น https://sarabun.example.go.th) แล้วเริ่ม sarabun serve ใหม่")


@dataclass(frozen=True)
class WebUser:
    """A signed-in person: chat identity ("telegram:123"), role and the session's CSRF token."""

    identity: str
    role: str
    csrf: str

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


def issue_link(db: Database, role: str, identity: str, base_url: str) -> str:
    """A new one-time sign-in URL under ``base_url`` (the server's public address)."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}, not {role!r}")
    token = secrets.token_urlsafe(32)
    now = time.time()
    with db.tx() as conn:
        conn.execute(text("DELETE FROM web_links WHERE expires < :old"), {"old": now - 86400})
        conn.execute(text("INSERT INTO web_links (token_hash, role, identity, created, expires) "
                          "VALUES (:h, :role, :who, :now, :exp)"),
                     {"h": _hash(token), "role": role, "who": identity, "now": now,
                      "exp": now + LINK_SECONDS})
    return f"{base_url.rstrip('/')}{SIGNIN_PATH}?token={quote(token)}"


def redeem_link(db: Database, token: str) -> tuple[str, WebUser] | str:
    """Use a link once: (session token, user), or why not — "unknown", "used" or "expired"."""
    now = time.time()
    h = _hash(token)
    with db.tx() as conn:
        # One conditional UPDATE: of two browsers racing with the same link exactly one wins.
        claimed = conn.execute(text("UPDATE web_links SET used = :now WHERE token_hash = :h "
                                    "AND used IS NULL AND expires >= :now"), {"h": h, "now": now})
        row = conn.execute(text("SELECT role, identity, used, expires FROM web_links "
                                "WHERE token_hash = :h"), {"h": h}).first()
        if claimed.rowcount != 1 or row is None:
            if row is None:
                return "unknown"
            return "expired" if row.used is None else "used"
        session, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(24)
        conn.execute(text("DELETE FROM web_sessions WHERE expires < :now"), {"now": now})
        conn.execute(text("INSERT INTO web_sessions (token_hash, role, identity, csrf, created, expires) "
                          "VALUES (:h, :role, :who, :csrf, :now, :exp)"),
                     {"h": _hash(session), "role": row.role, "who": row.identity, "csrf": csrf,
                      "now": now, "exp": now + SESSION_SECONDS})
    return session, WebUser(row.identity, row.role, csrf)


def session_user(db: Database, session: str) -> WebUser | None:
    """The person signed in with this session cookie, or None (unknown or expired)."""
    if not session:
        return None
    with db.read() as conn:
        row = conn.execute(text("SELECT identity, role, csrf FROM web_sessions WHERE token_hash = :h "
                                "AND expires >= :now"), {"h": _hash(session), "now": time.time()}).first()
    return WebUser(row.identity, row.role, row.csrf) if row else None


def end_session(db: Database, session: str) -> None:
    """Sign out: the cookie no longer works anywhere."""
    with db.tx() as conn:
        conn.execute(text("DELETE FROM web_sessions WHERE token_hash = :h"), {"h": _hash(session)})


def csrf_ok(user: WebUser, given: str) -> bool:
    """Whether a form's CSRF token is the session's."""
    return bool(given) and hmac.compare_digest(given.encode(), user.csrf.encode())


def chat_role(platform: str, user_id: str, admins: frozenset, trainers: frozenset) -> str | None:
    """The console role of a chat user: "admin", "trainer" or None (no console access)."""
    key = int(user_id) if platform == "telegram" and user_id.lstrip("-").isdigit() else user_id
    if key in admins:
        return "admin"
    return "trainer" if key in trainers else None


def link_reply(db: Database, public_url: str, platform: str, user_id: str, admins: frozenset,
               trainers: frozenset) -> str:
    """The bot's reply to ``/web``: a sign-in link for admins and trainers, else a refusal."""
    role = chat_role(platform, user_id, admins, trainers)
    if role is None:
        return NOT_ALLOWED
    if not public_url:
        return NO_PUBLIC_URL
    return LINK_REPLY.format(url=issue_link(db, role, f"{platform}:{user_id}", public_url))


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
