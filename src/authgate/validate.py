"""Checking JSON bodies with Joi's wording, so that errors read as Directus's do."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from authgate.emails import is_valid_email
from authgate.errors import invalid_payload
from authgate.urls import is_absolute_url
from authgate.uuids import is_uuid_v4


@dataclass(frozen=True)
class Rule:
    kind: str = "string"  # string | email | uuid4 | uri | email-or-list | any
    required: bool = False
    allow_empty: bool = False
    choices: Sequence[str] | None = None


def _check_string(name: str, value: Any, rule: Rule) -> None:
    if not isinstance(value, str):
        raise invalid_payload(f'"{name}" must be a string')
    if value == "" and not rule.allow_empty:
        raise invalid_payload(f'"{name}" is not allowed to be empty')
    if rule.choices is not None and value not in rule.choices:
        raise invalid_payload(f'"{name}" must be one of [{", ".join(rule.choices)}]')
    if rule.kind == "email" and not is_valid_email(value):
        raise invalid_payload(f'"{name}" must be a valid email')
    if rule.kind == "uuid4" and not is_uuid_v4(value):
        raise invalid_payload(f'"{name}" must be a valid GUID')
    if rule.kind == "uri" and not is_absolute_url(value):
        raise invalid_payload(f'"{name}" must be a valid uri')


def _check_email_list(name: str, value: Any) -> None:
    if isinstance(value, list):
        if not value:
            raise invalid_payload(f'"{name}" must contain at least 1 items')
        for index, item in enumerate(value):
            if not isinstance(item, str):
                raise invalid_payload(f'"{name}[{index}]" must be a string')
            if not is_valid_email(item):
                raise invalid_payload(f'"{name}[{index}]" must be a valid email')
        return
    _check_string(name, value, Rule("email"))


_CHECKS: Mapping[str, Callable[[str, Any, Rule], None]] = {
    "string": _check_string,
    "email": _check_string,
    "uuid4": _check_string,
    "uri": _check_string,
    "email-or-list": lambda name, value, _rule: _check_email_list(name, value),
    "any": lambda _name, _value, _rule: None,
}


def validate(
    body: Any, schema: Mapping[str, Rule], *, allow_unknown: bool = True
) -> dict[str, Any]:
    """Check ``body`` against ``schema`` in key order (Joi reports the first problem)."""
    if not isinstance(body, dict):
        raise invalid_payload('"value" must be of type object')
    for name, rule in schema.items():
        if name not in body:
            if rule.required:
                raise invalid_payload(f'"{name}" is required')
            continue
        value = body[name]
        if rule.choices is not None:
            # Joi checks a valid() list before the type: any other value (null, a number,
            # "") is "must be one of".
            if not (isinstance(value, str) and value in rule.choices):
                raise invalid_payload(f'"{name}" must be one of [{", ".join(rule.choices)}]')
            continue
        if rule.kind == "email-or-list" and not isinstance(value, (str, list)):
            # Joi.alternatives() of a string and an array names the types it takes.
            raise invalid_payload(f'"{name}" must be one of [string, array]')
        if value is None:
            raise invalid_payload(f'"{name}" must be a string')
        _CHECKS[rule.kind](name, value, rule)
    if not allow_unknown:
        for name in body:
            if name not in schema:
                raise invalid_payload(f'"{name}" is not allowed')
    return body
