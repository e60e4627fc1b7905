"""A schemathesis check loaded by tests/e2e/test_api_fuzz.py (SCHEMATHESIS_HOOKS): every error
answer is Directus's envelope, ``{"errors": [{"message", "extensions": {"code"}}]}``."""

from __future__ import annotations

from typing import Any

import schemathesis


@schemathesis.check
def directus_envelope(ctx: Any, response: Any, case: Any) -> None:
    if response.status_code < 400 or case.method.upper() == "HEAD":
        return
    if response.status_code in (413, 431):
        return  # answered by the HTTP layer before any route, bodyless as in Directus
    try:
        body = response.json()
    except Exception as exc:
        raise AssertionError(f"{response.status_code} without a JSON body") from exc
    errors = body.get("errors") if isinstance(body, dict) else None
    assert isinstance(errors, list), f"no errors list: {body!r}"[:300]
    assert errors, f"empty errors list: {body!r}"[:300]
    for error in errors:
        assert isinstance(error.get("message"), str), f"error without a message: {error!r}"
        assert isinstance(error.get("extensions", {}).get("code"), str), f"no code: {error!r}"
