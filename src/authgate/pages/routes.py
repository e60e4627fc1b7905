"""Every page under ``/admin``, and what the request pipeline needs to know about them."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

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
from authgate.pages.web import PageServices, render_error
from authgate.web.pipeline import PageArea

# Errors under /admin render as pages (a 404 for an unknown page, a 429 when rate-limited).
area = PageArea("/admin", render_error)
Endpoint = Callable[[Request], Awaitable[Response]]


def _get(path: str, endpoint: Endpoint) -> Route:
    return Route(path, endpoint, methods=["GET"])


def _post(path: str, endpoint: Endpoint) -> Route:
    return Route(path, endpoint, methods=["POST"])


def routes(services: PageServices) -> list[Route]:
    """Every page, each handler given the services the pages use."""
    return [
        _get("/admin/static/{name}", static_file),
        _get("/admin", signin.home.bind(services)),
        _get("/admin/login", signin.login_form.bind(services)),
        _post("/admin/login", signin.login_submit.bind(services)),
        _post("/admin/login/code", signin.code_submit.bind(services)),
        _post("/admin/logout", signin.logout.bind(services)),
        _get("/admin/password-request", links.password_request_form.bind(services)),
        _post("/admin/password-request", links.password_request_submit.bind(services)),
        _get("/admin/reset-password", links.reset_form.bind(services)),
        _post("/admin/reset-password", links.reset_submit.bind(services)),
        _get("/admin/accept-invite", links.invite_form.bind(services)),
        _post("/admin/accept-invite", links.invite_submit.bind(services)),
        _get("/admin/register", links.register_form.bind(services)),
        _post("/admin/register", links.register_submit.bind(services)),
        _get("/admin/account", account.account.bind(services)),
        _post("/admin/account/profile", account.save_profile.bind(services)),
        _post("/admin/account/email", account.save_email.bind(services)),
        _post("/admin/account/password", account.save_password.bind(services)),
        _get("/admin/account/two-factor", account.two_factor.bind(services)),
        _post("/admin/account/two-factor/start", account.two_factor_start.bind(services)),
        _post("/admin/account/two-factor/enable", account.two_factor_enable.bind(services)),
        _post("/admin/account/two-factor/disable", account.two_factor_disable.bind(services)),
        _post("/admin/account/recovery-codes", account.recovery_codes.bind(services)),
        _post("/admin/account/token", account.new_token.bind(services)),
        _post("/admin/account/token/remove", account.remove_token.bind(services)),
        _post("/admin/account/passkeys/remove", passkeys.remove_passkey.bind(services)),
        _post("/admin/account/sessions/end", account_access.end_session.bind(services)),
        _post(
            "/admin/account/sessions/end-others",
            account_access.end_other_sessions.bind(services),
        ),
        _post("/admin/account/keys", account_access.create_key.bind(services)),
        _post("/admin/account/keys/revoke", account_access.revoke_key.bind(services)),
        _post("/admin/account/identities/{key}/unlink", identities.unlink.bind(services)),
        _get("/admin/users", admin_users.users.bind(services)),
        _post("/admin/users", admin_users.create_user.bind(services)),
        _post("/admin/users/invite", admin_users.invite_user.bind(services)),
        _get("/admin/users/{key}", admin_users.user_detail.bind(services)),
        _post("/admin/users/{key}/status", admin_users.set_status.bind(services)),
        _post("/admin/users/{key}/role", admin_users.set_role.bind(services)),
        _post("/admin/users/{key}/tfa-reset", admin_users.reset_tfa.bind(services)),
        _post("/admin/users/{key}/policies", admin_users.add_policy.bind(services)),
        _post("/admin/users/{key}/policies/remove", admin_users.remove_policy.bind(services)),
        _get("/admin/roles", admin_roles.roles.bind(services)),
        _post("/admin/roles", admin_roles.create_role.bind(services)),
        _post("/admin/policies", admin_roles.create_policy.bind(services)),
        _get("/admin/roles/{key}", admin_roles.role_detail.bind(services)),
        _post("/admin/roles/{key}", admin_roles.update_role.bind(services)),
        _post("/admin/roles/{key}/policies", admin_roles.add_policy.bind(services)),
        _post("/admin/roles/{key}/policies/remove", admin_roles.remove_policy.bind(services)),
        _get("/admin/settings", admin_settings.settings.bind(services)),
        _post("/admin/settings", admin_settings.save_settings.bind(services)),
    ]
