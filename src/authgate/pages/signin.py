"""``/admin/login`` (email and password, then the one-time code when two-factor is on),
the SSO buttons, and ``/admin/logout``. Signing in is the API's session-mode login: the same
service call, and the same ``directus_session_token`` cookie."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from starlette.responses import Response

from authgate.errors import AuthError, Code
from authgate.pages import messages, security
from authgate.pages.web import Page, page_handler
from authgate.requester import RequestOrigin
from authgate.sessions.service import IssuedTokens
from authgate.urls import public_link
from authgate.web import context
from authgate.web.responses import clear_cookie, set_cookie

# Drivers whose sign-in is a redirect to another site (a link), not a form on this page.
_REDIRECT_DRIVERS = ("oauth2", "openid", "saml")
DEFAULT = "default"


@dataclass(frozen=True)
class ProviderLink:
    name: str
    label: str
    href: str


def _sso_links(page: Page, target: str) -> list[ProviderLink]:
    """The same providers ``GET /auth`` lists; each starts the API's SSO flow and comes back to
    this page (which then continues to ``target``, or shows the provider's ``?reason=``)."""
    back = public_link(page.settings.public_url, f"/admin/login?redirect={quote(target, safe='/')}")
    return [
        ProviderLink(
            provider.name,
            provider.label or provider.name.replace("_", " ").title(),
            f"/auth/login/{quote(provider.name)}?redirect={quote(back, safe='')}",
        )
        for provider in page.settings.providers
        if provider.driver in _REDIRECT_DRIVERS
    ]


def _password_providers(page: Page) -> list[tuple[str, str]]:
    """``(name, label)`` of the providers signed into with an email and a password here."""
    listed = [] if page.settings.auth_disable_default else [(DEFAULT, "This server")]
    listed += [
        (p.name, p.label or p.name.replace("_", " ").title())
        for p in page.settings.providers
        if p.driver == "local"
    ]
    return listed


def _target(page: Page, raw: str) -> str:
    target = page.safe_redirect(raw)
    return "/admin/account" if target.startswith("/admin/login") else target


def render_login(
    page: Page, target: str, *, error: str | None = None, email: str = "", status: int = 200
) -> Response:
    reason = messages.SSO_REASONS.get(page.query("reason"))
    return page.render(
        "login.html",
        status=status,
        target=target,
        email=email,
        error=error or reason,
        password_providers=_password_providers(page),
        sso=_sso_links(page, target),
    )


@page_handler()
async def login_form(page: Page) -> Response:
    target = _target(page, page.query("redirect"))
    if page.viewer is not None and not page.query("reason"):
        return page.redirect(target)
    page.drop_cookie(security.PENDING_COOKIE)
    return render_login(page, target)


@page_handler()
async def login_submit(page: Page) -> Response:
    target = _target(page, page.value("redirect"))
    email, password = page.value("email"), page.raw("password")
    provider = page.value("provider") or DEFAULT
    if provider not in {name for name, _ in _password_providers(page)}:
        return render_login(
            page, target, error="Signing in with a password is turned off here.", status=400
        )
    if not email or not password:
        return render_login(
            page, target, error="Enter your email address and password.", email=email, status=400
        )
    try:
        tokens = await page.services.sessions.login(
            email=email,
            password=password,
            otp=None,
            mode="session",
            client=page.client,
            provider=provider,
        )
    except AuthError as error:
        if error.code == Code.INVALID_OTP:
            return _ask_for_code(page, email, password, provider, target)
        return render_login(
            page, target, error=messages.describe(error, "login"), email=email, status=error.status
        )
    return signed_in(page, tokens, target, enrol=await _must_enrol(page, tokens))


def _ask_for_code(page: Page, email: str, password: str, provider: str, target: str) -> Response:
    """The password was right and two-factor is on: keep the login, sealed, for five minutes."""
    now = page.services.clock.now()
    pending = security.PendingLogin(email, password, provider, target, security.pending_expiry(now))
    page.set_cookie(
        security.PENDING_COOKIE,
        security.seal_pending(page.services.keys, pending),
        security.PENDING_TTL,
    )
    return page.render("otp.html")


@page_handler()
async def code_submit(page: Page) -> Response:
    now = page.services.clock.now()
    pending = security.open_pending(page.services.keys, page.cookie(security.PENDING_COOKIE), now)
    if pending is None:
        page.drop_cookie(security.PENDING_COOKIE)
        return render_login(
            page,
            "/admin/account",
            error="The sign-in took too long. Enter your email address and password again.",
            status=400,
        )
    code = page.value("otp").replace(" ", "")
    try:
        tokens = await page.services.sessions.login(
            email=pending.email,
            password=pending.password,
            otp=code,
            mode="session",
            client=page.client,
            provider=pending.provider,
        )
    except AuthError as error:
        if error.code == Code.INVALID_OTP:
            return page.render("otp.html", status=401, error=messages.WRONG_CODE)
        page.drop_cookie(security.PENDING_COOKIE)
        return render_login(
            page,
            pending.redirect,
            error=messages.describe(error, "otp"),
            email=pending.email,
            status=error.status,
        )
    return signed_in(page, tokens, pending.redirect, enrol=await _must_enrol(page, tokens))


async def _must_enrol(page: Page, tokens: IssuedTokens) -> bool:
    """Whether the new session may only set up two-factor (``access/enforcement.py``): the
    API's own rule, read as the next request will read it."""
    client = page.client
    origin = RequestOrigin(ip=client.ip, user_agent=client.user_agent, origin=client.origin)
    try:
        found = await page.services.authenticator.authenticate(tokens.access_token, origin)
    except AuthError:
        return False
    return found.tfa_setup_required


def signed_in(page: Page, tokens: IssuedTokens, target: str, *, enrol: bool = False) -> Response:
    """The session cookie exactly as ``POST /auth/login`` with ``mode=session`` sets it; on to
    the two-factor set-up first when a policy of theirs requires it and they have no second
    factor (``enrol``)."""
    services = page.services
    now = services.clock.now()
    context.state(page.request).stale_cookie = False
    page.drop_cookie(security.PENDING_COOKIE)
    if enrol:
        response = page.redirect("/admin/account/two-factor", "tfa-required")
    else:
        response = page.redirect(target)
    set_cookie(response, services.settings.session_cookie, tokens.access_token, now)
    return response


@page_handler()
async def logout(page: Page) -> Response:
    """Ends the session (the API's logout of the session id in the cookie), then the cookies."""
    if page.viewer is not None and page.viewer.accountability.session:
        await page.services.sessions.logout(
            page.viewer.accountability.session, mode="session", client=page.client
        )
    response = page.redirect("/admin/login", "signed-out")
    cookies = context.state(page.request).cookies
    for config in (page.settings.refresh_cookie, page.settings.session_cookie):
        if config.name in cookies:
            clear_cookie(response, config)
    return response


@page_handler()
async def home(page: Page) -> Response:
    return page.redirect("/admin/account" if page.viewer else "/admin/login")
