"""CORS settings (Directus's ``CORS_*`` variables)."""

from __future__ import annotations

from dataclasses import dataclass

from authgate.config.env import Reader


@dataclass(frozen=True)
class CorsSettings:
    enabled: bool = False
    origins: tuple[str, ...] = ()  # empty = no origin; ("*",) = any; exact values otherwise
    reflect_origin: bool = False  # CORS_ORIGIN=true: echo the request's origin
    methods: tuple[str, ...] = ("GET", "POST", "PATCH", "DELETE")
    allowed_headers: tuple[str, ...] = ("Content-Type", "Authorization")
    exposed_headers: tuple[str, ...] = ("Content-Range",)
    credentials: bool = True
    max_age: int = 18000


def cors_settings(env: Reader) -> CorsSettings:
    enabled = env.boolean("CORS_ENABLED", False)
    raw_origin = (env.raw("CORS_ORIGIN") or "false").strip()
    reflect = raw_origin.lower() == "true"
    origins: tuple[str, ...] = ()
    if raw_origin.lower() not in ("true", "false", ""):
        origins = env.string_list("CORS_ORIGIN")
    return CorsSettings(
        enabled=enabled,
        origins=origins,
        reflect_origin=reflect,
        methods=env.string_list("CORS_METHODS") or ("GET", "POST", "PATCH", "DELETE"),
        allowed_headers=env.string_list("CORS_ALLOWED_HEADERS")
        or ("Content-Type", "Authorization"),
        exposed_headers=env.string_list("CORS_EXPOSED_HEADERS") or ("Content-Range",),
        credentials=env.boolean("CORS_CREDENTIALS", True),
        max_age=env.integer("CORS_MAX_AGE", 18000, minimum=0),
    )
