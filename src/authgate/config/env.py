"""Reading and casting environment variables with Directus's rules (``@directus/env``).

Sources: the process environment, overlaid by the config file at ``CONFIG_PATH`` (default
``./.env``), and ``NAME_FILE=/path`` for any variable (the file's content, trailing newline
dropped, becomes ``NAME``). Values may carry an explicit cast prefix (``string:``, ``number:``,
``boolean:``, ``json:``, ``array:``, ``regex:``); known variables are then read with their own
type by ``Settings``; unknown ones (provider keys) are cast by guessing, as Directus does.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

from dotenv import dotenv_values


class ConfigError(Exception):
    """A variable holds a value the server cannot run with. The message names the variable."""

    def __init__(self, variable: str, problem: str) -> None:
        self.variable = variable
        self.problem = problem
        super().__init__(f"{variable}: {problem}")


CAST_PREFIXES = ("string:", "number:", "boolean:", "json:", "array:", "regex:")
# ``NAME_FILE`` is honoured for the server's own variables only, never for whatever else
# happens to be in the environment (``TF_CLI_CONFIG_FILE``, ``PYTHONSTARTUP_FILE``...).
_OWN_PREFIXES = (
    "REDIS_",
    "ADMIN_",
    "DB_",
    "EMAIL_",
    "AUTH_",
    "RATE_LIMITER_",
    "HASH_",
    "CORS_",
    "SESSION_",
    "REFRESH_TOKEN_",
    "ACCESS_TOKEN_",
    "PASSWORD_RESET_",
    "USER_INVITE_",
    "USER_REGISTER_",
    "IP_",
    "LOG_",
    "PROJECT_",
    "QUERY_LIMIT_",
    "LOGIN_STALL_",
    "REGISTER_STALL_",
    "GRAPHQL_",
    "HEALTHCHECK_",
    "EMAIL_VERIFICATION_",
    "METRICS_",
    "RETENTION_",
    "PURGE_",
)
_OWN_NAMES = frozenset(
    {
        "SECRET",
        "REDIS",
        "PUBLIC_URL",
        "HOST",
        "PORT",
        "MAX_PAYLOAD_SIZE",
        "WORKERS",
        "DATA_DIR",
        "ROOT_REDIRECT",
        "ACTIVITY_RETENTION",
    }
)


def is_own_variable(name: str) -> bool:
    return name in _OWN_NAMES or name.startswith(_OWN_PREFIXES)


def read_environment(environ: Mapping[str, str], *, cwd: Path | None = None) -> dict[str, str]:
    """The raw variables: process environment, then the config file, then ``_FILE`` indirection."""
    merged = dict(environ)
    config_path = Path(environ.get("CONFIG_PATH", ".env"))
    if not config_path.is_absolute() and cwd is not None:
        config_path = cwd / config_path
    if config_path.is_file():
        if config_path.suffix in (".json",):
            try:
                loaded = json.loads(config_path.read_text("utf-8"))
            except (ValueError, UnicodeDecodeError) as exc:
                raise ConfigError("CONFIG_PATH", f"{config_path} is not valid JSON") from exc
            if not isinstance(loaded, dict):
                raise ConfigError("CONFIG_PATH", f"{config_path} must hold a JSON object")
            file_values = {str(k): _stringify(v) for k, v in loaded.items()}
        else:
            file_values = {
                k: v
                for k, v in dotenv_values(config_path, interpolate=False).items()
                if v is not None
            }
        merged.update(file_values)
    elif "CONFIG_PATH" in environ:
        raise ConfigError("CONFIG_PATH", f"{config_path} does not exist")
    for name in [n for n in merged if n.endswith("_FILE") and len(n) > len("_FILE")]:
        target = name[: -len("_FILE")]
        if not is_own_variable(target):
            continue
        path = Path(merged[name])
        try:
            merged[target] = path.read_text("utf-8").rstrip("\r\n")
        except OSError as exc:
            raise ConfigError(name, f"cannot read {path}: {exc.strerror}") from exc
    return merged


def _stringify(value: object) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value)


def strip_prefix(raw: str) -> tuple[str | None, str]:
    for prefix in CAST_PREFIXES:
        if raw.startswith(prefix):
            return prefix[:-1], raw[len(prefix) :]
    return None, raw


def guess(raw: str) -> Any:
    """Cast a value the way Directus casts a variable it has no type for."""
    kind, value = strip_prefix(raw)
    if kind is not None:
        return cast_as(kind, value)
    if value in ("true", "false"):
        return value == "true"
    if re.fullmatch(r"-?[1-9]\d*(\.\d+)?|0(\.\d+)?", value):
        return float(value) if "." in value else int(value)
    if "," in value:
        return [part.strip() for part in value.split(",") if part.strip()]
    try:
        return json.loads(value, parse_constant=_not_json)
    except ValueError:
        return value


def _not_json(name: str) -> Any:
    """``NaN`` and ``Infinity`` are JavaScript, not JSON: such values stay text, as in Directus."""
    raise ValueError(name)


# Provider keys Directus never guesses (its env type map): DNs hold commas, passwords may look
# like numbers, and COOKIE_SECURE is a boolean whatever it looks like. Client ids and secrets
# too (authgate's own): a numeric id or a secret with a comma must reach the provider as typed.
_PROVIDER_STRINGS = (
    "BIND_DN",
    "USER_DN",
    "GROUP_DN",
    "BIND_PASSWORD",
    "CLIENT_ID",
    "CLIENT_SECRET",
)
_PROVIDER_BOOLEANS = ("COOKIE_SECURE",)
# Documents kept as typed: SAML's SP_*/IDP_* settings (metadata XML, PEM keys) and LDAP's
# CLIENT__TLS_OPTIONS__* (PEM) may hold commas, which the guessing would split into a list.
_PROVIDER_TEXT_PREFIXES = ("SP_", "IDP_", "CLIENT__TLS_OPTIONS__")


def cast_provider_option(key: str, raw: str) -> Any:
    """Cast an ``AUTH_<NAME>_<KEY>`` value: an explicit prefix wins, then the type map, then
    Directus's guessing."""
    kind, value = strip_prefix(raw)
    if kind is not None:
        return cast_as(kind, value)
    if key in _PROVIDER_STRINGS or key.upper().startswith(_PROVIDER_TEXT_PREFIXES):
        return value
    if key in _PROVIDER_BOOLEANS:
        return value.strip().lower() in ("true", "1")
    return guess(raw)


def cast_as(kind: str, value: str) -> Any:
    if kind == "string":
        return value
    if kind == "number":
        try:
            return int(value)
        except ValueError:
            pass
        try:
            return float(value)
        except ValueError:
            return value
    if kind == "boolean":
        return value in ("true", "1")
    if kind == "json":
        try:
            return json.loads(value)
        except ValueError:
            return value
    if kind == "array":
        return [part.strip() for part in value.split(",") if part.strip()]
    return value  # regex: kept as text; the reader compiles it


class Reader:
    """Typed access to the merged variables; every problem is a ``ConfigError`` naming the key."""

    def __init__(self, values: Mapping[str, str]) -> None:
        self.values = values

    def raw(self, name: str) -> str | None:
        value = self.values.get(name)
        if value is None:
            return None
        return strip_prefix(value)[1]

    def is_set(self, name: str) -> bool:
        value = self.raw(name)
        return value is not None and value != ""

    def string(self, name: str, default: str) -> str:
        value = self.raw(name)
        return default if value is None or value == "" else value

    def optional_string(self, name: str) -> str | None:
        value = self.raw(name)
        return None if value is None or value == "" else value

    def boolean(self, name: str, default: bool) -> bool:
        value = self.raw(name)
        if value is None or value == "":
            return default
        lowered = value.strip().lower()
        if lowered in ("true", "1"):
            return True
        if lowered in ("false", "0"):
            return False
        raise ConfigError(name, f'"{value}" is not a boolean (use true or false)')

    def integer(self, name: str, default: int, *, minimum: int | None = None) -> int:
        value = self.raw(name)
        if value is None or value == "":
            return default
        try:
            number = int(value.strip())
        except ValueError:
            raise ConfigError(name, f'"{value}" is not a whole number') from None
        if minimum is not None and number < minimum:
            raise ConfigError(name, f"must be at least {minimum}, got {number}")
        return number

    def string_list(self, name: str) -> tuple[str, ...]:
        value = self.raw(name)
        if value is None or value.strip() == "":
            return ()
        if value.lstrip().startswith("["):
            try:
                parsed = json.loads(value)
            except ValueError:
                raise ConfigError(name, "is not a valid JSON array") from None
            if not isinstance(parsed, list):
                raise ConfigError(name, "must be a list")
            return tuple(str(item).strip() for item in parsed if str(item).strip())
        return tuple(part.strip() for part in value.split(",") if part.strip())

    def duration(self, name: str, default: str, *, bare_unit: str) -> timedelta:
        value = self.raw(name)
        text = default if value is None or value.strip() == "" else value
        parsed = parse_duration(text, bare_unit=bare_unit)
        if parsed is None:
            raise ConfigError(name, f'"{text}" is not a duration (examples: 500ms, 10s, 15m, 7d)')
        return parsed

    def size(self, name: str, default: str) -> int:
        value = self.raw(name)
        text = default if value is None or value.strip() == "" else value
        parsed = parse_size(text)
        if parsed is None:
            raise ConfigError(name, f'"{text}" is not a size (examples: 100kb, 1mb)')
        return parsed

    def prefixed(self, prefix: str) -> dict[str, str]:
        """Variables under ``prefix``, the prefix removed, values raw (cast prefixes kept)."""
        return {
            name[len(prefix) :]: value
            for name, value in self.values.items()
            if name.startswith(prefix) and not name.endswith("_FILE")
        }


_DURATION = re.compile(
    r"^(?P<n>-?(?:\d+)?\.?\d+) *(?P<unit>milliseconds?|msecs?|ms|seconds?|secs?|s|minutes?|mins?"
    r"|m|hours?|hrs?|h|days?|d|weeks?|w|years?|yrs?|y)?$",
    re.IGNORECASE,
)
_UNIT_MS = {
    "ms": 1,
    "s": 1000,
    "m": 60_000,
    "h": 3_600_000,
    "d": 86_400_000,
    "w": 604_800_000,
    "y": 31_557_600_000,
}


def parse_duration(text: str, *, bare_unit: str = "ms") -> timedelta | None:
    """Parse an ``ms``-style duration (``15m``, ``7d``, ``500``). ``None`` when it is not one.

    A bare number is read in ``bare_unit``: milliseconds for ``*_TIME`` and grace periods as in
    Directus, seconds for ``*_TTL`` (the unit the Directus JWT signer gives a bare number).
    """
    match = _DURATION.match(text.strip())
    if not match:
        return None
    amount = float(match.group("n"))
    unit = (match.group("unit") or "").lower()
    if not unit:
        key = bare_unit
    elif unit.startswith("ms") or unit.startswith("msec") or unit.startswith("millisecond"):
        key = "ms"
    else:
        key = unit[0]
    return timedelta(milliseconds=amount * _UNIT_MS[key])


_SIZE = re.compile(r"^(?P<n>\d+(?:\.\d+)?) *(?P<unit>b|kb|mb|gb|tb|pb)?$", re.IGNORECASE)
_SIZE_UNITS = {"b": 1, "kb": 1 << 10, "mb": 1 << 20, "gb": 1 << 30, "tb": 1 << 40, "pb": 1 << 50}


def parse_size(text: str) -> int | None:
    """Parse a ``bytes``-style size (``1mb``, ``100kb``, ``2048``)."""
    match = _SIZE.match(text.strip())
    if not match:
        return None
    unit = (match.group("unit") or "b").lower()
    return int(float(match.group("n")) * _SIZE_UNITS[unit])
