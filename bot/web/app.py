"""The web console's ASGI app, mounted by ``sarabun serve`` under ``/admin``.

Every page goes through :func:`Console.page`: it finds the session (none: a redirect to the
sign-in page for a browser, 401 otherwise), checks the role (a trainer on an admin page: 403),
checks the CSRF token of every POST, and runs the handler in a worker thread so database work
and index builds never block the event loop. Responses carry a strict Content-Security-Policy:
the console loads nothing but its own packaged CSS and script.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

from ..admin import Admin
from ..dialogue import Dialogue
from ..state import AuditEntry, Database, record_audit
from . import auth
from .settings import WebSettings

log = logging.getLogger(__name__)

SESSION_COOKIE = "sarabun_session"
SIGNIN_COOKIE = "sarabun_signin"  # double-submit CSRF token of the sign-in form
UPLOAD_SLACK = 64 * 1024  # form fields and multipart framing around an uploaded file
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; "
                               "script-src 'self'; frame-ancestors 'none'; form-action 'self'; "
                               "base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",  # the sign-in token in the URL never leaves in a Referer
    "X-Frame-Options": "DENY",
}

Handler = Callable[..., Response]


@dataclass
class Console:
    """What the console's pages share: settings, database, the dialogue's retriever, admin
    operations and the templates."""

    settings: WebSettings
    db: Database
    dialogue: Dialogue
    admin: Admin
    templates: Environment

    @property
    def docs_dir(self) -> Path:
        return self.admin.docs_dir

    @property
    def index_dir(self) -> Path:
        return self.admin.index_dir

    def render(self, request: Request, name: str, status_code: int = 200, **context: object
               ) -> HTMLResponse:
        """A page from ``templates/`` with the console's common context."""
        user: auth.WebUser | None = getattr(request.state, "user", None)
        context.setdefault("csrf", user.csrf if user else "")
        html = self.templates.get_template(name).render(
            root=request.scope.get("root_path", ""), user=user, **context)
        return HTMLResponse(html, status_code=status_code)

    def message(self, request: Request, title: str, message: str, status_code: int = 200,
                **context: object) -> HTMLResponse:
        return self.render(request, "message.html", status_code, title=title, message=message, **context)

    def audit(self, actor: str, action: str, target: str, ok: bool, detail: str) -> None:
        """Write a console action to the audit log with the person's chat identity."""
        record_audit(self.db, AuditEntry(actor, action, target, "ok" if ok else "refused", detail))

    def page(self, role: str, handler: Handler, max_body: int = 1_000_000) -> Callable:
        """An endpoint running ``handler(request, user, form)`` for people with ``role``
        ("admin" or "trainer"; admins may do everything)."""
        async def endpoint(request: Request) -> Response:
            user = await run_in_threadpool(auth.session_user, self.db,
                                           request.cookies.get(SESSION_COOKIE, ""))
            if user is None:
                if request.method == "GET" and "text/html" in request.headers.get("accept", ""):
                    return RedirectResponse(f"{request.scope.get('root_path', '')}/signin", 303)
                return PlainTextResponse("sign-in required: send /web to the bot", 401)
            request.state.user = user
            if role == "admin" and not user.is_admin:
                log.info("web: %s (trainer) refused %s", user.identity, request.url.path)
                return self.message(request, "ไม่มีสิทธิ์", "หน้านี้สำหรับผู้ดูแลระบบเท่านั้นค่ะ", 403)
            form: dict[str, object] = {}  # POST fields; a file is (file name, bytes)
            if request.method == "POST":
                if int(request.headers.get("content-length") or 0) > max_body + UPLOAD_SLACK:
                    return self.message(request, "ไฟล์ใหญ่เกินไป", "ไฟล์ใหญ่เกินกำหนดค่ะ", 413)
                async with request.form(max_files=1, max_fields=50) as fields:
                    if not auth.csrf_ok(user, str(fields.get("csrf", ""))):
                        log.warning("web: %s posted %s without a valid CSRF token", user.identity,
                                    request.url.path)
                        return self.message(request, "ไม่ผ่านการตรวจสอบ", "แบบฟอร์มหมดอายุหรือไม่ถูกต้อง "
                                            "กรุณาเปิดหน้าใหม่แล้วลองอีกครั้งค่ะ", 403)
                    for key, value in fields.multi_items():  # read here: handlers run in a thread
                        form[key] = (value.filename, await value.read()) if isinstance(value, UploadFile) \
                            else value
            return await run_in_threadpool(handler, request, user, form)
        return endpoint


def is_https(request: Request, public_url: str) -> bool:
    """Whether the browser talks HTTPS to us (directly, through a proxy, or per the public URL)."""
    forwarded = request.headers.get("x-forwarded-proto", "").split(",")[0].strip().lower()
    return request.url.scheme == "https" or forwarded == "https" or public_url.startswith("https://")


class _SecurityHeaders(BaseHTTPMiddleware):
    async def dispatch(self, request: Request, call_next) -> Response:
        response = await call_next(request)
        for key, value in SECURITY_HEADERS.items():
            response.headers.setdefault(key, value)
        if not request.url.path.startswith(f"{request.scope.get('root_path', '')}/static/"):
            response.headers.setdefault("Cache-Control", "no-store")
        return response


def create_console(settings: WebSettings, db: Database, dialogue: Dialogue, admin: Admin) -> Starlette:
    """The console app (mount it at ``/admin``)."""
    from . import documents, questions, signin, trainer, versions

    env = Environment(loader=PackageLoader("bot.web", "templates"), autoescape=select_autoescape(),
                      trim_blocks=True, lstrip_blocks=True)
    console = Console(settings, db, dialogue, admin, env)
    routes = [
        *signin.routes(console),
        *documents.routes(console),
        *versions.routes(console),
        *questions.routes(console),
        *trainer.routes(console),
        Mount("/static", StaticFiles(packages=[("bot.web", "static")]), name="static"),
    ]
    return Starlette(routes=routes, middleware=[Middleware(_SecurityHeaders)])


def mount(settings: WebSettings, db: Database, dialogue: Dialogue, admin: Admin) -> Mount:
    """The ``/admin`` mount of ``sarabun serve``."""
    return Mount("/admin", app=create_console(settings, db, dialogue, admin))

