"""``/users``: the current user, registration, invitations, two-factor, and user management."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from authgate import payloads
from authgate.errors import AuthError, Code, forbidden, invalid_payload
from authgate.query.params import Query, parse_query
from authgate.ratelimit.requests import RequestLimits
from authgate.users.invites import Invitations
from authgate.users.registration import Registrant, Registration
from authgate.users.service import UserService
from authgate.users.tfa import TwoFactor
from authgate.validate import validate
from authgate.web import context
from authgate.web.responses import data, json_response, no_content


@dataclass(frozen=True)
class UsersDeps:
    users: UserService
    registration: Registration
    invitations: Invitations
    tfa: TwoFactor
    limits: RequestLimits
    query_limit_max: int | None


_REGISTER = payloads.REGISTER
_INVITE = payloads.INVITE
_ACCEPT = payloads.ACCEPT_INVITE


async def read_me(deps: UsersDeps, request: Request) -> Response:
    return data(
        await deps.users.read_me(
            context.accountability(request), context.read_query(request, deps.query_limit_max)
        )
    )


async def update_me(deps: UsersDeps, request: Request) -> Response:
    accountability = context.accountability(request)
    if accountability.user is None:
        raise AuthError(Code.INVALID_CREDENTIALS)
    await deps.users.update(accountability, [accountability.user], context.body(request))
    return await _read_back(deps, request, [accountability.user], single=True)


async def track_page(deps: UsersDeps, request: Request) -> Response:
    body = context.body(request)
    accountability = context.accountability(request)
    if accountability.user is None:
        raise AuthError(Code.INVALID_CREDENTIALS)
    last_page = body.get("last_page") if isinstance(body, dict) else None
    if not last_page or not isinstance(last_page, str):
        raise invalid_payload('"last_page" key is required')
    await deps.users.track_page(accountability, last_page)
    return no_content()


async def _read_back(
    deps: UsersDeps, request: Request, keys: list[str], *, single: bool
) -> Response:
    result = await deps.users.read_back(
        context.accountability(request),
        keys,
        context.read_query(request, deps.query_limit_max),
        single=single,
    )
    return no_content() if result is None else data(result)


async def read_many(deps: UsersDeps, request: Request) -> Response:
    result = await deps.users.read_many(
        context.accountability(request), context.read_query(request, deps.query_limit_max)
    )
    return json_response(
        {"data": result.data, "meta": result.meta}
        if result.meta is not None
        else {"data": result.data}
    )


async def read_one(deps: UsersDeps, request: Request) -> Response:
    result = await deps.users.read_one(
        context.accountability(request),
        request.path_params["key"],
        context.read_query(request, deps.query_limit_max),
    )
    return data(result)


async def create(deps: UsersDeps, request: Request) -> Response:
    payload = context.body(request)
    if not isinstance(payload, dict | list):
        raise invalid_payload('"value" must be of type object')
    keys = await deps.users.create(context.accountability(request), payload)
    return await _read_back(deps, request, keys, single=isinstance(payload, dict))


async def update_one(deps: UsersDeps, request: Request) -> Response:
    key = request.path_params["key"]
    keys = await deps.users.update(context.accountability(request), [key], context.body(request))
    return await _read_back(deps, request, keys, single=True)


async def update_many(deps: UsersDeps, request: Request) -> Response:
    """``[{id, ...}]``, ``{keys, data}`` or ``{query, data}``."""
    accountability = context.accountability(request)
    payload = context.body(request)
    if isinstance(payload, list):
        keys = await deps.users.update_each(accountability, payload)
        return await _read_back(deps, request, keys, single=False)
    keys = await _keys_from(deps, request, payload)
    if not isinstance(payload.get("data"), dict):
        raise invalid_payload('"data" is required')
    keys = await deps.users.update(accountability, keys, payload["data"])
    return await _read_back(deps, request, keys, single=False)


async def _keys_from(deps: UsersDeps, request: Request, payload: Any) -> list[str]:
    if not isinstance(payload, dict):
        raise invalid_payload('"value" must be of type object')
    has_keys, has_query = "keys" in payload, "query" in payload
    if has_keys == has_query:
        raise invalid_payload('Either "keys" or "query" is required')
    if has_keys:
        keys = payload["keys"]
        if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
            raise invalid_payload('"keys" must be an array of ids')
        return keys
    if not isinstance(payload["query"], dict):
        raise invalid_payload('"query" must be an object')
    query: Query = parse_query(payload["query"])
    return await deps.users.keys_for_query(context.accountability(request), query)


async def delete_one(deps: UsersDeps, request: Request) -> Response:
    await deps.users.delete(context.accountability(request), [request.path_params["key"]])
    return no_content()


async def delete_many(deps: UsersDeps, request: Request) -> Response:
    payload = context.body(request)
    if isinstance(payload, list):
        keys = payload
        if not all(isinstance(k, str) for k in keys):
            raise forbidden()
    else:
        keys = await _keys_from(deps, request, payload)
    await deps.users.delete(context.accountability(request), keys)
    return no_content()


async def register(deps: UsersDeps, request: Request) -> Response:
    await deps.limits.check_registration(context.state(request).ip)
    body = validate(context.body(request), _REGISTER, allow_unknown=False)
    registrant = Registrant(
        email=body["email"],
        password=body["password"],
        verification_url=body.get("verification_url"),
        first_name=body.get("first_name"),
        last_name=body.get("last_name"),
    )
    await deps.registration.register(registrant, context.client(request))
    return no_content()


async def verify_email(deps: UsersDeps, request: Request) -> Response:
    token = context.query_param(request, "token")
    # Directus validates a present token as a non-empty string (Joi), and sends anything else
    # (empty, repeated, bracketed) to the sign-in page; an absent one fails verification.
    if token is not None and (not isinstance(token, str) or not token):
        return RedirectResponse("/admin/login", status_code=302)
    user_id = await deps.registration.verify(token or "", context.client(request))
    return RedirectResponse(f"/admin/users/{user_id}", status_code=302)


async def invite(deps: UsersDeps, request: Request) -> Response:
    body = validate(context.body(request), _INVITE, allow_unknown=False)
    emails = body["email"] if isinstance(body["email"], list) else [body["email"]]
    try:
        await deps.invitations.invite(
            context.accountability(request), emails, body["role"], body.get("invite_url")
        )
    except AuthError as error:
        if error.code != Code.FORBIDDEN:
            raise
    return no_content()


async def accept_invite(deps: UsersDeps, request: Request) -> Response:
    body = validate(context.body(request), _ACCEPT, allow_unknown=False)
    await deps.invitations.accept(body["token"], body["password"], context.client(request))
    return no_content()


async def tfa_generate(deps: UsersDeps, request: Request) -> Response:
    body = context.body(request)
    password = body.get("password") if isinstance(body, dict) else None
    result = await deps.tfa.generate(
        context.accountability(request), password if isinstance(password, str) else None
    )
    return data(result)


async def tfa_enable(deps: UsersDeps, request: Request) -> Response:
    body = context.body(request)
    body = body if isinstance(body, dict) else {}
    await deps.tfa.enable(context.accountability(request), body.get("secret"), body.get("otp"))
    return no_content()


async def tfa_disable(deps: UsersDeps, request: Request) -> Response:
    body = context.body(request)
    body = body if isinstance(body, dict) else {}
    await deps.tfa.disable(context.accountability(request), body.get("otp"))
    return no_content()


async def tfa_disable_for(deps: UsersDeps, request: Request) -> Response:
    key = request.path_params["key"]
    from authgate.uuids import is_uuid

    if not is_uuid(key):
        raise forbidden()
    await deps.tfa.disable_for(context.accountability(request), key.lower())
    return no_content()


def routes(deps: UsersDeps) -> list[Route]:
    return [
        Route("/users/me", partial(read_me, deps), methods=["GET"]),
        Route("/users/me", partial(update_me, deps), methods=["PATCH"]),
        Route("/users/me/track/page", partial(track_page, deps), methods=["PATCH"]),
        Route("/users/me/tfa/generate", partial(tfa_generate, deps), methods=["POST"]),
        Route("/users/me/tfa/enable", partial(tfa_enable, deps), methods=["POST"]),
        Route("/users/me/tfa/disable", partial(tfa_disable, deps), methods=["POST"]),
        Route("/users/register", partial(register, deps), methods=["POST"]),
        Route("/users/register/verify-email", partial(verify_email, deps), methods=["GET"]),
        Route("/users/invite", partial(invite, deps), methods=["POST"]),
        Route("/users/invite/accept", partial(accept_invite, deps), methods=["POST"]),
        Route("/users", partial(read_many, deps), methods=["GET", "SEARCH"]),
        Route("/users", partial(create, deps), methods=["POST"]),
        Route("/users", partial(update_many, deps), methods=["PATCH"]),
        Route("/users", partial(delete_many, deps), methods=["DELETE"]),
        Route("/users/{key}/tfa/disable", partial(tfa_disable_for, deps), methods=["POST"]),
        Route("/users/{key}", partial(read_one, deps), methods=["GET"]),
        Route("/users/{key}", partial(update_one, deps), methods=["PATCH"]),
        Route("/users/{key}", partial(delete_one, deps), methods=["DELETE"]),
    ]
