"""``/admin/settings`` for administrators: registration and sign-in security, saved with the
API's ``PATCH /settings`` (the same checks: a usable regex, a positive attempt limit)."""

from __future__ import annotations

import json
from typing import Any

from starlette.responses import Response

from authgate.errors import AuthError, invalid_payload
from authgate.pages import messages
from authgate.pages.admin_users import choices
from authgate.pages.web import Page, page_handler
from authgate.query.params import Query

FIELDS = (
    "public_registration",
    "public_registration_verify_email",
    "public_registration_role",
    "public_registration_email_filter",
    "auth_login_attempts",
    "auth_password_policy",
)
PRESETS = {"weak": messages.WEAK_POLICY, "strong": messages.STRONG_POLICY}


def as_form(stored: dict[str, Any]) -> dict[str, Any]:
    """The stored settings as the form shows them."""
    policy = stored.get("auth_password_policy") or ""
    preset = next((name for name, value in PRESETS.items() if value == policy), None)
    email_filter = stored.get("public_registration_email_filter")
    attempts = stored.get("auth_login_attempts")
    return {
        "public_registration": bool(stored.get("public_registration")),
        "public_registration_verify_email": bool(stored.get("public_registration_verify_email")),
        "public_registration_role": stored.get("public_registration_role") or "",
        "email_filter": json.dumps(email_filter, indent=2) if email_filter else "",
        "auth_login_attempts": "" if attempts is None else str(attempts),
        "policy_choice": preset or ("custom" if policy else "none"),
        "custom_policy": "" if preset else policy,
    }


def typed_form(page: Page) -> dict[str, Any]:
    return {
        "public_registration": page.value("public_registration") == "on",
        "public_registration_verify_email": page.value("public_registration_verify_email") == "on",
        "public_registration_role": page.value("public_registration_role"),
        "email_filter": page.value("email_filter"),
        "auth_login_attempts": page.value("auth_login_attempts"),
        "policy_choice": page.value("policy_choice") or "none",
        "custom_policy": page.value("custom_policy"),
    }


def payload_of(typed: dict[str, Any]) -> dict[str, Any]:
    """The form as typed, as the body of ``PATCH /settings``.

    Raises:
        AuthError: ``INVALID_PAYLOAD`` for a filter that is not JSON or an attempt count that is
            not a whole number (the API's own checks run on the rest).
    """
    payload: dict[str, Any] = {
        "public_registration": typed["public_registration"],
        "public_registration_verify_email": typed["public_registration_verify_email"],
        "public_registration_role": typed["public_registration_role"] or None,
    }
    try:
        payload["public_registration_email_filter"] = (
            json.loads(typed["email_filter"]) if typed["email_filter"] else None
        )
    except ValueError:
        raise invalid_payload("The email filter is not valid JSON") from None
    attempts = typed["auth_login_attempts"]
    if attempts and not attempts.isdigit():
        raise invalid_payload("Login attempts must be a whole number, or empty for no limit")
    payload["auth_login_attempts"] = int(attempts) if attempts else None
    choice = typed["policy_choice"]
    if choice in PRESETS:
        payload["auth_password_policy"] = PRESETS[choice]
    elif choice == "custom":
        payload["auth_password_policy"] = typed["custom_policy"] or None
    else:
        payload["auth_password_policy"] = None
    return payload


async def _render(page: Page, form: dict[str, Any], status: int = 200, **values: Any) -> Response:
    return page.render(
        "settings.html",
        status=status,
        form=form,
        roles=await choices(page, "directus_roles"),
        **values,
    )


@page_handler("admin")
async def settings(page: Page) -> Response:
    stored = await page.services.project.read(page.accountability, Query(fields=FIELDS))
    return await _render(page, as_form(stored))


@page_handler("admin")
async def save_settings(page: Page) -> Response:
    typed = typed_form(page)
    try:
        await page.services.project.update(page.accountability, payload_of(typed))
    except AuthError as error:
        return await _render(
            page, typed, status=error.status, error=messages.describe(error, "admin")
        )
    return page.redirect("/admin/settings", "settings-saved")
