"""Where mailed links land: ``/admin/password-request`` and ``/admin/reset-password``,
``/admin/accept-invite``, ``/admin/register``, and the landing page after email verification.

A link's token is read from the address once: the first visit moves it into a short-lived
httpOnly cookie for this path and answers with a redirect to the same page without it, so the
token is not left in the address bar, the browser's history, a ``Referer`` or a log line.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from starlette.responses import Response

from authgate.errors import AuthError, Code
from authgate.pages import messages, security
from authgate.pages.web import Page, page_handler
from authgate.requester import Client
from authgate.users.registration import Registrant
from authgate.validate import Rule, validate

_REGISTER = {"email": Rule("email", required=True), "password": Rule(required=True)}


def _take_token(page: Page, cookie: str) -> Response | None:
    """The redirect that moves ``?token=`` into ``cookie``; ``None`` when there is none."""
    token = page.request.query_params.get("token")
    if token is None:
        return None
    if token:
        page.set_cookie(cookie, token, security.LINK_TTL)
    return page.redirect(page.request.url.path)


def _no_link(page: Page, title: str, text: str) -> Response:
    return page.render("link_gone.html", status=400, title=title, text=text)


def _password_pair(page: Page) -> tuple[str, str | None]:
    password = page.raw("password")
    if not password:
        return password, "Choose a password."
    if password != page.raw("confirm"):
        return password, "The two passwords are not the same."
    return password, None


# --------------------------------------------------------------------- password reset


@page_handler()
async def password_request_form(page: Page) -> Response:
    return page.render("password_request.html", email="")


@page_handler()
async def password_request_submit(page: Page) -> Response:
    """The API's reset request: the same answer, in the same time, for any address."""
    email = page.value("email")
    if not email:
        return page.render(
            "password_request.html", status=400, email=email, error="Enter your email address."
        )
    await page.services.recovery.request(email, None)
    return page.redirect("/admin/login", "reset-sent")


@page_handler()
async def reset_form(page: Page) -> Response:
    moved = _take_token(page, security.RESET_COOKIE)
    if moved is not None:
        return moved
    if not page.cookie(security.RESET_COOKIE):
        return _no_link(page, "Reset your password", messages.BAD_LINK)
    return page.render("reset_password.html", policy=_policy(page))


@page_handler()
async def reset_submit(page: Page) -> Response:
    return await _choose_password(page, _RESET, page.services.recovery.reset)


@dataclass(frozen=True)
class _PasswordLink:
    """A mailed link whose page sets a password: reset and invitation alike."""

    cookie: str
    template: str
    title: str
    invalid: str  # the text when there is no link at all
    kind: messages.Form  # the context for ``messages.describe``
    notice: str  # the notice the login page shows after it


_RESET = _PasswordLink(
    security.RESET_COOKIE,
    "reset_password.html",
    "Reset your password",
    messages.BAD_LINK,
    "link",
    "password-reset",
)
_INVITE = _PasswordLink(
    security.INVITE_COOKIE,
    "accept_invite.html",
    "Accept the invitation",
    "This invitation link is not valid.",
    "invite",
    "invite-accepted",
)


async def _choose_password(
    page: Page, link: _PasswordLink, use: Callable[[str, str, Client], Awaitable[object]]
) -> Response:
    """The form's password pair checked, then ``use(token, password, client)``: a policy or
    rate-limit refusal shows the form again, any other ends the link."""
    token = page.cookie(link.cookie)
    if not token:
        return _no_link(page, link.title, link.invalid)
    password, problem = _password_pair(page)
    if problem:
        return page.render(link.template, status=400, policy=_policy(page), error=problem)
    try:
        await use(token, password, page.client)
    except AuthError as error:
        if error.code in (Code.FAILED_VALIDATION, Code.REQUESTS_EXCEEDED):
            return page.render(
                link.template,
                status=error.status,
                policy=_policy(page),
                error=messages.describe(error, link.kind, page.project.auth_password_policy),
            )
        page.drop_cookie(link.cookie)
        return _no_link(page, link.title, messages.describe(error, link.kind))
    page.drop_cookie(link.cookie)
    return page.redirect("/admin/login", link.notice)


def _policy(page: Page) -> str | None:
    return messages.describe_policy(page.project.auth_password_policy)


# --------------------------------------------------------------------- invitations


@page_handler()
async def invite_form(page: Page) -> Response:
    moved = _take_token(page, security.INVITE_COOKIE)
    if moved is not None:
        return moved
    if not page.cookie(security.INVITE_COOKIE):
        return _no_link(page, "Accept the invitation", "This invitation link is not valid.")
    return page.render("accept_invite.html", policy=_policy(page))


@page_handler()
async def invite_submit(page: Page) -> Response:
    return await _choose_password(page, _INVITE, page.services.invitations.accept)


# --------------------------------------------------------------------- registration


def _closed(page: Page) -> Response:
    return page.render(
        "message.html",
        status=403,
        title="Registration is closed",
        text="This project does not accept new accounts. Ask an administrator for an invitation.",
    )


@page_handler()
async def register_form(page: Page) -> Response:
    if not page.project.public_registration:
        return _closed(page)
    return page.render("register.html", values={}, policy=_policy(page))


@page_handler()
async def register_submit(page: Page) -> Response:
    """``POST /users/register`` as a form: the same limiter, checks and service."""
    if not page.project.public_registration:
        return _closed(page)
    values = {name: page.value(name) for name in ("email", "first_name", "last_name")}
    password, problem = _password_pair(page)

    def again(error: str, status: int = 400) -> Response:
        return page.render(
            "register.html", status=status, values=values, policy=_policy(page), error=error
        )

    if problem:
        return again(problem)
    services = page.services
    try:
        await services.limits.check_registration(page.client.ip)
        validate({"email": values["email"], "password": password}, _REGISTER)
        await services.registration.register(
            Registrant(
                email=values["email"],
                password=password,
                first_name=values["first_name"] or None,
                last_name=values["last_name"] or None,
            ),
            page.client,
        )
    except AuthError as error:
        if error.code == Code.INVALID_PAYLOAD and "email" in error.message:
            return again("Enter a valid email address.")
        return again(
            messages.describe(error, "register", page.project.auth_password_policy), error.status
        )
    return page.redirect("/admin/login", "registered")


def verified_landing(page: Page) -> Response:
    """Where ``GET /users/register/verify-email`` sends the browser (``/admin/users/<id>``)."""
    return page.render(
        "message.html",
        title="Email address verified",
        text="Your account is active. You can sign in now.",
        link=("/admin/login", "Sign in"),
    )
