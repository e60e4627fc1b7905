"""Transitional: this module moved to ``web/context.py`` (shared with the pages). It stays for
route modules written against the old path until they are converted (README, "Handlers
receive their services"); import ``authgate.web.context`` in new code."""

from __future__ import annotations

from authgate.web.context import (
    accountability,
    body,
    client,
    query,
    query_param,
    read_query,
    services,
    state,
)

__all__ = [
    "accountability",
    "body",
    "client",
    "query",
    "query_param",
    "read_query",
    "services",
    "state",
]
