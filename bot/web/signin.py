"""Sign-in through a one-time link, sign-out, and the console's home page."""

import logging
import secrets

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from . import auth
from .app import SESSION_COOKIE, SIGNIN_COOKIE, Console, is_https

log = logging.getLogger(__name__)

REFUSED = {
    "unknown": "ลิงก์นี้ไม่ถูกต้องค่ะ กรุณาส่ง /web ถึงบอตเพื่อขอลิงก์ใหม่",
    "used": "ลิงก์นี้ถูกใช้เข้าสู่ระบบไปแล้วค่ะ ลิงก์ใช้ได้ครั้งเดียว กรุณาส่ง /web ถึงบอตเพื่อขอลิงก์ใหม่",
    "expired": "ลิงก์นี้หมดอายุแล้วค่ะ (ใช้ได้ 10 นาที) กรุณาส่ง /web ถึงบอตเพื่อขอลิงก์ใหม่",
}


def routes(console: Console) -> list[Route]:
    async def signin_page(request: Request) -> Response:
        """The link opens a page with a button: a GET never uses the link up, so a chat app's
        link preview cannot spend it."""
        token = request.query_params.get("token", "")
        pre = secrets.token_urlsafe(24)
        response = console.render(request, "signin.html", title="เข้าสู่ระบบ", token=token[:200], csrf=pre)
        response.set_cookie(SIGNIN_COOKIE, pre, max_age=int(auth.LINK_SECONDS), httponly=True,
                            samesite="strict", secure=is_https(request, console.settings.public_url),
                            path=request.scope.get("root_path", "") or "/")
        return response

    async def signin(request: Request) -> Response:
        form = await request.form(max_files=0, max_fields=5)
        pre = request.cookies.get(SIGNIN_COOKIE, "")
        if not pre or not secrets.compare_digest(pre, str(form.get("csrf", ""))):
            log.warning("web sign-in without a valid CSRF token")
            return console.message(request, "เข้าสู่ระบบไม่สำเร็จ",
                                   "แบบฟอร์มไม่ถูกต้องหรือหมดอายุ กรุณาเปิดลิงก์จากบอตอีกครั้งค่ะ", 403)
        outcome = auth.redeem_link(console.db, str(form.get("token", "")))
        if isinstance(outcome, str):
            log.info("web sign-in refused: %s link", outcome)
            return console.message(request, "เข้าสู่ระบบไม่สำเร็จ", REFUSED[outcome], 403)
        session, user = outcome
        console.audit(user.identity, "web-signin", user.role, True, "เข้าสู่คอนโซลเว็บ")
        root = request.scope.get("root_path", "")
        response = RedirectResponse(f"{root}/", 303)
        response.set_cookie(SESSION_COOKIE, session, max_age=int(auth.SESSION_SECONDS), httponly=True,
                            samesite="strict", secure=is_https(request, console.settings.public_url),
                            path=root or "/")
        response.delete_cookie(SIGNIN_COOKIE, path=root or "/")
        return response

    def home(request: Request, user: auth.WebUser, form: dict) -> Response:
        root = request.scope.get("root_path", "")
        return RedirectResponse(f"{root}/documents" if user.is_admin else f"{root}/quiz", 303)

    def signout(request: Request, user: auth.WebUser, form: dict) -> Response:
        auth.end_session(console.db, request.cookies.get(SESSION_COOKIE, ""))
        console.audit(user.identity, "web-signout", user.role, True, "ออกจากคอนโซลเว็บ")
        root = request.scope.get("root_path", "")
        response = RedirectResponse(f"{root}/signin", 303)
        response.delete_cookie(SESSION_COOKIE, path=root or "/")
        return response

    return [
        Route("/signin", signin_page, methods=["GET"]),
        Route("/signin", signin, methods=["POST"]),
        Route("/", console.page("trainer", home)),
        Route("/signout", console.page("trainer", signout), methods=["POST"]),
    ]
