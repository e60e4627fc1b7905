"""Every page under ``/admin``, and what the request pipeline needs to know about them."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from authgate.http.pipeline import PageArea
from authgate.pages import (
    account,
    account_access,
    admin_roles,
    admin_settings,
    admin_users,
    identities,
    links,
    passkeys,
    signin,
)
from authgate.pages.static import static_file
from authgate.pages.web import render_error

# Errors under /admin render as pages (a 404 for an unknown page, a 429 when rate-limited).
area = PageArea("/admin", render_error)
Endpoint = Callable[[Request], Awaitable[Response]]


def _get(path: str, endpoint: Endpoint) -> Route:
    return Route(path, endpoint, methods=["GET"])


def _post(path: str, endpoint: Endpoint) -> Route:
    return Route(path, endpoint, methods=["POST"])


routes = [
    _get("/admin/static/{name}", static_file),
    _get("/admin", signin.home),
    _get("/admin/login", signin.login_form),
    _post("/admin/login", signin.login_submit),
    _post("/admin/login/code", signin.code_submit),
    _post("/admin/logout", signin.logout),
    _get("/admin/password-request", links.password_request_form),
    _post("/admin/password-request", links.password_request_submit),
    _get("/admin/reset-password", links.reset_form),
    _post("/admin/reset-password", links.reset_submit),
    _get("/admin/accept-invite", links.invite_form),
    _post("/admin/accept-invite", links.invite_submit),
    _get("/admin/register", links.register_form),
    _post("/admin/register", links.register_submit),
    _get("/admin/account", account.account),
    _post("/admin/account/profile", account.save_profile),
    _post("/admin/account/email", account.save_email),
    _post("/admin/account/password", account.save_password),
    _get("/admin/account/two-factor", account.two_factor),
    _post("/admin/account/two-factor/start", account.two_factor_start),
    _post("/admin/account/two-factor/enable", account.two_factor_enable),
    _post("/admin/account/two-factor/disable", account.two_factor_disable),
    _post("/admin/account/recovery-codes", account.recovery_codes),
    _post("/admin/account/token", account.new_token),
    _post("/admin/account/token/remove", account.remove_token),
    _post("/admin/account/passkeys/remove", passkeys.remove_passkey),
    _post("/admin/account/sessions/end", account_access.end_session),
    _post("/admin/account/sessions/end-others", account_access.end_other_sessions),
    _post("/admin/account/keys", account_access.create_key),
    _post("/admin/account/keys/revoke", account_access.revoke_key),
    _post("/admin/account/identities/{key}/unlink", identities.unlink),
    _get("/admin/users", admin_users.users),
    _post("/admin/users", admin_users.create_user),
    _post("/admin/users/invite", admin_users.invite_user),
    _get("/admin/users/{key}", admin_users.user_detail),
    _post("/admin/users/{key}/status", admin_users.set_status),
    _post("/admin/users/{key}/role", admin_users.set_role),
    _post("/admin/users/{key}/tfa-reset", admin_users.reset_tfa),
    _post("/admin/users/{key}/policies", admin_users.add_policy),
    _post("/admin/users/{key}/policies/remove", admin_users.remove_policy),
    _get("/admin/roles", admin_roles.roles),
    _post("/admin/roles", admin_roles.create_role),
    _post("/admin/policies", admin_roles.create_policy),
    _get("/admin/roles/{key}", admin_roles.role_detail),
    _post("/admin/roles/{key}", admin_roles.update_role),
    _post("/admin/roles/{key}/policies", admin_roles.add_policy),
    _post("/admin/roles/{key}/policies/remove", admin_roles.remove_policy),
    _get("/admin/settings", admin_settings.settings),
    _post("/admin/settings", admin_settings.save_settings),
]
