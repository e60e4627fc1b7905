"""Typed, frozen settings, built once from the environment and passed down.

Variable names, types and defaults are Directus's (``@directus/env``), except where the
README's "Differences from Directus" says otherwise. ``load_settings`` is pure: it takes the
variables as a mapping, so tests build settings from a dict.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from authgate.config.apikeys import API_KEYS_MAX, api_keys_max
from authgate.config.cors import CorsSettings, cors_settings
from authgate.config.env import ConfigError, Reader, cast_provider_option
from authgate.config.graphql import GraphQLSettings, graphql_settings
from authgate.config.operations import (
    MetricsSettings,
    PurgeSettings,
    metrics_settings,
    purge_settings,
)
from authgate.config.signing import SigningSettings, signing_settings
from authgate.config.webauthn import WebAuthnSettings, webauthn_settings

SameSite = Literal["lax", "strict", "none"]


class Secret:
    """A string that never shows itself in a repr, a log line or a traceback."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('**********')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __bool__(self) -> bool:
        return bool(self._value)


@dataclass(frozen=True)
class CookieSettings:
    name: str
    domain: str | None
    secure: bool
    same_site: SameSite
    max_age: timedelta


@dataclass(frozen=True)
class DatabaseSettings:
    client: Literal["sqlite3", "pg"]
    filename: Path | None = None
    url: Secret | None = None  # full SQLAlchemy URL for PostgreSQL (holds the password)
    pool_size: int = 8
    display: str = ""  # where the data lives, for the start-up banner; never holds a password


@dataclass(frozen=True)
class RedisSettings:
    url: Secret
    namespace: str = "authgate"


@dataclass(frozen=True)
class LimiterSettings:
    enabled: bool
    points: int
    duration: timedelta


@dataclass(frozen=True)
class RateLimitSettings:
    store: Literal["memory", "redis", "database"] | None  # None: Redis when configured, else memory
    ip: LimiterSettings
    globally: LimiterSettings
    registration: LimiterSettings


@dataclass(frozen=True)
class HashSettings:
    memory_cost: int = 65536
    time_cost: int = 3
    parallelism: int = 4
    hash_length: int = 32
    salt_length: int = 16
    type: Literal["argon2d", "argon2i", "argon2id"] = "argon2id"
    # How many hashes may run at once, and how many may wait; beyond that login answers 503.
    max_concurrency: int = 0  # 0 = derived from cores and HASH_MEMORY_BUDGET
    memory_budget: int = 256 * 1024 * 1024
    queue_size: int = 64


@dataclass(frozen=True)
class SmtpSettings:
    host: str = "localhost"
    port: int = 587
    user: str | None = None
    password: Secret | None = None
    secure: bool = False  # implicit TLS (port 465 style)
    ignore_tls: bool = False  # never upgrade with STARTTLS
    name: str | None = None  # the name announced in EHLO
    timeout: float = 10.0


@dataclass(frozen=True)
class EmailSettings:
    transport: Literal["smtp", "sendmail", "file"] = "sendmail"
    sender: str = "no-reply@example.com"
    smtp: SmtpSettings = field(default_factory=SmtpSettings)
    sendmail_path: str = "/usr/sbin/sendmail"
    sendmail_new_line: Literal["unix", "windows"] = "unix"
    templates_path: Path | None = None
    outbox_dir: Path | None = None  # where undeliverable mail is kept instead of being lost
    verify_setup: bool = True


@dataclass(frozen=True)
class ProviderSettings:
    """An entry of ``AUTH_PROVIDERS``; ``options`` holds its ``AUTH_<NAME>_*`` keys, cast."""

    name: str
    driver: str
    label: str | None = None
    icon: str | None = None
    mode: str | None = None
    options: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Settings:
    secret: Secret
    secret_is_generated: bool = False
    host: str = "127.0.0.1"
    port: int = 8055
    workers: int = 1
    public_url: str = "/"
    data_dir: Path = Path("data")
    log_level: str = "info"
    log_style: Literal["pretty", "raw"] = "pretty"
    database: DatabaseSettings = field(
        default_factory=lambda: DatabaseSettings(client="sqlite3", filename=Path("data/data.db"))
    )
    redis: RedisSettings | None = None
    access_token_ttl: timedelta = timedelta(minutes=15)
    refresh_token_ttl: timedelta = timedelta(days=7)
    session_cookie_ttl: timedelta = timedelta(days=1)
    session_refresh_grace_period: timedelta = timedelta(seconds=10)
    refresh_cookie: CookieSettings = field(
        default_factory=lambda: CookieSettings(
            "directus_refresh_token", None, False, "lax", timedelta(days=7)
        )
    )
    session_cookie: CookieSettings = field(
        default_factory=lambda: CookieSettings(
            "directus_session_token", None, False, "lax", timedelta(days=1)
        )
    )
    login_stall_time: timedelta = timedelta(milliseconds=500)
    register_stall_time: timedelta = timedelta(milliseconds=750)
    password_request_stall_time: timedelta = timedelta(milliseconds=500)
    auth_lockout: Literal["lock", "suspend"] = "lock"
    auth_lockout_duration: timedelta = timedelta(minutes=15)
    email_verification_token_ttl: timedelta = timedelta(days=7)
    user_invite_token_ttl: timedelta = timedelta(days=7)
    password_reset_token_ttl: timedelta = timedelta(days=1)
    password_reset_url_allow_list: tuple[str, ...] = ()
    user_invite_url_allow_list: tuple[str, ...] = ()
    user_register_url_allow_list: tuple[str, ...] = ()
    providers: tuple[ProviderSettings, ...] = ()
    auth_disable_default: bool = False
    api_keys_max: int = API_KEYS_MAX  # live API keys per user
    auth_allowed_public_urls: tuple[str, ...] = ()
    ip_trust_proxy: bool | int | tuple[str, ...] = False
    ip_custom_header: str | None = None
    hashing: HashSettings = field(default_factory=HashSettings)
    rate_limit: RateLimitSettings = field(
        default_factory=lambda: RateLimitSettings(
            store=None,
            ip=LimiterSettings(False, 50, timedelta(seconds=1)),
            globally=LimiterSettings(False, 1000, timedelta(seconds=1)),
            registration=LimiterSettings(True, 5, timedelta(seconds=60)),
        )
    )
    email: EmailSettings = field(default_factory=EmailSettings)
    cors: CorsSettings = field(default_factory=CorsSettings)
    max_payload_size: int = 1 << 20
    query_limit_default: int = 100
    query_limit_max: int | None = None
    admin_email: str | None = None
    admin_password: Secret | None = None
    admin_token: Secret | None = None
    project_name: str | None = None
    root_redirect: str | None = "./admin"
    healthcheck_enabled: bool = True
    healthcheck_services: tuple[str, ...] | None = None  # HEALTHCHECK_SERVICES; None: all
    graphql: GraphQLSettings = field(default_factory=GraphQLSettings)
    purge: PurgeSettings = field(default_factory=PurgeSettings)
    metrics: MetricsSettings = field(default_factory=MetricsSettings)
    webauthn: WebAuthnSettings = field(default_factory=WebAuthnSettings)  # passkeys
    signing: SigningSettings = field(default_factory=SigningSettings)  # AUTH_JWT_*


_PROVIDER_NAME = re.compile(r"^[A-Za-z0-9_-]+$")
_DRIVERS = ("local", "oauth2", "openid", "ldap", "saml")


def load_settings(values: Mapping[str, str], *, cwd: Path | None = None) -> Settings:
    """Build the settings from merged variables (see ``env.read_environment``).

    Raises:
        ConfigError: a variable holds a value the server cannot run with.
    """
    env = Reader(values)
    base = cwd or Path.cwd()
    data_dir = Path(env.string("DATA_DIR", "data"))
    if not data_dir.is_absolute():
        data_dir = base / data_dir

    secret_text = env.optional_string("SECRET")
    secret = Secret(secret_text or "")
    public_url = _public_url(env)
    session_ttl = env.duration("SESSION_COOKIE_TTL", "1d", bare_unit="s")
    refresh_ttl = env.duration("REFRESH_TOKEN_TTL", "7d", bare_unit="s")
    _positive("SESSION_COOKIE_TTL", session_ttl)
    _positive("REFRESH_TOKEN_TTL", refresh_ttl)
    access_ttl = env.duration("ACCESS_TOKEN_TTL", "15m", bare_unit="s")
    _positive("ACCESS_TOKEN_TTL", access_ttl)
    lockout = env.string("AUTH_LOCKOUT", "lock").strip().lower()
    if lockout not in ("lock", "suspend"):
        raise ConfigError("AUTH_LOCKOUT", f'"{lockout}" is neither "lock" nor "suspend"')
    lockout_duration = env.duration("AUTH_LOCKOUT_DURATION", "15m", bare_unit="s")
    _positive("AUTH_LOCKOUT_DURATION", lockout_duration)
    redis = _redis(env)
    rate_limit = _rate_limit(env)
    if rate_limit.store == "redis" and redis is None:
        raise ConfigError("RATE_LIMITER_STORE", "is redis, but neither REDIS nor REDIS_HOST is set")
    return Settings(
        secret=secret,
        secret_is_generated=False,
        host=env.string("HOST", "127.0.0.1"),
        port=env.integer("PORT", 8055, minimum=0),
        workers=env.integer("WORKERS", 1, minimum=1),
        public_url=public_url,
        data_dir=data_dir,
        log_level=_log_level(env),
        log_style="raw" if env.string("LOG_STYLE", "pretty") == "raw" else "pretty",
        database=_database(env, data_dir, base),
        redis=redis,
        access_token_ttl=access_ttl,
        refresh_token_ttl=refresh_ttl,
        session_cookie_ttl=session_ttl,
        session_refresh_grace_period=env.duration(
            "SESSION_REFRESH_GRACE_PERIOD", "10s", bare_unit="ms"
        ),
        refresh_cookie=_cookie(env, "REFRESH_TOKEN_COOKIE", "directus_refresh_token", refresh_ttl),
        session_cookie=_cookie(env, "SESSION_COOKIE", "directus_session_token", session_ttl),
        login_stall_time=env.duration("LOGIN_STALL_TIME", "500", bare_unit="ms"),
        register_stall_time=env.duration("REGISTER_STALL_TIME", "750", bare_unit="ms"),
        password_request_stall_time=env.duration(
            "PASSWORD_REQUEST_STALL_TIME", "500", bare_unit="ms"
        ),
        auth_lockout="suspend" if lockout == "suspend" else "lock",
        auth_lockout_duration=lockout_duration,
        email_verification_token_ttl=env.duration(
            "EMAIL_VERIFICATION_TOKEN_TTL", "7d", bare_unit="s"
        ),
        user_invite_token_ttl=env.duration("USER_INVITE_TOKEN_TTL", "7d", bare_unit="s"),
        password_reset_url_allow_list=_url_list(env, "PASSWORD_RESET_URL_ALLOW_LIST"),
        user_invite_url_allow_list=_url_list(env, "USER_INVITE_URL_ALLOW_LIST"),
        user_register_url_allow_list=_url_list(env, "USER_REGISTER_URL_ALLOW_LIST"),
        providers=_providers(env),
        auth_disable_default=env.boolean("AUTH_DISABLE_DEFAULT", False),
        api_keys_max=api_keys_max(env),
        auth_allowed_public_urls=_url_list(env, "AUTH_ALLOWED_PUBLIC_URLS"),
        ip_trust_proxy=_trust_proxy(env),
        ip_custom_header=_custom_header(env),
        hashing=_hashing(env),
        rate_limit=rate_limit,
        email=_email(env, data_dir, base),
        cors=cors_settings(env),
        max_payload_size=env.size("MAX_PAYLOAD_SIZE", "1mb"),
        query_limit_default=env.integer("QUERY_LIMIT_DEFAULT", 100, minimum=1),
        query_limit_max=(
            env.integer("QUERY_LIMIT_MAX", 0, minimum=1) if env.is_set("QUERY_LIMIT_MAX") else None
        ),
        admin_email=env.optional_string("ADMIN_EMAIL"),
        admin_password=_secret(env, "ADMIN_PASSWORD"),
        admin_token=_secret(env, "ADMIN_TOKEN"),
        project_name=env.optional_string("PROJECT_NAME"),
        root_redirect=_root_redirect(env),
        healthcheck_enabled=env.boolean("HEALTHCHECK_ENABLED", True),
        healthcheck_services=env.string_list("HEALTHCHECK_SERVICES") or None,
        graphql=graphql_settings(env),
        purge=purge_settings(env),
        metrics=metrics_settings(env),
        webauthn=webauthn_settings(env, public_url, _url_list(env, "AUTH_ALLOWED_PUBLIC_URLS")),
        signing=signing_settings(env),
    )


def _positive(name: str, value: timedelta) -> None:
    if value <= timedelta(0):
        raise ConfigError(name, "must be a positive duration")


def _secret(env: Reader, name: str) -> Secret | None:
    value = env.optional_string(name)
    return Secret(value) if value is not None else None


def _log_level(env: Reader) -> str:
    level = env.string("LOG_LEVEL", "info").lower()
    allowed = ("fatal", "error", "warn", "info", "debug", "trace", "silent")
    if level not in allowed:
        raise ConfigError("LOG_LEVEL", f'"{level}" is not one of {", ".join(allowed)}')
    return level


def _public_url(env: Reader) -> str:
    value = env.string("PUBLIC_URL", "/")
    if value == "/":
        return value
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError("PUBLIC_URL", f'"{value}" must be "/" or an absolute http(s) URL')
    return value.rstrip("/")


def _url_list(env: Reader, name: str) -> tuple[str, ...]:
    urls = env.string_list(name)
    for url in urls:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ConfigError(name, f'"{url}" is not an absolute http(s) URL')
    return urls


def _root_redirect(env: Reader) -> str | None:
    value = env.raw("ROOT_REDIRECT")
    if value is None:
        return "./admin"
    if value.strip().lower() in ("", "false"):
        return None
    return value


def _database(env: Reader, data_dir: Path, base: Path) -> DatabaseSettings:
    client = env.string("DB_CLIENT", "sqlite3")
    if client in ("sqlite3", "sqlite"):
        filename = Path(env.string("DB_FILENAME", str(data_dir / "data.db")))
        if not filename.is_absolute():
            filename = base / filename
        return DatabaseSettings(client="sqlite3", filename=filename, display=f"SQLite {filename}")
    if client not in ("pg", "postgres", "postgresql"):
        raise ConfigError("DB_CLIENT", f'"{client}" is not supported (use sqlite3 or pg)')
    pool = env.integer("DB_POOL__MAX", 8, minimum=1)
    connection_string = env.optional_string("DB_CONNECTION_STRING")
    if connection_string:
        parts = urlsplit(connection_string)
        if parts.scheme not in ("postgres", "postgresql"):
            raise ConfigError(
                "DB_CONNECTION_STRING", "must start with postgres:// or postgresql://"
            )
        url = "postgresql+psycopg://" + connection_string.split("://", 1)[1]
        shown = f"PostgreSQL {parts.hostname or 'localhost'}:{parts.port or 5432}{parts.path}"
        return DatabaseSettings(client="pg", url=Secret(url), pool_size=pool, display=shown)
    for name in ("DB_HOST", "DB_DATABASE", "DB_USER"):
        if not env.is_set(name):
            raise ConfigError(name, "is required when DB_CLIENT=pg (or set DB_CONNECTION_STRING)")
    host = env.string("DB_HOST", "")
    port = env.integer("DB_PORT", 5432, minimum=1)
    database = env.string("DB_DATABASE", "")
    user = env.string("DB_USER", "")
    password = env.optional_string("DB_PASSWORD")
    from sqlalchemy.engine import URL

    url = URL.create(
        "postgresql+psycopg",
        username=user,
        password=password,
        host=host,
        port=port,
        database=database,
    ).render_as_string(hide_password=False)
    return DatabaseSettings(
        client="pg", url=Secret(url), pool_size=pool, display=f"PostgreSQL {host}:{port}/{database}"
    )


def _redis(env: Reader) -> RedisSettings | None:
    if env.is_set("REDIS_ENABLED") and not env.boolean("REDIS_ENABLED", False):
        return None
    namespace = env.string("REDIS_NAMESPACE", "authgate")
    url = env.optional_string("REDIS")
    if url:
        if not url.startswith(("redis://", "rediss://", "unix://")):
            raise ConfigError("REDIS", "must be a redis://, rediss:// or unix:// URL")
        return RedisSettings(Secret(url), namespace)
    if env.is_set("REDIS_HOST"):
        host = env.string("REDIS_HOST", "127.0.0.1")
        port = env.integer("REDIS_PORT", 6379, minimum=1)
        user = env.optional_string("REDIS_USERNAME") or ""
        password = env.optional_string("REDIS_PASSWORD")
        db = env.integer("REDIS_DB", 0, minimum=0)
        auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
        return RedisSettings(Secret(f"redis://{auth}{host}:{port}/{db}"), namespace)
    if env.boolean("REDIS_ENABLED", False):
        raise ConfigError("REDIS_ENABLED", "is true but neither REDIS nor REDIS_HOST is set")
    return None


def _cookie(env: Reader, prefix: str, default_name: str, ttl: timedelta) -> CookieSettings:
    same_site = env.string(f"{prefix}_SAME_SITE", "lax").lower()
    if same_site not in ("lax", "strict", "none"):
        raise ConfigError(f"{prefix}_SAME_SITE", f'"{same_site}" is not lax, strict or none')
    secure = env.boolean(f"{prefix}_SECURE", False)
    if same_site == "none" and not secure:
        raise ConfigError(f"{prefix}_SAME_SITE", "none needs the cookie to be Secure too")
    name = env.string(f"{prefix}_NAME", default_name)
    if not re.fullmatch(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+", name):
        raise ConfigError(f"{prefix}_NAME", f'"{name}" is not a valid cookie name')
    return CookieSettings(
        name=name,
        domain=env.optional_string(f"{prefix}_DOMAIN"),
        secure=secure,
        same_site=same_site,  # type: ignore[arg-type]
        max_age=ttl,
    )


def _trust_proxy(env: Reader) -> bool | int | tuple[str, ...]:
    value = env.raw("IP_TRUST_PROXY")
    if value is None or value.strip() == "":
        return False
    text = value.strip()
    if text.lower() in ("true", "false"):
        return text.lower() == "true"
    if text.isdigit():
        return int(text)
    return env.string_list("IP_TRUST_PROXY")


def _custom_header(env: Reader) -> str | None:
    value = env.raw("IP_CUSTOM_HEADER")
    if value is None or value.strip().lower() in ("", "false"):
        return None
    return value.strip().lower()


def _hashing(env: Reader) -> HashSettings:
    types = {"0": "argon2d", "1": "argon2i", "2": "argon2id"}
    raw_type = env.string("HASH_TYPE", "2")
    if raw_type not in types:
        raise ConfigError("HASH_TYPE", "must be 0 (argon2d), 1 (argon2i) or 2 (argon2id)")
    if env.is_set("HASH_ASSOCIATED_DATA"):
        raise ConfigError("HASH_ASSOCIATED_DATA", "is not supported by authgate; unset it")
    return HashSettings(
        memory_cost=env.integer("HASH_MEMORY_COST", 65536, minimum=8),
        time_cost=env.integer("HASH_TIME_COST", 3, minimum=1),
        parallelism=env.integer("HASH_PARALLELISM", 4, minimum=1),
        hash_length=env.integer("HASH_HASH_LENGTH", 32, minimum=4),
        salt_length=env.integer("HASH_SALT_LENGTH", 16, minimum=8),
        type=types[raw_type],  # type: ignore[arg-type]
        max_concurrency=env.integer("HASH_MAX_CONCURRENCY", 0, minimum=0),
        memory_budget=env.size("HASH_MEMORY_BUDGET", "256mb"),
        queue_size=env.integer("HASH_QUEUE_SIZE", 64, minimum=0),
    )


def _limiter(env: Reader, prefix: str, enabled: bool, points: int, seconds: int) -> LimiterSettings:
    return LimiterSettings(
        enabled=env.boolean(f"{prefix}_ENABLED", enabled),
        points=env.integer(f"{prefix}_POINTS", points, minimum=1),
        duration=timedelta(seconds=env.integer(f"{prefix}_DURATION", seconds, minimum=1)),
    )


def _rate_limit(env: Reader) -> RateLimitSettings:
    store = env.optional_string("RATE_LIMITER_STORE")
    if store is not None and store not in ("memory", "redis", "database"):
        raise ConfigError("RATE_LIMITER_STORE", f'"{store}" is not memory, redis or database')
    ip = _limiter(env, "RATE_LIMITER", False, 50, 1)
    globally = _limiter(env, "RATE_LIMITER_GLOBAL", False, 1000, 1)
    if globally.enabled:
        per_second_global = globally.points / globally.duration.total_seconds()
        per_second_ip = ip.points / ip.duration.total_seconds()
        if not ip.enabled or per_second_global <= per_second_ip:
            raise ConfigError(
                "RATE_LIMITER_GLOBAL_POINTS",
                "the global limiter needs RATE_LIMITER_ENABLED and must allow more requests "
                "per second than the per-IP limiter",
            )
    return RateLimitSettings(
        store=store,  # type: ignore[arg-type]
        ip=ip,
        globally=globally,
        registration=_limiter(env, "RATE_LIMITER_REGISTRATION", True, 5, 60),
    )


def _email(env: Reader, data_dir: Path, base: Path) -> EmailSettings:
    transport = env.string("EMAIL_TRANSPORT", "sendmail").lower()
    if transport not in ("smtp", "sendmail", "file"):
        raise ConfigError(
            "EMAIL_TRANSPORT", f'"{transport}" is not supported (use smtp, sendmail or file)'
        )
    templates = env.optional_string("EMAIL_TEMPLATES_PATH")
    templates_path = Path(templates) if templates else None
    if templates_path is not None and not templates_path.is_absolute():
        templates_path = base / templates_path
    password = env.optional_string("EMAIL_SMTP_PASSWORD")
    secure = env.boolean("EMAIL_SMTP_SECURE", False)
    smtp = SmtpSettings(
        host=env.string("EMAIL_SMTP_HOST", "localhost"),
        port=env.integer("EMAIL_SMTP_PORT", 465 if secure else 587, minimum=1),
        user=env.optional_string("EMAIL_SMTP_USER"),
        password=Secret(password) if password else None,
        secure=secure,
        ignore_tls=env.boolean("EMAIL_SMTP_IGNORE_TLS", False),
        name=env.optional_string("EMAIL_SMTP_NAME"),
    )
    new_line = env.string("EMAIL_SENDMAIL_NEW_LINE", "unix")
    if new_line not in ("unix", "windows"):
        raise ConfigError("EMAIL_SENDMAIL_NEW_LINE", "must be unix or windows")
    return EmailSettings(
        transport=transport,  # type: ignore[arg-type]
        sender=env.string("EMAIL_FROM", "no-reply@example.com"),
        smtp=smtp,
        sendmail_path=env.string("EMAIL_SENDMAIL_PATH", "/usr/sbin/sendmail"),
        sendmail_new_line=new_line,  # type: ignore[arg-type]
        templates_path=templates_path,
        outbox_dir=data_dir / "mail",
        verify_setup=env.boolean("EMAIL_VERIFY_SETUP", True),
    )


def _providers(env: Reader) -> tuple[ProviderSettings, ...]:
    names = env.string_list("AUTH_PROVIDERS")
    providers = []
    seen: set[str] = set()
    for name in names:
        if name.lower() == "default":
            raise ConfigError("AUTH_PROVIDERS", '"default" is reserved for the built-in provider')
        if not _PROVIDER_NAME.match(name):
            raise ConfigError("AUTH_PROVIDERS", f'"{name}" may only hold letters, digits, - and _')
        if name.lower() in seen:
            raise ConfigError("AUTH_PROVIDERS", f'"{name}" is listed twice')
        seen.add(name.lower())
        prefix = f"AUTH_{name.upper()}_"
        driver = env.optional_string(prefix + "DRIVER")
        if driver is None:
            continue  # Directus lists only providers that have a driver
        if driver not in _DRIVERS:
            raise ConfigError(prefix + "DRIVER", f'"{driver}" is not one of {", ".join(_DRIVERS)}')
        options = {
            key: cast_provider_option(key, value) for key, value in env.prefixed(prefix).items()
        }
        providers.append(
            ProviderSettings(
                name=name,
                driver=driver,
                label=env.optional_string(prefix + "LABEL"),
                icon=env.optional_string(prefix + "ICON"),
                mode=env.optional_string(prefix + "MODE"),
                options=options,
            )
        )
    return tuple(providers)
