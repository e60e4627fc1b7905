"""What the users endpoints accept, in Joi's terms: one table per payload, checked the same
way whether it arrives as a REST body or as GraphQL arguments (no web framework here)."""

from __future__ import annotations

from collections.abc import Mapping

from authgate.validate import Rule

REGISTER: Mapping[str, Rule] = {
    "email": Rule("email", required=True),
    "password": Rule(required=True),
    "verification_url": Rule("uri"),
    "first_name": Rule(),
    "last_name": Rule(),
}
INVITE: Mapping[str, Rule] = {
    "email": Rule("email-or-list", required=True),
    "role": Rule("uuid4", required=True),
    "invite_url": Rule("uri"),
}
ACCEPT_INVITE: Mapping[str, Rule] = {
    "token": Rule(required=True),
    "password": Rule(required=True),
}
