"""The OpenAPI 3.1 document of the REST routes authgate serves, for one caller.

Built from the routes themselves (every path and method the router answers), so it cannot
drift from them. As Directus does, a caller sees the routes of the collections it may read
(``/users`` only with read access to ``directus_users``, ``/items/{collection}`` as one path
per readable collection) and always the authentication and server routes. Every operation
documents its errors with Directus's envelope. Pure: the caller's readable collections and
their fields come in as arguments.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from authgate.schema.model import Collection, Field


@dataclass(frozen=True)
class RouteInfo:
    path: str  # Starlette's template: "/users/{key}"
    methods: frozenset[str]


# Paths that are not part of the REST API: pages, GraphQL (it has its own SDL), the metrics
# text, the root redirect.
_EXCLUDED = re.compile(r"^(/$|/admin(/|$)|/graphql(/|$)|/metrics$)")
# Always described: what anyone may call.
_PUBLIC = re.compile(
    r"^/(auth(/|$)|server(/|$)|users/register(/|$)|users/invite/accept$|users/me(/|$)"
    r"|roles/me$|policies/me(/|$)|permissions/me(/|$))"
)
# The system collection behind each first path segment (read access to it shows the path).
_SYSTEM = {
    "users": "directus_users",
    "roles": "directus_roles",
    "policies": "directus_policies",
    "access": "directus_access",
    "permissions": "directus_permissions",
    "collections": "directus_collections",
    "fields": "directus_fields",
    "relations": "directus_relations",
    "settings": "directus_settings",
    "activity": "directus_activity",
    "revisions": "directus_revisions",
}
_TAGS = {
    "auth": "Authentication",
    "server": "Server",
    "users": "Users",
    "roles": "Roles",
    "policies": "Policies",
    "access": "Access",
    "permissions": "Permissions",
    "collections": "Collections",
    "fields": "Fields",
    "relations": "Relations",
    "settings": "Settings",
    "items": "Items",
    ".well-known": "Authentication",
}
_NO_CONTENT = re.compile(
    r"^(/auth/(logout|password/request|password/reset)|/users/(register|invite|invite/accept"
    r"|me/tfa/enable|me/tfa/disable|\{key\}/tfa/disable)|/users/me/track/page)$"
)
# One's own sessions and API keys (http/routes/own.py): their bodies are not user items.
_OWN = re.compile(r"^/users/(me|\{key\})/(sessions|keys)(/|$)")
_NEW_KEY = {
    "type": "object",
    "required": ["name"],
    "properties": {
        "name": {"type": "string"},
        "expires": {"type": ["string", "null"], "format": "date-time"},
        "policies": {"type": ["array", "null"], "items": {"type": "string", "format": "uuid"}},
    },
}
_REDIRECTS = re.compile(r"^(/users/register/verify-email|/auth/login/\{provider\}(/\{action\})?)$")
_ERRORS = {
    "400": "BadRequestError",
    "401": "UnauthorizedError",
    "403": "ForbiddenError",
    "404": "NotFoundError",
    "429": "TooManyRequestsError",
    "503": "ServiceUnavailableError",
}
_STRING = {"type": "string"}
_JWKS = "/.well-known/jwks.json"
_JWK_SET = {
    "application/json": {
        "schema": {
            "type": "object",
            "required": ["keys"],
            "properties": {"keys": {"type": "array", "items": {"type": "object"}}},
        }
    }
}
_LIST_PARAMETERS = ("Fields", "Filter", "Search", "Sort", "Limit", "Offset", "Page", "Meta")
_ONE_PARAMETERS = ("Fields",)

# Request bodies of the routes whose body is not an item.
_LOGIN = {
    "type": "object",
    "required": ["email", "password"],
    "properties": {
        "email": {"type": "string", "format": "email"},
        "password": {"type": "string", "format": "password"},
        "mode": {"type": "string", "enum": ["json", "cookie", "session"], "default": "json"},
        "otp": {"type": "string", "description": "The one-time password, when TFA is on."},
        "passkey": {
            "type": "object",
            "description": "A passkey assertion in place of the one-time password.",
        },
    },
}
_CREDENTIAL = {
    "type": "object",
    "description": "The browser's PublicKeyCredential, as its toJSON() gives it.",
    "required": ["id", "rawId", "type", "response"],
    "properties": {
        "id": _STRING,
        "rawId": _STRING,
        "type": {"type": "string", "const": "public-key"},
        "response": {"type": "object"},
    },
}
_MODE = {"type": "string", "enum": ["json", "cookie", "session"], "default": "json"}
_PASSWORD = {"type": "string", "format": "password"}
_BODIES: dict[str, dict[str, Any]] = {
    "/auth/login": _LOGIN,
    "/users/me/keys": _NEW_KEY,
    "/users/{key}/keys": _NEW_KEY,
    "/auth/login/{provider}": _LOGIN,
    "/auth/refresh": {
        "type": "object",
        "properties": {
            "refresh_token": {"type": "string"},
            "mode": {"type": "string", "enum": ["json", "cookie", "session"]},
        },
    },
    "/auth/logout": {
        "type": "object",
        "properties": {
            "refresh_token": {"type": "string"},
            "mode": {"type": "string", "enum": ["json", "cookie", "session"]},
        },
    },
    "/auth/password/request": {
        "type": "object",
        "required": ["email"],
        "properties": {
            "email": {"type": "string", "format": "email"},
            "reset_url": {"type": "string", "format": "uri"},
        },
    },
    "/auth/password/reset": {
        "type": "object",
        "required": ["token", "password"],
        "properties": {"token": _STRING, "password": {"type": "string", "format": "password"}},
    },
    "/users/register": {
        "type": "object",
        "required": ["email", "password"],
        "properties": {
            "email": {"type": "string", "format": "email"},
            "password": {"type": "string", "format": "password"},
            "first_name": _STRING,
            "last_name": _STRING,
            "verification_url": {"type": "string", "format": "uri"},
        },
    },
    "/users/invite": {
        "type": "object",
        "required": ["email", "role"],
        "properties": {
            "email": {
                "oneOf": [
                    {"type": "string", "format": "email"},
                    {"type": "array", "items": {"type": "string", "format": "email"}},
                ]
            },
            "role": {"type": "string", "format": "uuid"},
            "invite_url": {"type": "string", "format": "uri"},
        },
    },
    "/users/invite/accept": {
        "type": "object",
        "required": ["token", "password"],
        "properties": {"token": _STRING, "password": {"type": "string", "format": "password"}},
    },
    "/users/me/tfa/generate": {
        "type": "object",
        "required": ["password"],
        "properties": {"password": {"type": "string", "format": "password"}},
    },
    "/users/me/tfa/enable": {
        "type": "object",
        "required": ["secret", "otp"],
        "properties": {"secret": _STRING, "otp": _STRING},
    },
    "/users/me/tfa/disable": {
        "type": "object",
        "required": ["otp"],
        "properties": {"otp": _STRING},
    },
    "/users/me/passkeys/options": {
        "type": "object",
        "required": ["password"],
        "properties": {"password": _PASSWORD},
    },
    "/users/me/passkeys": {
        "type": "object",
        "required": ["credential", "name"],
        "properties": {"credential": _CREDENTIAL, "name": {"type": "string", "maxLength": 255}},
    },
    "/users/me/passkeys/{key}": {
        "type": "object",
        "description": "One proof: the password, a one-time password, or a passkey assertion.",
        "properties": {"password": _PASSWORD, "otp": _STRING, "passkey": _CREDENTIAL},
    },
    "/auth/passkey/options": {
        "type": "object",
        "properties": {"email": {"type": "string", "format": "email"}},
    },
    "/auth/passkey/login": {
        "type": "object",
        "required": ["credential"],
        "properties": {"credential": _CREDENTIAL, "mode": _MODE},
    },
    "/users/me/tfa/recovery-codes": {
        "type": "object",
        "required": ["otp"],
        "properties": {"password": {"type": "string", "format": "password"}, "otp": _STRING},
    },
}
_FIELD_TYPES: dict[str, dict[str, Any]] = {
    "string": {"type": "string"},
    "text": {"type": "string"},
    "uuid": {"type": "string", "format": "uuid"},
    "hash": {"type": "string"},
    "csv": {"type": "array", "items": {"type": "string"}},
    "integer": {"type": "integer"},
    "bigInteger": {"type": "integer"},
    "float": {"type": "number"},
    "decimal": {"type": "number"},
    "boolean": {"type": "boolean"},
    "timestamp": {"type": "string", "format": "date-time"},
    "dateTime": {"type": "string"},
    "date": {"type": "string", "format": "date"},
    "time": {"type": "string"},
    "json": {},
}


def _envelope() -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["errors"],
        "properties": {
            "errors": {"type": "array", "items": {"$ref": "#/components/schemas/Error"}}
        },
    }


def _components(schemas: Mapping[str, Any]) -> dict[str, Any]:
    error_response = {
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Errors"}}}
    }
    query = {
        "Fields": ("fields", "Fields to return, comma separated (`*` for all)."),
        "Filter": ("filter", "A filter on the items, as JSON."),
        "Search": ("search", "Text to search for in the items."),
        "Sort": ("sort", "Fields to sort by, comma separated (`-` for descending)."),
        "Limit": ("limit", "How many items to return."),
        "Offset": ("offset", "How many items to skip."),
        "Page": ("page", "Which page to return (with limit)."),
        "Meta": ("meta", "Metadata to return: total_count, filter_count or *."),
    }
    return {
        "schemas": {
            "Error": {
                "type": "object",
                "required": ["message", "extensions"],
                "properties": {
                    "message": {"type": "string"},
                    "extensions": {
                        "type": "object",
                        "required": ["code"],
                        "properties": {"code": {"type": "string"}},
                        "additionalProperties": True,
                    },
                },
            },
            "Errors": _envelope(),
            **schemas,
        },
        "responses": {
            name: {"description": f"Error: {name.removesuffix('Error')}.", **error_response}
            for name in _ERRORS.values()
        }
        | {"NoContentResponse": {"description": "No content"}},
        "parameters": {
            name: {
                "name": param,
                "in": "query",
                "required": False,
                "description": description,
                "schema": {"type": "string"},
            }
            for name, (param, description) in query.items()
        },
        "securitySchemes": {
            "KeyAuth": {"type": "apiKey", "in": "query", "name": "access_token"},
            "Auth": {"type": "http", "scheme": "bearer"},
        },
    }


def _schema_name(collection: str) -> str:
    words = re.split(r"[^A-Za-z0-9]+", collection)
    return "".join(word[:1].upper() + word[1:] for word in words if word) or "Item"


def _field_schema(item_field: Field) -> dict[str, Any]:
    schema = dict(_FIELD_TYPES.get(item_field.type, {}))
    if item_field.nullable and "type" in schema:
        schema["type"] = [schema["type"], "null"]
    return schema


def _collection_schema(collection: Collection) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {f.name: _field_schema(f) for f in collection.fields if f.type != "alias"},
    }


def _operation_id(method: str, path: str) -> str:
    words = re.findall(r"[A-Za-z0-9]+", path)
    return method.lower() + "".join(word[:1].upper() + word[1:] for word in words)


def _operation(
    method: str, path: str, tag: str, item_schema: str | None, needs_item: bool
) -> dict[str, Any]:
    parameters: list[dict[str, Any]] = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
        for name in re.findall(r"\{(\w+)\}", path)
    ]
    if method in ("GET", "SEARCH") and path.startswith(
        ("/users", "/roles", "/policies", "/access", "/permissions", "/items")
    ):
        many = not path.endswith("{key}") and not path.endswith("/me")
        names = _LIST_PARAMETERS if many else _ONE_PARAMETERS
        parameters += [{"$ref": f"#/components/parameters/{name}"} for name in names]
    item_ref: dict[str, Any] = (
        {"$ref": f"#/components/schemas/{item_schema}"} if item_schema else {"type": "object"}
    )
    operation: dict[str, Any] = {
        "operationId": _operation_id(method, path),
        "summary": f"{method} {path}",
        "tags": [tag],
        "parameters": parameters,
        "security": [{}, {"Auth": []}, {"KeyAuth": []}],
    }
    if method in ("POST", "PATCH", "PUT", "SEARCH", "DELETE") and (path in _BODIES or needs_item):
        body_schema = _BODIES.get(path) or {
            "oneOf": [item_ref, {"type": "array", "items": item_ref}]
        }
        operation["requestBody"] = {
            "required": path in _BODIES and bool(_BODIES[path].get("required")),
            "content": {"application/json": {"schema": body_schema}},
        }
    responses: dict[str, Any]
    if path == "/server/ping":
        responses = {"200": {"description": "pong", "content": {"text/html": {"schema": _STRING}}}}
    elif path == _JWKS:
        responses = {"200": {"description": "The public keys (RFC 7517)", "content": _JWK_SET}}
    elif _REDIRECTS.match(path) and method == "GET":
        responses = {
            "302": {"description": "Redirect", "headers": {"Location": {"schema": _STRING}}}
        }
    elif method == "DELETE" or _NO_CONTENT.match(path):
        responses = {"204": {"$ref": "#/components/responses/NoContentResponse"}}
    else:
        data: dict[str, Any] = (
            {"oneOf": [item_ref, {"type": "array", "items": item_ref}]} if item_schema else {}
        )
        responses = {
            "200": {
                "description": "Successful request",
                "content": {
                    "application/json": {"schema": {"type": "object", "properties": {"data": data}}}
                },
            }
        }
    for status, name in _ERRORS.items():
        responses[status] = {"$ref": f"#/components/responses/{name}"}
    operation["responses"] = responses
    return operation


def build_document(
    routes: Iterable[RouteInfo],
    *,
    readable: Callable[[str], bool],
    collections: Sequence[Collection],
    server_url: str,
    version: str,
) -> dict[str, Any]:
    """The document for a caller who may read the collections ``readable`` says yes to;
    ``collections`` are the data model's collections (system ones included)."""
    by_name = {c.name: c for c in collections}
    user_collections = sorted(
        c.name
        for c in collections
        if not c.system and not c.name.startswith("directus_") and readable(c.name)
    )
    schemas: dict[str, Any] = {}
    paths: dict[str, dict[str, Any]] = {}

    def add(path: str, method: str, tag: str, collection: str | None) -> None:
        if _OWN.match(path):
            collection = None  # shown as /users is, described without the user item
        schema_name = None
        if collection is not None and collection in by_name:
            schema_name = _schema_name(collection)
            schemas.setdefault(schema_name, _collection_schema(by_name[collection]))
        needs_item = collection is not None and path.split("/")[1] in (
            "items",
            "users",
            "roles",
            "policies",
            "access",
            "permissions",
            "settings",
        )
        paths.setdefault(path, {})[method.lower()] = _operation(
            method, path, tag, schema_name, needs_item
        )

    for route in routes:
        path = re.sub(r"\{(\w+)(:\w+)?\}", r"{\1}", route.path)
        if _EXCLUDED.match(path):
            continue
        methods = sorted(m for m in route.methods if m not in ("HEAD", "SEARCH"))
        first = path.split("/")[1]
        if first == "items":
            for name in user_collections:
                concrete = path.replace("{collection}", name)
                for method in methods:
                    add(concrete, method, f"Items{_schema_name(name)}", name)
            continue
        collection = None if _PUBLIC.match(path) else _SYSTEM.get(first)
        if collection is not None and not readable(collection):
            continue
        tag = _TAGS.get(first, first.title())
        for method in methods:
            add(path, method, tag, collection)
    tags = sorted({op["tags"][0] for ops in paths.values() for op in ops.values()})
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Dynamic API Specification",
            "description": "The REST API of this authgate server, as the caller may use it.",
            "version": version,
        },
        "servers": [{"url": server_url}],
        "paths": paths,
        "tags": [{"name": tag} for tag in tags],
        "components": _components(schemas),
    }
