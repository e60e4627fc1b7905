"""What every page handler shares: who is looking, the project, the CSRF check on posts, the
templates, the security headers and the page-scoped cookies.

A handler is ``async def handler(page: Page) -> Response`` wrapped by ``page_handler``, which
refuses a post without a valid CSRF token before the handler runs, sends signed-out visitors
to the sign-in page (``who="user"``), answers non-administrators with a 403 page
(``who="admin"``), and renders any API error the handler let through as a page.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any, Literal
from urllib.parse import parse_qsl, quote

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from sqlalchemy import Connection
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from authgate.access.model import Accountability
from authgate.clock import Clock
from authgate.config.settings import Settings
from authgate.crypto import Keys
from authgate.errors import AuthError, Code
from authgate.items.service import ItemsService
from authgate.pages import messages, security
from authgate.passkeys.service import Passkeys
from authgate.project import repo as project_repo
from authgate.project.model import ProjectSettings
from authgate.project.service import ProjectService
from authgate.providers.registry import Providers
from authgate.ratelimit.requests import RequestLimits
from authgate.requester import Client
from authgate.sessions.authenticate import Authenticator
from authgate.sessions.service import SessionService
from authgate.storage.db import Database
from authgate.urls import resolve_login_redirect
from authgate.users import repo as users_repo
from authgate.users.invites import Invitations
from authgate.users.model import User
from authgate.users.notices import SecurityNotices
from authgate.users.recovery import PasswordRecovery
from authgate.users.recovery_codes import RecoveryCodes
from authgate.users.registration import Registration
from authgate.users.service import UserService
from authgate.users.tfa import TwoFactor
from authgate.web import context
from authgate.web.responses import clear_cookie

log = logging.getLogger("authgate.pages")

_TEMPLATES = Path(__file__).parent / "templates"
env = Environment(
    loader=FileSystemLoader(str(_TEMPLATES)),
    autoescape=select_autoescape(default=True, default_for_string=True),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
env.filters["text"] = messages.display_text
_FORM_TYPE = "application/x-www-form-urlencoded"
_MAX_FIELDS = 200


class FormRefused(Exception):
    """A post that failed the CSRF or origin check; nothing it asked for was done."""


@dataclass(frozen=True)
class Viewer:
    """The signed-in person: the request's accountability and their own record."""

    accountability: Accountability
    user: User
    # A policy of theirs enforces two-factor and they have none (the API's rule,
    # access/enforcement.py): only the enrolment pages answer.
    enforce_tfa: bool

    @property
    def admin(self) -> bool:
        return self.accountability.admin


@dataclass(frozen=True)
class PageServices:
    """The services the pages use, and no others (built in ``app.py``)."""

    settings: Settings
    clock: Clock
    db: Database
    keys: Keys
    items: ItemsService
    users: UserService
    sessions: SessionService
    tfa: TwoFactor
    recovery: PasswordRecovery
    invitations: Invitations
    registration: Registration
    project: ProjectService
    limits: RequestLimits
    passkeys: Passkeys | None
    recovery_codes: RecoveryCodes
    authenticator: Authenticator
    providers: Providers
    notices: SecurityNotices | None = None  # a key made on the account page mails its owner


@dataclass
class Page:
    request: Request
    services: PageServices
    project: ProjectSettings
    viewer: Viewer | None
    csrf_cookie: str
    csrf_is_new: bool
    form: dict[str, list[str]] = field(default_factory=dict)
    # Page-scoped cookies to set (name -> (value, max age)) or clear (value None).
    cookies: dict[str, tuple[str | None, timedelta | None]] = field(default_factory=dict)

    # ----------------------------------------------------------------- reading

    @property
    def settings(self) -> Any:
        return self.services.settings

    @property
    def accountability(self) -> Accountability:
        if self.viewer is None:
            raise AuthError(Code.INVALID_CREDENTIALS)
        return self.viewer.accountability

    @property
    def client(self) -> Client:
        return context.client(self.request)

    def value(self, name: str, default: str = "") -> str:
        values = self.form.get(name)
        return values[-1].strip() if values else default

    def raw(self, name: str) -> str:
        """A field exactly as typed (passwords keep their spaces)."""
        values = self.form.get(name)
        return values[-1] if values else ""

    def values(self, name: str) -> list[str]:
        return [v for v in self.form.get(name, []) if v]

    def query(self, name: str) -> str:
        return self.request.query_params.get(name, "")

    def cookie(self, name: str) -> str | None:
        return context.state(self.request).cookies.get(name)

    def safe_redirect(self, target: str | None, default: str = "/admin/account") -> str:
        """``target`` when the API's login-redirect rule accepts it, else ``default``."""
        if not target:
            return default
        resolved = resolve_login_redirect(
            target, public_url=self.settings.public_url, allow_list=()
        )
        return resolved if resolved and resolved != "/" else default

    # ----------------------------------------------------------------- answering

    def csrf_token(self) -> str:
        session = self.viewer.accountability.session if self.viewer else None
        key = security.csrf_key(self.settings.secret.reveal())
        return security.csrf_token(key, self.csrf_cookie, session)

    def render(self, template: str, status: int = 200, **values: Any) -> Response:
        notice_key = self.query("notice")
        body = env.get_template(template).render(
            project=self.project,
            viewer=self.viewer,
            csrf=self.csrf_token(),
            notice=messages.NOTICES.get(notice_key),
            path=self.request.url.path,
            **values,
        )
        return self.finish(HTMLResponse(body, status_code=status))

    def redirect(self, url: str, notice: str | None = None) -> Response:
        if notice is not None:
            url += ("&" if "?" in url else "?") + f"notice={quote(notice)}"
        return self.finish(RedirectResponse(url, status_code=303))

    def set_cookie(self, name: str, value: str, max_age: timedelta | None) -> None:
        self.cookies[name] = (value, max_age)

    def drop_cookie(self, name: str) -> None:
        self.cookies[name] = (None, None)

    def finish(self, response: Response) -> Response:
        response.headers.update(security.page_headers(self.settings.public_url))
        secure = self.settings.session_cookie.secure
        if self.csrf_is_new:
            self.cookies.setdefault(security.CSRF_COOKIE, (self.csrf_cookie, None))
        for name, (value, max_age) in self.cookies.items():
            response.raw_headers.append(
                (b"set-cookie", page_cookie(name, value, max_age, secure=secure).encode("latin-1"))
            )
        if context.state(self.request).stale_cookie:
            clear_cookie(response, self.settings.session_cookie)
        return response


def page_cookie(name: str, value: str | None, max_age: timedelta | None, *, secure: bool) -> str:
    """An httpOnly, ``SameSite=Lax`` cookie for the pages' path only; ``None`` deletes it.
    (Lax, not Strict: a mailed link is a cross-site navigation that must still carry it.)"""
    parts = [f"{name}={value or ''}"]
    if value is None:
        parts.append("Max-Age=0")
    elif max_age is not None:
        parts.append(f"Max-Age={int(max_age.total_seconds())}")
    parts += [f"Path={security.PAGES_PATH}", "HttpOnly"]
    if secure:
        parts.append("Secure")
    parts.append("SameSite=Lax")
    return "; ".join(parts)


# ---------------------------------------------------------------------- loading a page


def _load(conn: Connection, user_id: str | None) -> tuple[ProjectSettings, User | None]:
    return project_repo.load(conn), users_repo.get(conn, user_id) if user_id else None


async def load_page(request: Request, services: PageServices) -> Page:
    state = context.state(request)
    accountability = context.accountability(request)
    # Pages count only the session cookie as signing in: a token in the address or a header
    # belongs to API clients, and the CSRF token is bound to the cookie's session.
    signed_in = state.token_source == "cookie" and accountability.user is not None
    project, user = await services.db.read(_load, accountability.user if signed_in else None)
    viewer = None
    if signed_in and user is not None:
        viewer = Viewer(accountability, user, accountability.tfa_setup_required)
    cookie = state.cookies.get(security.CSRF_COOKIE)
    is_new = not cookie
    return Page(
        request,
        services,
        project,
        viewer,
        csrf_cookie=cookie or security.new_csrf_value(),
        csrf_is_new=is_new,
    )


def _open_before_enrolment(method: str, path: str) -> bool:
    """What a person who must first set up two-factor may use: the account page (to read
    why) and the two-factor pages; every other page leads to the enrolment."""
    if path == "/admin/account":
        return method in ("GET", "HEAD")
    return path == "/admin/account/two-factor" or path.startswith("/admin/account/two-factor/")


def read_form(page: Page) -> None:
    """Parse the posted form into ``page.form``, then check where it came from and its token.

    Raises:
        FormRefused: not a form, from another site, or without this browser's CSRF token.
    """
    request = page.request
    content_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if content_type != _FORM_TYPE:
        raise FormRefused
    try:
        text = context.state(request).raw_body.decode("utf-8")
        pairs = parse_qsl(text, keep_blank_values=True, max_num_fields=_MAX_FIELDS)
    except (UnicodeDecodeError, ValueError):
        raise FormRefused from None
    form: dict[str, list[str]] = {}
    for name, value in pairs:
        form.setdefault(name, []).append(value)
    page.form = form
    if not security.same_origin(
        request.headers.get("origin"),
        request.headers.get("sec-fetch-site"),
        request.headers.get("host"),
        page.settings.public_url,
    ):
        raise FormRefused
    session = page.viewer.accountability.session if page.viewer else None
    key = security.csrf_key(page.settings.secret.reveal())
    if page.csrf_is_new or not security.csrf_valid(
        key, page.csrf_cookie, session, page.value(security.CSRF_FIELD)
    ):
        raise FormRefused


# ---------------------------------------------------------------------- the wrapper

Who = Literal["anyone", "user", "admin"]
Handler = Callable[[Page], Awaitable[Response]]
Endpoint = Callable[[Request], Awaitable[Response]]


@dataclass(frozen=True)
class PageEndpoint:
    """A page handler with the checks of its kind (``who``), given its services by ``bind``
    when the routes are built (``pages/routes.py``)."""

    handler: Handler
    who: Who

    def bind(self, services: PageServices) -> Endpoint:
        handler, who = self.handler, self.who

        async def endpoint(request: Request) -> Response:
            page = await load_page(request, services)
            if request.method == "POST":
                try:
                    read_form(page)
                except FormRefused:
                    return refused_form(page)
            if who != "anyone" and page.viewer is None:
                if request.method == "POST":
                    return page.redirect("/admin/login", "session-ended")
                target = quote(request.url.path, safe="/")
                return page.redirect(f"/admin/login?redirect={target}")
            if (
                who != "anyone"
                and page.viewer is not None
                and page.viewer.enforce_tfa
                and not _open_before_enrolment(request.method, request.url.path)
            ):
                return page.redirect("/admin/account/two-factor", "tfa-required")
            if who == "admin" and not (page.viewer and page.viewer.admin):
                return page.render(
                    "message.html",
                    status=403,
                    title="Administrators only",
                    text="This page is for administrators. You are signed in without that access.",
                )
            try:
                return await handler(page)
            except AuthError as error:
                return error_page(page, error)

        endpoint.__name__ = handler.__name__
        endpoint.__doc__ = handler.__doc__
        return endpoint


def page_handler(who: Who = "anyone") -> Callable[[Handler], PageEndpoint]:
    def wrap(handler: Handler) -> PageEndpoint:
        return PageEndpoint(handler, who)

    return wrap


def refused_form(page: Page) -> Response:
    return page.render(
        "message.html",
        status=403,
        title="This form can't be sent",
        text=(
            "It was opened too long ago, in another session, or sent from another site. "
            "Go back, reload the page and try again."
        ),
    )


def error_page(page: Page, error: AuthError) -> Response:
    if error.code in (Code.INVALID_CREDENTIALS, Code.TOKEN_EXPIRED) and page.viewer is None:
        return page.redirect("/admin/login", "session-ended")
    status = 404 if error.code == Code.ROUTE_NOT_FOUND else error.status
    return page.render(
        "message.html",
        status=status,
        title="That did not work",
        text=messages.describe(error, "admin"),
    )


def render_error(error: AuthError | None) -> Response:
    """For the pipeline: an error raised before any page handler ran (a rate limit, a route
    that does not exist, something unexpected), as a page with the pages' headers."""
    if error is None:
        status, text = 500, "Something went wrong on the server. Try again later."
    elif error.code == Code.ROUTE_NOT_FOUND:
        status, text = 404, "There is no page here."
    else:
        status, text = error.status, messages.describe(error, "admin")
    body = env.get_template("message.html").render(
        project=ProjectSettings(project_name="authgate"),
        viewer=None,
        csrf="",
        notice=None,
        path="",
        title="That did not work" if status != 404 else "Page not found",
        text=text,
    )
    headers: Mapping[str, str] = {**security.page_headers("/"), **(error.headers if error else {})}
    return HTMLResponse(body, status_code=status, headers=dict(headers))
