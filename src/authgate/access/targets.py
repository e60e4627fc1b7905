"""Whose sessions or API keys a request names (pure): the caller's own, or, for an
administrator, any user's. Shared by ``sessions/manage.py`` and ``apikeys/service.py``."""

from __future__ import annotations

from authgate.access.model import Accountability
from authgate.errors import AuthError, Code, forbidden
from authgate.uuids import is_uuid


def target_user(accountability: Accountability, key: str | None) -> str:
    """The user whose sessions or keys the request names (``key`` None: the caller)."""
    if accountability.api_key is not None:
        raise forbidden()
    if key is None:
        if accountability.user is None:
            raise AuthError(Code.INVALID_CREDENTIALS)
        return accountability.user
    if not accountability.admin or not is_uuid(key):
        raise forbidden()
    return key.lower()
