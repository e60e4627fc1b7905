"""Transitional: this module moved to ``web/responses.py`` (shared with the pages). It stays for
route modules written against the old path until they are converted; import
``authgate.web.responses`` in new code."""

from __future__ import annotations

from authgate.web.responses import (
    JSON_TYPE,
    clear_cookie,
    cookie_header,
    data,
    dumps,
    json_response,
    no_content,
    set_cookie,
)

__all__ = [
    "JSON_TYPE",
    "clear_cookie",
    "cookie_header",
    "data",
    "dumps",
    "json_response",
    "no_content",
    "set_cookie",
]
