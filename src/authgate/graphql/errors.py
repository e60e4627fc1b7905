"""GraphQL errors in Directus's shapes: resolver errors inside a 200 answer (``code`` first in
``extensions``), and the 400 ``GRAPHQL_VALIDATION`` error for documents that cannot run."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from typing import Any

from graphql import GraphQLError

from authgate.errors import AuthError, Code, ErrorGroup

log = logging.getLogger("authgate.graphql")

# graphql-core quotes names as Python does ('users'); Directus's graphql-js as JavaScript
# does ("users"). Only quoted words without spaces are names: an apostrophe in prose stays.
_QUOTED_NAME = re.compile(r"'([^'\s]+)'")


def js_quotes(message: str) -> str:
    """A graphql-core message with its names quoted as graphql-js (Directus) quotes them."""
    return _QUOTED_NAME.sub(r'"\1"', message)


def validation_error(errors: Iterable[GraphQLError]) -> AuthError:
    """400: the document does not parse, breaks a limit, or does not fit the caller's schema."""
    entries = [_plain(error) for error in errors]
    for entry in entries:
        if "message" in entry:
            entry["message"] = js_quotes(entry["message"])
    return AuthError(Code.GRAPHQL_VALIDATION, extensions={"errors": entries})


def _plain(error: GraphQLError) -> dict[str, Any]:
    entry: dict[str, Any] = {"message": error.message}
    if error.locations:
        entry["locations"] = [{"line": loc.line, "column": loc.column} for loc in error.locations]
    if error.path:
        entry["path"] = list(error.path)
    return entry


def _cause(error: GraphQLError) -> BaseException | None:
    original: BaseException | None = error.original_error
    while isinstance(original, GraphQLError) and original.original_error is not None:
        original = original.original_error
    return original


def format_error(error: GraphQLError) -> dict[str, Any]:
    """One entry of a result's ``errors``: a service's ``AuthError`` with its code and
    extensions; GraphQL's own errors (a null in a non-null field) with their message; anything
    else as Directus's generic internal error, its cause only logged."""
    cause = _cause(error)
    if isinstance(cause, AuthError):
        first = cause.errors[0] if isinstance(cause, ErrorGroup) else cause
        entry: dict[str, Any] = {
            "message": first.message,
            "extensions": {"code": first.code.value, **first.extensions},
        }
    elif cause is None or isinstance(cause, GraphQLError):
        entry = {"message": error.message, "extensions": {"code": Code.INTERNAL_SERVER_ERROR.value}}
    else:
        log.error("unexpected error in a GraphQL resolver", exc_info=cause)
        entry = {
            "message": "An unexpected error occurred.",
            "extensions": {"code": Code.INTERNAL_SERVER_ERROR.value},
        }
    located = _plain(error)
    if "locations" in located:
        entry["locations"] = located["locations"]
    if "path" in located:
        entry["path"] = located["path"]
    return entry
