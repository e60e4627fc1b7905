"""``/users``: the current user, registration, invitations, two-factor, and user management."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from authgate import payloads
from authgate.errors import AuthError, Code, forbidden, invalid_payload
from authgate.query.params import Query, parse_query
from authgate.users.registration import Registrant
from authgate.validate import validate
from authgate.web import context
from authgate.web.responses import data, json_response, no_content

_REGISTER = payloads.REGISTER
_INVITE = payloads.INVITE
_ACCEPT = payloads.ACCEPT_INVITE


async def read_me(request: Request) -> Response:
    services = context.services(request)
    return data(
        await services.users.read_me(context.accountability(request), context.query(request))
    )


async def update_me(request: Request) -> Response:
    services = context.services(request)
    accountability = context.accountability(request)
    if accountability.user is None:
        raise AuthError(Code.INVALID_CREDENTIALS)
    await services.users.update(accountability, [accountability.user], context.body(request))
    return await _read_back(request, [accountability.user], single=True)


async def track_page(request: Request) -> Response:
    body = context.body(request)
    accountability = context.accountability(request)
    if accountability.user is None:
        raise AuthError(Code.INVALID_CREDENTIALS)
    last_page = body.get("last_page") if isinstance(body, dict) else None
    if not last_page or not isinstance(last_page, str):
        raise invalid_payload('"last_page" key is required')
    await context.services(request).users.track_page(accountability, last_page)
    return no_content()


async def _read_back(request: Request, keys: list[str], *, single: bool) -> Response:
    services = context.services(request)
    result = await services.users.read_back(
        context.accountability(request), keys, context.query(request), single=single
    )
    return no_content() if result is None else data(result)


async def read_many(request: Request) -> Response:
    services = context.services(request)
    result = await services.users.read_many(context.accountability(request), context.query(request))
    return json_response(
        {"data": result.data, "meta": result.meta}
        if result.meta is not None
        else {"data": result.data}
    )


async def read_one(request: Request) -> Response:
    services = context.services(request)
    result = await services.users.read_one(
        context.accountability(request), request.path_params["key"], context.query(request)
    )
    return data(result)


async def create(request: Request) -> Response:
    services = context.services(request)
    payload = context.body(request)
    if not isinstance(payload, dict | list):
        raise invalid_payload('"value" must be of type object')
    keys = await services.users.create(context.accountability(request), payload)
    return await _read_back(request, keys, single=isinstance(payload, dict))


async def update_one(request: Request) -> Response:
    services = context.services(request)
    key = request.path_params["key"]
    keys = await services.users.update(
        context.accountability(request), [key], context.body(request)
    )
    return await _read_back(request, keys, single=True)


async def update_many(request: Request) -> Response:
    """``[{id, ...}]``, ``{keys, data}`` or ``{query, data}``."""
    services = context.services(request)
    accountability = context.accountability(request)
    payload = context.body(request)
    if isinstance(payload, list):
        keys = await services.users.update_each(accountability, payload)
        return await _read_back(request, keys, single=False)
    keys = await _keys_from(request, payload)
    if not isinstance(payload.get("data"), dict):
        raise invalid_payload('"data" is required')
    keys = await services.users.update(accountability, keys, payload["data"])
    return await _read_back(request, keys, single=False)


async def _keys_from(request: Request, payload: Any) -> list[str]:
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
    services = context.services(request)
    return await services.users.keys_for_query(context.accountability(request), query)


async def delete_one(request: Request) -> Response:
    services = context.services(request)
    await services.users.delete(context.accountability(request), [request.path_params["key"]])
    return no_content()


async def delete_many(request: Request) -> Response:
    services = context.services(request)
    payload = context.body(request)
    if isinstance(payload, list):
        keys = payload
        if not all(isinstance(k, str) for k in keys):
            raise forbidden()
    else:
        keys = await _keys_from(request, payload)
    await services.users.delete(context.accountability(request), keys)
    return no_content()


async def register(request: Request) -> Response:
    services = context.services(request)
    await services.limits.check_registration(context.state(request).ip)
    body = validate(context.body(request), _REGISTER, allow_unknown=False)
    registrant = Registrant(
        email=body["email"],
        password=body["password"],
        verification_url=body.get("verification_url"),
        first_name=body.get("first_name"),
        last_name=body.get("last_name"),
    )
    await services.registration.register(registrant, context.client(request))
    return no_content()


async def verify_email(request: Request) -> Response:
    services = context.services(request)
    token = context.query_param(request, "token")
    # Directus validates a present token as a non-empty string (Joi), and sends anything else
    # (empty, repeated, bracketed) to the sign-in page; an absent one fails verification.
    if token is not None and (not isinstance(token, str) or not token):
        return RedirectResponse("/admin/login", status_code=302)
    user_id = await services.registration.verify(token or "", context.client(request))
    return RedirectResponse(f"/admin/users/{user_id}", status_code=302)


async def invite(request: Request) -> Response:
    services = context.services(request)
    body = validate(context.body(request), _INVITE, allow_unknown=False)
    emails = body["email"] if isinstance(body["email"], list) else [body["email"]]
    try:
        await services.invitations.invite(
            context.accountability(request), emails, body["role"], body.get("invite_url")
        )
    except AuthError as error:
        if error.code != Code.FORBIDDEN:
            raise
    return no_content()


async def accept_invite(request: Request) -> Response:
    services = context.services(request)
    body = validate(context.body(request), _ACCEPT, allow_unknown=False)
    await services.invitations.accept(body["token"], body["password"], context.client(request))
    return no_content()


async def tfa_generate(request: Request) -> Response:
    services = context.services(request)
    body = context.body(request)
    password = body.get("password") if isinstance(body, dict) else None
    result = await services.tfa.generate(
        context.accountability(request), password if isinstance(password, str) else None
    )
    return data(result)


async def tfa_enable(request: Request) -> Response:
    body = context.body(request)
    body = body if isinstance(body, dict) else {}
    await context.services(request).tfa.enable(
        context.accountability(request), body.get("secret"), body.get("otp")
    )
    return no_content()


async def tfa_disable(request: Request) -> Response:
    body = context.body(request)
    body = body if isinstance(body, dict) else {}
    await context.services(request).tfa.disable(context.accountability(request), body.get("otp"))
    return no_content()


async def tfa_disable_for(request: Request) -> Response:
    key = request.path_params["key"]
    from authgate.uuids import is_uuid

    if not is_uuid(key):
        raise forbidden()
    await context.services(request).tfa.disable_for(context.accountability(request), key.lower())
    return no_content()


routes = [
    Route("/users/me", read_me, methods=["GET"]),
    Route("/users/me", update_me, methods=["PATCH"]),
    Route("/users/me/track/page", track_page, methods=["PATCH"]),
    Route("/users/me/tfa/generate", tfa_generate, methods=["POST"]),
    Route("/users/me/tfa/enable", tfa_enable, methods=["POST"]),
    Route("/users/me/tfa/disable", tfa_disable, methods=["POST"]),
    Route("/users/register", register, methods=["POST"]),
    Route("/users/register/verify-email", verify_email, methods=["GET"]),
    Route("/users/invite", invite, methods=["POST"]),
    Route("/users/invite/accept", accept_invite, methods=["POST"]),
    Route("/users", read_many, methods=["GET", "SEARCH"]),
    Route("/users", create, methods=["POST"]),
    Route("/users", update_many, methods=["PATCH"]),
    Route("/users", delete_many, methods=["DELETE"]),
    Route("/users/{key}/tfa/disable", tfa_disable_for, methods=["POST"]),
    Route("/users/{key}", read_one, methods=["GET"]),
    Route("/users/{key}", update_one, methods=["PATCH"]),
    Route("/users/{key}", delete_one, methods=["DELETE"]),
]
