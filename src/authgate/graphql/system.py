"""``/graphql/system``'s own operations: the ``auth_*`` mutations, registration, invitations,
two-factor, ``update_users_me``, and the ``server_ping``, ``users_me``, ``policies_me_globals``
queries (Directus's names, arguments and types). Each calls the service its REST twin calls;
cookies go to the context, for the HTTP answer."""

from __future__ import annotations

from typing import Any

from graphql import (
    GraphQLArgument,
    GraphQLBoolean,
    GraphQLEnumType,
    GraphQLField,
    GraphQLID,
    GraphQLInputObjectType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLString,
)

from authgate import payloads
from authgate.errors import invalid_payload
from authgate.graphql.context import Info, RequestContext
from authgate.graphql.items import selection_query
from authgate.graphql.scalars import GraphQLBigInt
from authgate.sessions.delivery import MISSING_REFRESH, deliver, presented_refresh_token
from authgate.system.me import my_collection_access, policy_globals
from authgate.users.registration import Registrant
from authgate.validate import validate

AUTH_TOKENS = GraphQLObjectType(
    "auth_tokens",
    {
        "access_token": GraphQLField(GraphQLString),
        "expires": GraphQLField(GraphQLBigInt),
        "refresh_token": GraphQLField(GraphQLString),
    },
)
AUTH_MODE = GraphQLEnumType("auth_mode", {"json": "json", "cookie": "cookie", "session": "session"})
TFA_GENERATED = GraphQLObjectType(
    "users_me_tfa_generate_data",
    {"secret": GraphQLField(GraphQLString), "otpauth_url": GraphQLField(GraphQLString)},
)
POLICY_GLOBALS = GraphQLObjectType(
    "policy_me_globals_type",
    {
        "enforce_tfa": GraphQLField(GraphQLBoolean),
        "app_access": GraphQLField(GraphQLBoolean),
        "admin_access": GraphQLField(GraphQLBoolean),
    },
)
# Directus's scalar for the ``/permissions/me`` summary (any JSON, as given).
PERMISSIONS_ME = GraphQLScalarType(
    "permissions_me_type", serialize=lambda value: value, parse_value=lambda value: value
)
# The current user when the caller may not read users: Directus answers ``{"id"}`` then.
USER_ID_ONLY = GraphQLObjectType("directus_users", {"id": GraphQLField(GraphQLID)})
TYPE_NAMES = frozenset(
    {
        "auth_tokens",
        "auth_mode",
        "users_me_tfa_generate_data",
        "policy_me_globals_type",
        "permissions_me_type",
    }
)

_STRING = GraphQLArgument(GraphQLString)
_REQUIRED = GraphQLArgument(GraphQLNonNull(GraphQLString))
_INVITE = {name: payloads.INVITE[name] for name in ("email", "invite_url")}  # no UUID check


def _context(info: Info) -> RequestContext:
    context: RequestContext = info.context
    return context


def _given(**args: Any) -> dict[str, Any]:
    return {name: value for name, value in args.items() if value is not None}


# ------------------------------------------------------------------- sessions


async def _login(
    _root: Any,
    info: Info,
    email: str,
    password: str,
    mode: str | None = None,
    otp: str | None = None,
) -> dict[str, Any]:
    """The default provider, even when ``AUTH_DISABLE_DEFAULT`` closes ``/auth/login``."""
    context = _context(info)
    chosen = mode or "json"
    tokens = await context.services.sessions.login(
        email=email,
        password=password,
        otp=otp or None,
        mode=chosen,  # type: ignore[arg-type]
        client=context.client,
        provider="default",
    )
    return _delivered(context, tokens, chosen)


def _delivered(context: RequestContext, tokens: Any, mode: str) -> dict[str, Any]:
    delivery = deliver(tokens, mode)  # type: ignore[arg-type]
    if delivery.cookie is not None:
        context.set_cookie(delivery.cookie, delivery.cookie_value)
    return delivery.payload


def _presented(context: RequestContext, mode: str, refresh_token: str | None) -> str:
    services = context.services
    token = presented_refresh_token(
        mode,
        refresh_token,
        context.cookies,
        services.settings,
        services.clock.now(),
        verify=services.sessions.verify_access,
    )
    if token is None:
        raise invalid_payload(MISSING_REFRESH)
    return token


async def _refresh(
    _root: Any,
    info: Info,
    refresh_token: str | None = None,
    mode: str | None = None,
) -> dict[str, Any]:
    """The mode defaults to json here (REST's default depends on the body)."""
    context = _context(info)
    chosen = mode or "json"
    token = _presented(context, chosen, refresh_token)
    tokens = await context.services.sessions.refresh(
        token,
        mode=chosen,  # type: ignore[arg-type]
        client=context.client,
    )
    return _delivered(context, tokens, chosen)


async def _logout(
    _root: Any,
    info: Info,
    refresh_token: str | None = None,
    mode: str | None = None,
) -> bool:
    context = _context(info)
    chosen = mode or "json"
    token = _presented(context, chosen, refresh_token)
    await context.services.sessions.logout(
        token,
        mode=chosen,  # type: ignore[arg-type]
        client=context.client,
    )
    context.clear_present_cookies()
    return True


# ------------------------------------------------------------ passwords, users


async def _password_request(
    _root: Any, info: Info, email: str, reset_url: str | None = None
) -> bool:
    await _context(info).services.recovery.request(email, reset_url or None)
    return True


async def _password_reset(_root: Any, info: Info, token: str, password: str) -> bool:
    context = _context(info)
    await context.services.recovery.reset(token, password, context.client)
    return True


async def _register(_root: Any, info: Info, **args: Any) -> bool:
    """The registration rate limit applies as on REST (Directus answers a tripped or disabled
    limiter with an internal error here; authgate answers ``REQUESTS_EXCEEDED``)."""
    context = _context(info)
    await context.services.limits.check_registration(context.client.ip)
    body = validate(_given(**args), payloads.REGISTER, allow_unknown=False)
    registrant = Registrant(
        email=body["email"],
        password=body["password"],
        verification_url=body.get("verification_url"),
        first_name=body.get("first_name"),
        last_name=body.get("last_name"),
    )
    await context.services.registration.register(registrant, context.client)
    return True


async def _register_verify(_root: Any, info: Info, token: str) -> bool:
    context = _context(info)
    await context.services.registration.verify(token, context.client)
    return True


async def _invite(
    _root: Any, info: Info, email: str, role: str, invite_url: str | None = None
) -> bool:
    """Unlike ``POST /users/invite``, a caller without the permission learns it (Directus)."""
    context = _context(info)
    body = validate(_given(email=email, invite_url=invite_url), _INVITE)
    await context.services.invitations.invite(
        context.accountability, [body["email"]], role, body.get("invite_url")
    )
    return True


async def _accept_invite(_root: Any, info: Info, token: str, password: str) -> bool:
    context = _context(info)
    body = validate({"token": token, "password": password}, payloads.ACCEPT_INVITE)
    await context.services.invitations.accept(body["token"], body["password"], context.client)
    return True


# ------------------------------------------------------------------ two-factor


async def _tfa_generate(_root: Any, info: Info, password: str) -> Any:
    """Always checks the password (so SSO users cannot use it, as in Directus)."""
    context = _context(info)
    if context.accountability.user is None:
        return None
    return await context.services.tfa.generate(
        context.accountability, password, always_check_password=True
    )


async def _tfa_enable(_root: Any, info: Info, otp: str, secret: str) -> Any:
    context = _context(info)
    if context.accountability.user is None:
        return None
    await context.services.tfa.enable(context.accountability, secret, otp)
    return True


async def _tfa_disable(_root: Any, info: Info, otp: str) -> Any:
    context = _context(info)
    if context.accountability.user is None:
        return None
    await context.services.tfa.disable(context.accountability, otp)
    return True


# --------------------------------------------------------------------- the user


async def _users_me(_root: Any, info: Info) -> Any:
    context = _context(info)
    if context.accountability.user is None:
        return None
    query = selection_query(info, {}, "id")
    return await context.services.users.read_me(context.accountability, query)


async def _update_users_me(_root: Any, info: Info, data: Any = None) -> Any:
    context = _context(info)
    user = context.accountability.user
    if user is None:
        return None
    await context.services.users.update(context.accountability, [user], data or {})
    query = selection_query(info, {}, "id")
    found = await context.services.users.read_back(
        context.accountability, [user], query, single=True
    )
    return found if found is not None else {"id": user}


async def _policies_me_globals(_root: Any, info: Info) -> Any:
    context = _context(info)
    accountability = context.accountability
    if accountability.user is None and accountability.role is None:
        return None
    return await context.services.db.read(policy_globals, accountability)


async def _permissions_me(_root: Any, info: Info) -> Any:
    context = _context(info)
    accountability = context.accountability
    if accountability.user is None and accountability.role is None:
        return None
    return await context.services.db.read(
        my_collection_access, context.services.items, accountability
    )


def _ping(_root: Any, _info: Info) -> str:
    return "pong"


def system_queries(
    users_type: GraphQLObjectType | None, *, reads_policies: bool, may_read_permissions: bool
) -> dict[str, GraphQLField]:
    """As Directus 12.4: ``users_me`` for callers who may read users, ``permissions_me`` for
    callers who may read permissions, ``policies_me_globals`` for callers who may read
    ``directus_policies`` (others get Directus's validation error for an unknown field)."""
    fields = {"server_ping": GraphQLField(GraphQLString, resolve=_ping)}
    if users_type is not None:
        fields["users_me"] = GraphQLField(users_type, resolve=_users_me)
    if may_read_permissions:
        fields["permissions_me"] = GraphQLField(PERMISSIONS_ME, resolve=_permissions_me)
    if reads_policies:
        fields["policies_me_globals"] = GraphQLField(POLICY_GLOBALS, resolve=_policies_me_globals)
    return fields


def system_mutations(
    *,
    users_type: GraphQLObjectType | None,
    users_update: GraphQLInputObjectType | None,
    may_invite: bool,
    has_user: bool,
) -> dict[str, GraphQLField]:
    mode = GraphQLArgument(AUTH_MODE)
    fields = {
        "auth_login": GraphQLField(
            AUTH_TOKENS,
            {"email": _REQUIRED, "password": _REQUIRED, "mode": mode, "otp": _STRING},
            resolve=_login,
        ),
        "auth_refresh": GraphQLField(
            AUTH_TOKENS, {"refresh_token": _STRING, "mode": mode}, resolve=_refresh
        ),
        "auth_logout": GraphQLField(
            GraphQLBoolean, {"refresh_token": _STRING, "mode": mode}, resolve=_logout
        ),
        "auth_password_request": GraphQLField(
            GraphQLBoolean, {"email": _REQUIRED, "reset_url": _STRING}, resolve=_password_request
        ),
        "auth_password_reset": GraphQLField(
            GraphQLBoolean, {"token": _REQUIRED, "password": _REQUIRED}, resolve=_password_reset
        ),
        "users_me_tfa_generate": GraphQLField(
            TFA_GENERATED, {"password": _REQUIRED}, resolve=_tfa_generate
        ),
        "users_me_tfa_enable": GraphQLField(
            GraphQLBoolean, {"otp": _REQUIRED, "secret": _REQUIRED}, resolve=_tfa_enable
        ),
        "users_me_tfa_disable": GraphQLField(
            GraphQLBoolean, {"otp": _REQUIRED}, resolve=_tfa_disable
        ),
        "users_invite_accept": GraphQLField(
            GraphQLBoolean, {"token": _REQUIRED, "password": _REQUIRED}, resolve=_accept_invite
        ),
        "users_register": GraphQLField(
            GraphQLBoolean,
            {
                "email": _REQUIRED,
                "password": _REQUIRED,
                "verification_url": _STRING,
                "first_name": _STRING,
                "last_name": _STRING,
            },
            resolve=_register,
        ),
        "users_register_verify": GraphQLField(
            GraphQLBoolean, {"token": _REQUIRED}, resolve=_register_verify
        ),
    }
    if may_invite:
        fields["users_invite"] = GraphQLField(
            GraphQLBoolean,
            {"email": _REQUIRED, "role": _REQUIRED, "invite_url": _STRING},
            resolve=_invite,
        )
    if has_user and users_update is not None:
        fields["update_users_me"] = GraphQLField(
            users_type or USER_ID_ONLY,
            {"data": GraphQLArgument(users_update)},
            resolve=_update_users_me,
        )
    return fields
