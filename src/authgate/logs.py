"""Logging set up from ``LOG_LEVEL`` and ``LOG_STYLE`` (``raw`` = one JSON object a line, for
an aggregator; ``pretty``, the default, for a terminal).

Every line written while a request runs carries its ``request_id`` (the one echoed in
``X-Request-Id``). Log lines carry ids, never secrets: tokens, passwords, hashes, codes and
mailed links are never passed to a logger anywhere in authgate (tests/e2e/test_logs.py scans
the log of a full run for every secret it created).
"""

from __future__ import annotations

import json
import logging
import sys
from contextvars import ContextVar
from datetime import UTC, datetime

from authgate.config.settings import Settings

_LEVELS = {
    "fatal": logging.CRITICAL,
    "error": logging.ERROR,
    "warn": logging.WARNING,
    "info": logging.INFO,
    "debug": logging.DEBUG,
    "trace": logging.DEBUG,
    "silent": logging.CRITICAL + 10,
}
# The id of the request being answered (set by the HTTP pipeline for the request's duration).
current_request_id: ContextVar[str | None] = ContextVar("authgate_request_id", default=None)
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}


class RequestIdFilter(logging.Filter):
    """Stamps each record with the id of the request it was written in (``None`` outside)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = current_request_id.get()
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        payload = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        payload.update({k: v for k, v in vars(record).items() if k not in _STANDARD})
        if record.exc_info:
            payload["exc"] = self.formatException(record.exc_info)
        return json.dumps(payload, default=str)


def configure_logging(settings: Settings) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(RequestIdFilter())
    if settings.log_style == "raw":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    level = _LEVELS[settings.log_level]
    root.setLevel(level)
    # Per-request lines only at debug: at info they would cost more than the request itself.
    logging.getLogger("authgate.access").setLevel(
        logging.INFO if level <= logging.DEBUG else logging.WARNING
    )
    for noisy in ("uvicorn.access", "alembic.runtime.migration"):
        logging.getLogger(noisy).setLevel(max(level, logging.WARNING))
