"""Typed reading of one provider's ``AUTH_<NAME>_*`` options (already cast by ``config.env``).

Every problem is a ``ConfigError`` naming the full variable, so a misconfigured provider stops
the start with one line that says which key to fix.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from authgate.config.env import ConfigError, parse_duration
from authgate.config.settings import ProviderSettings


class Options:
    """The options of one provider; keys are given without the ``AUTH_<NAME>_`` prefix."""

    def __init__(self, provider: ProviderSettings) -> None:
        self.provider = provider
        self.values: Mapping[str, Any] = provider.options
        self.prefix = f"AUTH_{provider.name.upper()}_"

    def variable(self, key: str) -> str:
        return self.prefix + key

    def error(self, key: str, problem: str) -> ConfigError:
        return ConfigError(self.variable(key), problem)

    def is_set(self, key: str) -> bool:
        value = self.values.get(key)
        return value is not None and value != ""

    def string(self, key: str, default: str | None = None) -> str | None:
        value = self.values.get(key)
        if value is None or value == "":
            return default
        if isinstance(value, list):
            # Directus casts "a,b" to an array; for a text option the commas were meant.
            return ",".join(str(item) for item in value)
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, dict):
            return json.dumps(value)
        return str(value)

    def required(self, key: str) -> str:
        value = self.string(key)
        if value is None:
            raise self.error(key, "is required")
        return value

    def boolean(self, key: str, default: bool = False) -> bool:
        value = self.values.get(key)
        if value is None or value == "":
            return default
        if isinstance(value, bool):
            return value
        if isinstance(value, int | float):
            return value != 0
        text = str(value).strip().lower()
        if text in ("true", "1"):
            return True
        if text in ("false", "0"):
            return False
        raise self.error(key, f'"{value}" is not a boolean (use true or false)')

    def words(self, key: str, default: str) -> tuple[str, ...]:
        """A space- (or comma-) separated list, such as ``SCOPE``."""
        value = self.values.get(key)
        if value is None or value == "":
            value = default
        items = value if isinstance(value, list) else str(value).replace(",", " ").split()
        return tuple(str(item).strip() for item in items if str(item).strip())

    def url_list(self, key: str) -> tuple[str, ...]:
        value = self.values.get(key)
        if value is None or value == "":
            return ()
        items = value if isinstance(value, list) else str(value).split(",")
        return tuple(str(item).strip() for item in items if str(item).strip())

    def mapping(self, key: str) -> dict[str, Any]:
        """A JSON object (``json:{...}``); an array or a scalar is refused."""
        value = self.values.get(key)
        if value is None or value == "":
            return {}
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError:
                raise self.error(key, "is not a JSON object (use the json: prefix)") from None
        if not isinstance(value, dict):
            raise self.error(key, "must be a JSON object, for example json:{...}")
        return value

    def duration(self, key: str, default: str) -> timedelta:
        """An ``ms``-style duration; a bare number is milliseconds (as Directus reads it)."""
        value = self.values.get(key)
        text = default if value is None or value == "" else str(value)
        parsed = parse_duration(text, bare_unit="ms")
        if parsed is None or parsed <= timedelta(0):
            raise self.error(key, f'"{text}" is not a positive duration (examples: 500ms, 5m)')
        return parsed
