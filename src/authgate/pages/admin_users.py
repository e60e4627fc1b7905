"""``/admin/users`` for administrators: search and page through users, create and invite,
suspend and re-activate, reset two-factor, assign a role and policies.

Each action is the API's call (``/users``, ``/users/invite``, ``/users/:id/tfa/disable``,
``/access``) made with the administrator's accountability.
"""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from authgate.errors import AuthError, Code
from authgate.pages import messages
from authgate.pages.links import verified_landing
from authgate.pages.web import Page, page_handler
from authgate.query.params import Query
from authgate.uuids import is_uuid

PER_PAGE = 25
_LIST_FIELDS = ("id", "email", "first_name", "last_name", "status", "role.name", "tfa_secret")
_USER_FIELDS = (*_LIST_FIELDS, "role.id", "provider", "last_access", "token")
STATUSES = ("active", "suspended", "invited", "draft", "archived", "unverified")


async def choices(page: Page, collection: str) -> list[dict[str, Any]]:
    """Roles or policies to pick from (id and name, by name)."""
    result = await page.services.items.read(
        page.accountability,
        collection,
        Query(fields=("id", "name"), sort=("name",), limit=-1),
    )
    return result.data


def _page_number(raw: str) -> int:
    return min(int(raw), 10_000) if raw.isdigit() and int(raw) > 0 else 1


async def _list(page: Page, status: int = 200, **values: Any) -> Response:
    search = page.query("search")[:200]
    number = _page_number(page.query("page"))
    result = await page.services.users.read_many(
        page.accountability,
        Query(
            fields=_LIST_FIELDS,
            search=search or None,
            sort=("email",),
            limit=PER_PAGE,
            page=number,
            meta=("filter_count",),
        ),
    )
    total = (result.meta or {}).get("filter_count", len(result.data))
    pages = max(1, -(-total // PER_PAGE))
    values.setdefault("create", {})
    values.setdefault("invite", {})
    return page.render(
        "users.html",
        status=status,
        users=result.data,
        search=search,
        number=number,
        pages=pages,
        total=total,
        roles=await choices(page, "directus_roles"),
        statuses=STATUSES,
        **values,
    )


@page_handler("admin")
async def users(page: Page) -> Response:
    return await _list(page)


@page_handler("admin")
async def create_user(page: Page) -> Response:
    values = {name: page.value(name) for name in ("email", "first_name", "last_name", "role")}
    values["status"] = page.value("status") or "active"
    payload: dict[str, Any] = {k: v or None for k, v in values.items()}
    if page.raw("password"):
        payload["password"] = page.raw("password")
    try:
        await page.services.users.create(page.accountability, payload)
    except AuthError as error:
        text = messages.describe(error, "admin", page.project.auth_password_policy)
        return await _list(page, status=error.status, create=values, create_error=text)
    return page.redirect("/admin/users", "user-created")


@page_handler("admin")
async def invite_user(page: Page) -> Response:
    values = {"email": page.value("email"), "role": page.value("role")}
    try:
        if not values["email"] or not is_uuid(values["role"]):
            raise AuthError(Code.INVALID_PAYLOAD, "Enter an email address and a role.")
        await page.services.invitations.invite(
            page.accountability, [values["email"]], values["role"], None
        )
    except AuthError as error:
        text = messages.describe(error, "admin")
        return await _list(page, status=error.status, invite=values, invite_error=text)
    return page.redirect("/admin/users", "user-invited")


# ------------------------------------------------------------------------- one user


async def _user_page(page: Page, key: str, status: int = 200, error: str | None = None) -> Response:
    services = page.services
    user = await services.users.read_one(page.accountability, key, Query(fields=_USER_FIELDS))
    access = await services.items.read(
        page.accountability,
        "directus_access",
        Query(fields=("id", "policy.id", "policy.name"), filter={"user": {"_eq": key}}, limit=-1),
    )
    return page.render(
        "user.html",
        status=status,
        user=user,
        access=access.data,
        roles=await choices(page, "directus_roles"),
        policies=await choices(page, "directus_policies"),
        error=error,
    )


@page_handler()
async def user_detail(page: Page) -> Response:
    """An administrator's page of one user. Everyone else lands here after verifying an email
    address (the API redirects to ``/admin/users/<id>``, where Directus serves its app)."""
    if page.viewer is None or not page.viewer.admin:
        return verified_landing(page)
    return await _user_page(page, _key(page))


def _key(page: Page) -> str:
    key = str(page.request.path_params["key"])
    if not is_uuid(key):
        raise AuthError(Code.FORBIDDEN)
    return key.lower()


async def _act(page: Page, work: Any) -> Response:
    """Run one change on the user; back to their page with a notice, or the error on it."""
    key = _key(page)
    try:
        await work(key)
    except AuthError as error:
        text = messages.describe(error, "admin", page.project.auth_password_policy)
        return await _user_page(page, key, status=error.status, error=text)
    return page.redirect(f"/admin/users/{key}", "user-updated")


@page_handler("admin")
async def set_status(page: Page) -> Response:
    status = page.value("status")

    async def work(key: str) -> None:
        if status not in ("active", "suspended"):
            raise AuthError(Code.INVALID_PAYLOAD, "Choose active or suspended.")
        await page.services.users.update(page.accountability, [key], {"status": status})

    return await _act(page, work)


@page_handler("admin")
async def set_role(page: Page) -> Response:
    role = page.value("role") or None

    async def work(key: str) -> None:
        await page.services.users.update(page.accountability, [key], {"role": role})

    return await _act(page, work)


@page_handler("admin")
async def reset_tfa(page: Page) -> Response:
    async def work(key: str) -> None:
        await page.services.tfa.disable_for(page.accountability, key)

    return await _act(page, work)


@page_handler("admin")
async def add_policy(page: Page) -> Response:
    policy = page.value("policy")

    async def work(key: str) -> None:
        await page.services.items.create(
            page.accountability, "directus_access", {"user": key, "policy": policy or None}
        )

    return await _act(page, work)


@page_handler("admin")
async def remove_policy(page: Page) -> Response:
    access_id = page.value("access")

    async def work(key: str) -> None:
        await remove_access(page, access_id, {"user": {"_eq": key}})

    return await _act(page, work)


async def remove_access(page: Page, access_id: str, owner: dict[str, Any]) -> None:
    """Delete one ``directus_access`` row, only if it belongs to the user or role on screen."""
    if not is_uuid(access_id):
        raise AuthError(Code.FORBIDDEN)
    keys = await page.services.items.keys_for_query(
        page.accountability,
        "directus_access",
        Query(filter={"_and": [{"id": {"_eq": access_id}}, owner]}),
    )
    if not keys:
        raise AuthError(Code.FORBIDDEN)
    await page.services.items.delete(page.accountability, "directus_access", keys)
