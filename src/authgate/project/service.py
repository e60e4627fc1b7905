"""``/settings``: the singleton, read and written through the item service, values checked."""

from __future__ import annotations

import hashlib
import re
from typing import Any

from authgate.access.model import Accountability
from authgate.errors import failed_validation, invalid_payload
from authgate.items.scope import CollectionRules
from authgate.items.service import ItemsService
from authgate.project.model import compile_policy
from authgate.query.params import Query
from authgate.schema.model import CONCEALED

COLLECTION = "directus_settings"

# The AI providers' keys (Directus encrypts them and answers them concealed). authgate has no
# AI feature to use them with, so it keeps only a digest: enough to answer "a key is set",
# nothing to leak.
SECRET_FIELDS = (
    "ai_openai_api_key",
    "ai_anthropic_api_key",
    "ai_google_api_key",
    "ai_openai_compatible_api_key",
)


def _digest(value: str) -> str:
    return "sha256:" + hashlib.sha256(value.encode()).hexdigest()


class ProjectRules(CollectionRules):
    """What Directus would store blindly and authgate refuses: unusable values."""

    async def prepare(
        self, accountability: Accountability, payload: dict[str, Any], *, creating: bool
    ) -> dict[str, Any]:
        payload.pop("id", None)
        policy = payload.get("auth_password_policy")
        if isinstance(policy, str) and policy:
            try:
                compile_policy(policy)
            except re.error:
                raise failed_validation(
                    "auth_password_policy", "regex", "Value has to be a valid regular expression."
                ) from None
        attempts = payload.get("auth_login_attempts")
        if isinstance(attempts, int) and not isinstance(attempts, bool) and attempts < 1:
            raise invalid_payload('"auth_login_attempts" must be a positive number or null')
        email_filter = payload.get("public_registration_email_filter")
        if email_filter is not None and not isinstance(email_filter, dict):
            raise invalid_payload('"public_registration_email_filter" must be a filter object')
        for name in SECRET_FIELDS:
            value = payload.get(name)
            if value == "":
                payload[name] = None  # no key
            elif isinstance(value, str) and value != CONCEALED:
                payload[name] = _digest(value)
        return payload


class ProjectService:
    def __init__(self, *, items: ItemsService) -> None:
        self.items = items

    async def read(self, accountability: Accountability, query: Query) -> dict[str, Any]:
        result = await self.items.read(
            accountability, COLLECTION, Query(fields=query.fields, alias=query.alias, limit=1)
        )
        return result.data[0] if result.data else {}

    async def update(self, accountability: Accountability, payload: Any) -> None:
        await self.items.upsert_singleton(accountability, COLLECTION, payload)
