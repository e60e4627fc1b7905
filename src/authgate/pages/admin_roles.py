"""``/admin/roles`` for administrators: the roles and policies, creating both, and which
policies a role has. The API's ``/roles``, ``/policies`` and ``/access`` calls, as the
administrator."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from authgate.errors import AuthError, Code
from authgate.pages import messages
from authgate.pages.admin_users import choices, remove_access
from authgate.pages.web import Page, page_handler
from authgate.query.params import Query
from authgate.uuids import is_uuid

_POLICY_FIELDS = ("id", "name", "description", "admin_access", "app_access", "enforce_tfa")


async def _list(page: Page, status: int = 200, **values: Any) -> Response:
    services = page.services
    roles = await services.items.read(
        page.accountability,
        "directus_roles",
        Query(fields=("id", "name", "description", "parent.name"), sort=("name",), limit=-1),
    )
    policies = await services.items.read(
        page.accountability, "directus_policies", Query(fields=_POLICY_FIELDS, sort=("name",))
    )
    values.setdefault("role_form", {})
    values.setdefault("policy_form", {})
    return page.render(
        "roles.html", status=status, roles=roles.data, policies=policies.data, **values
    )


@page_handler("admin")
async def roles(page: Page) -> Response:
    return await _list(page)


@page_handler("admin")
async def create_role(page: Page) -> Response:
    form = {name: page.value(name) for name in ("name", "description", "parent")}
    try:
        if not form["name"]:
            raise AuthError(Code.INVALID_PAYLOAD, "Give the role a name.")
        keys = await page.services.items.create(
            page.accountability, "directus_roles", {k: v or None for k, v in form.items()}
        )
    except AuthError as error:
        text = messages.describe(error, "admin")
        return await _list(page, status=error.status, role_form=form, role_error=text)
    return page.redirect(f"/admin/roles/{keys[0]}", "role-created")


@page_handler("admin")
async def create_policy(page: Page) -> Response:
    form: dict[str, Any] = {name: page.value(name) for name in ("name", "description")}
    for flag in ("admin_access", "app_access", "enforce_tfa"):
        form[flag] = page.value(flag) == "on"
    try:
        if not form["name"]:
            raise AuthError(Code.INVALID_PAYLOAD, "Give the policy a name.")
        await page.services.items.create(
            page.accountability,
            "directus_policies",
            {**form, "description": form["description"] or None},
        )
    except AuthError as error:
        text = messages.describe(error, "admin")
        return await _list(page, status=error.status, policy_form=form, policy_error=text)
    return page.redirect("/admin/roles", "policy-created")


# ------------------------------------------------------------------------- one role


def _key(page: Page) -> str:
    key = str(page.request.path_params["key"])
    if not is_uuid(key):
        raise AuthError(Code.FORBIDDEN)
    return key.lower()


async def _role_page(page: Page, key: str, status: int = 200, error: str | None = None) -> Response:
    services = page.services
    role = await services.items.read_one(
        page.accountability,
        "directus_roles",
        key,
        Query(fields=("id", "name", "description", "parent.id", "parent.name")),
    )
    access = await services.items.read(
        page.accountability,
        "directus_access",
        Query(fields=("id", "policy.id", "policy.name"), filter={"role": {"_eq": key}}, limit=-1),
    )
    members = await services.users.read_many(
        page.accountability,
        Query(fields=("id", "email"), filter={"role": {"_eq": key}}, sort=("email",), limit=50),
    )
    return page.render(
        "role.html",
        status=status,
        role=role,
        access=access.data,
        members=members.data,
        roles=[r for r in await choices(page, "directus_roles") if r["id"] != key],
        policies=await choices(page, "directus_policies"),
        error=error,
    )


@page_handler("admin")
async def role_detail(page: Page) -> Response:
    return await _role_page(page, _key(page))


async def _act(page: Page, work: Any) -> Response:
    key = _key(page)
    try:
        await work(key)
    except AuthError as error:
        return await _role_page(
            page, key, status=error.status, error=messages.describe(error, "admin")
        )
    return page.redirect(f"/admin/roles/{key}", "role-updated")


@page_handler("admin")
async def update_role(page: Page) -> Response:
    payload = {name: page.value(name) or None for name in ("name", "description", "parent")}

    async def work(key: str) -> None:
        if not payload["name"]:
            raise AuthError(Code.INVALID_PAYLOAD, "Give the role a name.")
        await page.services.items.update(page.accountability, "directus_roles", [key], payload)

    return await _act(page, work)


@page_handler("admin")
async def add_policy(page: Page) -> Response:
    policy = page.value("policy") or None

    async def work(key: str) -> None:
        await page.services.items.create(
            page.accountability, "directus_access", {"role": key, "policy": policy}
        )

    return await _act(page, work)


@page_handler("admin")
async def remove_policy(page: Page) -> Response:
    access_id = page.value("access")

    async def work(key: str) -> None:
        await remove_access(page, access_id, {"role": {"_eq": key}})

    return await _act(page, work)
