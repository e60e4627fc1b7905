"""``/admin/account``: the signed-in person's profile, email and password, two-factor
enrolment (QR code drawn on the server, the secret as text), the static token, signing out;
the sessions and API keys (``account_access.py``).

Every change is the API's own call for ``/users/me`` or ``/users/me/tfa/*``, made with the
viewer's accountability, so permissions, the password policy and session endings all apply.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

from starlette.responses import Response

from authgate import crypto
from authgate.errors import AuthError, Code
from authgate.pages import account_access, messages
from authgate.pages.identities import identities_card
from authgate.pages.passkeys import passkeys_of
from authgate.pages.qr import grouped, qr_svg
from authgate.pages.web import Page, page_handler
from authgate.query.params import Query
from authgate.users.model import DEFAULT_PROVIDER


async def _token_is_set(page: Page) -> bool | None:
    """Whether a static token is set (``None``: the viewer may not read that field)."""
    me = await page.services.users.read_me(page.accountability, Query(fields=("token",)))
    return bool(me["token"]) if "token" in me else None


async def _account(page: Page, status: int = 200, **values: Any) -> Response:
    assert page.viewer is not None
    user = page.viewer.user
    values.setdefault("profile", {"first_name": user.first_name, "last_name": user.last_name})
    values.setdefault("email", user.email or "")
    values.update(await account_access.listing(page))
    return page.render(
        "account.html",
        status=status,
        user=user,
        token_set=await _token_is_set(page),
        policy=messages.describe_policy(page.project.auth_password_policy),
        tfa_required=page.viewer.enforce_tfa,
        passkeys=await passkeys_of(page),
        recovery_left=await _codes_left(page) if user.tfa_secret else None,
        asks_password=_asks_password(page),
        identities=await identities_card(page),
        **values,
    )


render_account = _account  # for the forms of passkeys.py and account_access.py (errors)


async def _codes_left(page: Page) -> int:
    return await page.services.recovery_codes.remaining(page.accountability)


@page_handler("user")
async def account(page: Page) -> Response:
    return await _account(page)


async def _update_me(page: Page, payload: dict[str, Any]) -> None:
    me = page.accountability.user
    assert me is not None
    await page.services.users.update(page.accountability, [me], payload)


@page_handler("user")
async def save_profile(page: Page) -> Response:
    profile = {name: page.value(name) or None for name in ("first_name", "last_name")}
    try:
        await _update_me(page, profile)
    except AuthError as error:
        return await _account(
            page,
            status=error.status,
            profile=profile,
            profile_error=messages.describe(error, "account"),
        )
    return page.redirect("/admin/account", "profile-saved")


@page_handler("user")
async def save_email(page: Page) -> Response:
    email = page.value("email")
    try:
        if not email:
            raise AuthError(Code.FAILED_VALIDATION, extensions={"field": "email"})
        await _update_me(page, {"email": email})
    except AuthError as error:
        return await _account(
            page, status=error.status, email=email, email_error=messages.describe(error, "account")
        )
    return page.redirect("/admin/account", "email-changed")


@page_handler("user")
async def save_password(page: Page) -> Response:
    password = page.raw("password")
    problem = None
    if not password:
        problem = "Choose a password."
    elif password != page.raw("confirm"):
        problem = "The two passwords are not the same."
    if problem is None:
        try:
            await _update_me(page, {"password": password})
        except AuthError as error:
            problem = messages.describe(error, "account", page.project.auth_password_policy)
    if problem is not None:
        return await _account(page, status=400, password_error=problem)
    return page.redirect("/admin/account", "password-changed")


# ---------------------------------------------------------------------- two-factor


def _asks_password(page: Page) -> bool:
    assert page.viewer is not None
    return page.viewer.user.provider == DEFAULT_PROVIDER


@page_handler("user")
async def two_factor(page: Page) -> Response:
    return page.render("tfa_start.html", asks_password=_asks_password(page))


@page_handler("user")
async def two_factor_start(page: Page) -> Response:
    """``POST /users/me/tfa/generate``: a new secret (nothing stored yet) and its QR code."""
    try:
        generated = await page.services.tfa.generate(
            page.accountability, page.raw("password") or None
        )
    except AuthError as error:
        return page.render(
            "tfa_start.html",
            status=error.status,
            asks_password=_asks_password(page),
            error=messages.describe(error, "tfa"),
        )
    return _enrol(page, generated["otpauth_url"])


def _enrol(page: Page, otpauth_url: str, status: int = 200, error: str | None = None) -> Response:
    secret = _secret_of(otpauth_url)
    return page.render(
        "tfa_enrol.html",
        status=status,
        otpauth_url=otpauth_url,
        qr=qr_svg(otpauth_url),
        secret=grouped(secret),
        error=error,
    )


def _secret_of(otpauth_url: str) -> str:
    parts = urlsplit(otpauth_url)
    if parts.scheme != "otpauth":
        return ""
    return parse_qs(parts.query).get("secret", [""])[0]


@page_handler("user")
async def two_factor_enable(page: Page) -> Response:
    """``POST /users/me/tfa/enable`` with the secret the enrolment page showed and a code."""
    otpauth_url = page.value("otpauth_url")
    secret = _secret_of(otpauth_url)
    if not secret:
        return page.redirect("/admin/account/two-factor")
    try:
        await page.services.tfa.enable(
            page.accountability, secret, page.value("otp").replace(" ", "")
        )
    except AuthError as error:
        return _enrol(page, otpauth_url, error.status, messages.describe(error, "tfa"))
    return page.redirect("/admin/account", "tfa-enabled")


@page_handler("user")
async def two_factor_disable(page: Page) -> Response:
    try:
        await page.services.tfa.disable(page.accountability, page.value("otp").replace(" ", ""))
    except AuthError as error:
        return await _account(page, status=error.status, tfa_error=messages.describe(error, "tfa"))
    return page.redirect("/admin/account", "tfa-disabled")


@page_handler("user")
async def recovery_codes(page: Page) -> Response:
    """``POST /users/me/tfa/recovery-codes``: a new set, shown this once."""
    try:
        codes = await page.services.recovery_codes.regenerate(
            page.accountability,
            page.raw("password") or None,
            page.value("otp").replace(" ", ""),
        )
    except AuthError as error:
        return await _account(
            page, status=error.status, recovery_error=messages.describe(error, "tfa")
        )
    return page.render("recovery_codes.html", codes=codes)


# ---------------------------------------------------------------------- static token


@page_handler("user")
async def new_token(page: Page) -> Response:
    """A new static token, stored (as the API stores it: hashed) and shown this once."""
    token = crypto.random_token()
    try:
        await _update_me(page, {"token": token})
    except AuthError as error:
        return await _account(
            page, status=error.status, token_error=messages.describe(error, "account")
        )
    return page.render("token_created.html", token=token)


@page_handler("user")
async def remove_token(page: Page) -> Response:
    try:
        await _update_me(page, {"token": None})
    except AuthError as error:
        return await _account(
            page, status=error.status, token_error=messages.describe(error, "account")
        )
    return page.redirect("/admin/account", "token-removed")
