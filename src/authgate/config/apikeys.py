"""API key settings: how many live keys one user may have (``AUTH_API_KEYS_MAX``)."""

from __future__ import annotations

from authgate.config.env import Reader

API_KEYS_MAX = 50


def api_keys_max(env: Reader) -> int:
    """Keys not expired count toward it (revoked keys are deleted); at least 1."""
    return env.integer("AUTH_API_KEYS_MAX", API_KEYS_MAX, minimum=1)
