"""The one renderer of errors: ``{"errors":[{"message","extensions":{...,"code"}}]}``."""

from __future__ import annotations

from starlette.responses import Response

from authgate.errors import AuthError, Code, ErrorGroup
from authgate.web.responses import json_response


def _entry(error: AuthError) -> dict[str, object]:
    return {"message": error.message, "extensions": {**error.extensions, "code": error.code.value}}


def error_body(error: AuthError) -> dict[str, object]:
    if isinstance(error, ErrorGroup):
        return {"errors": [_entry(item) for item in error.errors]}
    return {"errors": [_entry(error)]}


def render_error(error: AuthError) -> Response:
    return json_response(error_body(error), status=error.status, headers=error.headers)


def render_unexpected() -> Response:
    """Whatever went wrong is in the log; the client learns only that something did."""
    return render_error(AuthError(Code.INTERNAL_SERVER_ERROR))
