"""config/settings.py: Directus defaults, typed values, and start-up refusal of bad values."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from authgate.config import ConfigError, Secret, Settings, load_settings


def load(tmp_path: Path, **env: str) -> Settings:
    return load_settings(env, cwd=tmp_path)


class TestDirectusDefaults:
    """The defaults of spec section 10.2 (and 13 for the limiters, 8.1 for hashing)."""

    def test_public_url_is_root(self, tmp_path: Path) -> None:
        assert load(tmp_path).public_url == "/"

    def test_token_lifetimes(self, tmp_path: Path) -> None:
        settings = load(tmp_path)

        assert settings.access_token_ttl == timedelta(minutes=15)
        assert settings.refresh_token_ttl == timedelta(days=7)
        assert settings.session_cookie_ttl == timedelta(days=1)
        assert settings.email_verification_token_ttl == timedelta(days=7)
        assert settings.user_invite_token_ttl == timedelta(days=7)

    def test_session_refresh_grace_period_is_ten_seconds(self, tmp_path: Path) -> None:
        assert load(tmp_path).session_refresh_grace_period == timedelta(seconds=10)

    def test_stall_times_are_500_and_750_milliseconds(self, tmp_path: Path) -> None:
        settings = load(tmp_path)

        assert settings.login_stall_time == timedelta(milliseconds=500)
        assert settings.register_stall_time == timedelta(milliseconds=750)

    def test_refresh_cookie(self, tmp_path: Path) -> None:
        cookie = load(tmp_path).refresh_cookie

        assert (cookie.name, cookie.domain, cookie.secure, cookie.same_site) == (
            "directus_refresh_token",
            None,
            False,
            "lax",
        )
        assert cookie.max_age == timedelta(days=7)

    def test_session_cookie(self, tmp_path: Path) -> None:
        cookie = load(tmp_path).session_cookie

        assert (cookie.name, cookie.domain, cookie.secure, cookie.same_site) == (
            "directus_session_token",
            None,
            False,
            "lax",
        )
        assert cookie.max_age == timedelta(days=1)

    def test_allow_lists_and_providers_are_empty(self, tmp_path: Path) -> None:
        settings = load(tmp_path)

        assert settings.password_reset_url_allow_list == ()
        assert settings.user_invite_url_allow_list == ()
        assert settings.user_register_url_allow_list == ()
        assert settings.auth_allowed_public_urls == ()
        assert settings.providers == ()
        assert settings.auth_disable_default is False

    def test_proxies_are_not_trusted_and_no_custom_ip_header_is_read(self, tmp_path: Path) -> None:
        settings = load(tmp_path)

        assert settings.ip_trust_proxy is False
        assert settings.ip_custom_header is None

    def test_hashing_uses_the_argon2_library_defaults(self, tmp_path: Path) -> None:
        hashing = load(tmp_path).hashing

        assert (
            hashing.type,
            hashing.memory_cost,
            hashing.time_cost,
            hashing.parallelism,
            hashing.hash_length,
            hashing.salt_length,
        ) == ("argon2id", 65536, 3, 4, 32, 16)

    def test_no_admin_is_bootstrapped(self, tmp_path: Path) -> None:
        settings = load(tmp_path)

        assert (settings.admin_email, settings.admin_password, settings.admin_token) == (
            None,
            None,
            None,
        )

    def test_cors_is_off_with_credentials_allowed(self, tmp_path: Path) -> None:
        cors = load(tmp_path).cors

        assert (cors.enabled, cors.origins, cors.reflect_origin, cors.credentials) == (
            False,
            (),
            False,
            True,
        )

    def test_max_payload_size_is_one_mebibyte(self, tmp_path: Path) -> None:
        assert load(tmp_path).max_payload_size == 1024 * 1024

    def test_rate_limiters(self, tmp_path: Path) -> None:
        limits = load(tmp_path).rate_limit

        assert (limits.ip.enabled, limits.ip.points, limits.ip.duration) == (
            False,
            50,
            timedelta(seconds=1),
        )
        assert (limits.globally.enabled, limits.globally.points, limits.globally.duration) == (
            False,
            1000,
            timedelta(seconds=1),
        )
        assert (
            limits.registration.enabled,
            limits.registration.points,
            limits.registration.duration,
        ) == (True, 5, timedelta(seconds=60))

    def test_database_is_sqlite_in_the_data_directory(self, tmp_path: Path) -> None:
        database = load(tmp_path).database

        assert (database.client, database.filename) == ("sqlite3", tmp_path / "data" / "data.db")

    def test_port_is_8055(self, tmp_path: Path) -> None:
        assert load(tmp_path).port == 8055


class TestValues:
    def test_durations_accept_ms_style_text(self, tmp_path: Path) -> None:
        assert load(tmp_path, ACCESS_TOKEN_TTL="2h").access_token_ttl == timedelta(hours=2)

    def test_a_bare_number_for_a_ttl_is_seconds(self, tmp_path: Path) -> None:
        assert load(tmp_path, ACCESS_TOKEN_TTL="900").access_token_ttl == timedelta(seconds=900)

    def test_a_bare_number_for_a_stall_time_is_milliseconds(self, tmp_path: Path) -> None:
        settings = load(tmp_path, LOGIN_STALL_TIME="250")

        assert settings.login_stall_time == timedelta(milliseconds=250)

    def test_cookie_max_age_follows_the_ttl(self, tmp_path: Path) -> None:
        settings = load(tmp_path, REFRESH_TOKEN_TTL="3d", SESSION_COOKIE_TTL="2h")

        assert settings.refresh_cookie.max_age == timedelta(days=3)
        assert settings.session_cookie.max_age == timedelta(hours=2)

    def test_same_site_none_is_accepted_with_a_secure_cookie(self, tmp_path: Path) -> None:
        settings = load(tmp_path, SESSION_COOKIE_SAME_SITE="None", SESSION_COOKIE_SECURE="true")

        assert (settings.session_cookie.same_site, settings.session_cookie.secure) == (
            "none",
            True,
        )

    def test_public_url_loses_its_trailing_slash(self, tmp_path: Path) -> None:
        assert load(tmp_path, PUBLIC_URL="https://auth.example.com/").public_url == (
            "https://auth.example.com"
        )

    def test_allow_lists_are_comma_separated(self, tmp_path: Path) -> None:
        settings = load(
            tmp_path,
            PASSWORD_RESET_URL_ALLOW_LIST="https://a.example/reset, https://b.example/reset",
        )

        assert settings.password_reset_url_allow_list == (
            "https://a.example/reset",
            "https://b.example/reset",
        )

    def test_allow_lists_may_be_json_arrays(self, tmp_path: Path) -> None:
        settings = load(tmp_path, USER_INVITE_URL_ALLOW_LIST='["https://a.example/invite"]')

        assert settings.user_invite_url_allow_list == ("https://a.example/invite",)

    def test_a_cast_prefix_on_a_known_variable_is_removed(self, tmp_path: Path) -> None:
        assert load(tmp_path, PORT="number:9000").port == 9000

    def test_a_string_prefixed_secret_keeps_the_rest_verbatim(self, tmp_path: Path) -> None:
        settings = load(tmp_path, SECRET="string:1234,5678")

        assert settings.secret.reveal() == "1234,5678"

    @pytest.mark.parametrize(
        ("raw", "expected"),
        [("true", True), ("false", False), ("2", 2), ("0", 0)],
    )
    def test_ip_trust_proxy_takes_a_boolean_or_a_hop_count(
        self, tmp_path: Path, raw: str, expected: bool | int
    ) -> None:
        assert load(tmp_path, IP_TRUST_PROXY=raw).ip_trust_proxy == expected

    def test_ip_trust_proxy_takes_a_list_of_subnets(self, tmp_path: Path) -> None:
        settings = load(tmp_path, IP_TRUST_PROXY="loopback, 10.0.0.0/8")

        assert settings.ip_trust_proxy == ("loopback", "10.0.0.0/8")

    def test_ip_custom_header_is_lowercased(self, tmp_path: Path) -> None:
        assert load(tmp_path, IP_CUSTOM_HEADER="X-Real-IP").ip_custom_header == "x-real-ip"

    def test_ip_custom_header_false_means_none(self, tmp_path: Path) -> None:
        assert load(tmp_path, IP_CUSTOM_HEADER="false").ip_custom_header is None

    def test_cors_origin_true_reflects_the_request_origin(self, tmp_path: Path) -> None:
        cors = load(tmp_path, CORS_ENABLED="true", CORS_ORIGIN="true").cors

        assert (cors.reflect_origin, cors.origins) == (True, ())

    def test_cors_origin_list(self, tmp_path: Path) -> None:
        cors = load(tmp_path, CORS_ORIGIN="https://a.example,https://b.example").cors

        assert (cors.reflect_origin, cors.origins) == (
            False,
            ("https://a.example", "https://b.example"),
        )

    def test_root_redirect_false_disables_it(self, tmp_path: Path) -> None:
        assert load(tmp_path, ROOT_REDIRECT="false").root_redirect is None

    @pytest.mark.parametrize(("raw", "expected"), [("0", "argon2d"), ("1", "argon2i")])
    def test_hash_type_numbers_name_the_argon2_variant(
        self, tmp_path: Path, raw: str, expected: str
    ) -> None:
        assert load(tmp_path, HASH_TYPE=raw).hashing.type == expected

    def test_smtp_port_defaults_to_465_with_implicit_tls(self, tmp_path: Path) -> None:
        assert load(tmp_path, EMAIL_SMTP_SECURE="true").email.smtp.port == 465

    def test_relative_data_dir_is_under_the_working_directory(self, tmp_path: Path) -> None:
        assert load(tmp_path, DATA_DIR="state").data_dir == tmp_path / "state"

    def test_postgres_from_its_parts(self, tmp_path: Path) -> None:
        settings = load(
            tmp_path,
            DB_CLIENT="pg",
            DB_HOST="db.internal",
            DB_PORT="5433",
            DB_DATABASE="authgate",
            DB_USER="app",
            DB_PASSWORD="p@ss:word",
        )

        assert settings.database.client == "pg"
        assert settings.database.url == Secret(
            "postgresql+psycopg://app:p%40ss%3Aword@db.internal:5433/authgate"
        )

    def test_postgres_display_never_holds_the_password(self, tmp_path: Path) -> None:
        settings = load(
            tmp_path,
            DB_CLIENT="postgres",
            DB_CONNECTION_STRING="postgres://app:hunter2-secret@db.internal/authgate",
        )

        assert "hunter2-secret" not in settings.database.display

    def test_redis_url_from_host_port_and_password(self, tmp_path: Path) -> None:
        settings = load(tmp_path, REDIS_HOST="cache", REDIS_PORT="6380", REDIS_PASSWORD="pw")

        assert settings.redis is not None
        assert settings.redis.url == Secret("redis://:pw@cache:6380/0")

    def test_rate_limiter_store_redis_is_accepted_with_redis(self, tmp_path: Path) -> None:
        settings = load(tmp_path, RATE_LIMITER_STORE="redis", REDIS="redis://cache:6379")

        assert settings.rate_limit.store == "redis"

    def test_global_limiter_allowing_more_than_the_ip_limiter_is_accepted(
        self, tmp_path: Path
    ) -> None:
        settings = load(
            tmp_path,
            RATE_LIMITER_ENABLED="true",
            RATE_LIMITER_POINTS="50",
            RATE_LIMITER_GLOBAL_ENABLED="true",
            RATE_LIMITER_GLOBAL_POINTS="1000",
        )

        assert settings.rate_limit.globally.enabled is True

    def test_secret_never_shows_in_the_repr_of_the_settings(self, tmp_path: Path) -> None:
        settings = load(
            tmp_path, SECRET="super-secret-value-0123456789abcdef", ADMIN_PASSWORD="pw-xyz"
        )

        assert "super-secret-value" not in repr(settings)
        assert "pw-xyz" not in repr(settings)


class TestProviders:
    def test_a_provider_gets_its_driver_label_and_options(self, tmp_path: Path) -> None:
        settings = load(
            tmp_path,
            AUTH_PROVIDERS="google",
            AUTH_GOOGLE_DRIVER="openid",
            AUTH_GOOGLE_LABEL="Google",
            AUTH_GOOGLE_CLIENT_ID="client-id",
            AUTH_GOOGLE_ALLOW_PUBLIC_REGISTRATION="true",
        )

        (provider,) = settings.providers
        assert (provider.name, provider.driver, provider.label) == ("google", "openid", "Google")
        assert provider.options["CLIENT_ID"] == "client-id"
        assert provider.options["ALLOW_PUBLIC_REGISTRATION"] is True

    def test_a_listed_provider_without_a_driver_is_skipped(self, tmp_path: Path) -> None:
        settings = load(tmp_path, AUTH_PROVIDERS="github,google", AUTH_GOOGLE_DRIVER="openid")

        assert [p.name for p in settings.providers] == ["google"]

    @pytest.mark.parametrize(
        ("key", "raw", "expected"),
        [
            ("BIND_DN", "cn=admin,dc=example,dc=org", "cn=admin,dc=example,dc=org"),
            ("USER_DN", "ou=people,dc=example,dc=org", "ou=people,dc=example,dc=org"),
            ("GROUP_DN", "ou=groups,dc=example,dc=org", "ou=groups,dc=example,dc=org"),
            ("BIND_PASSWORD", "1.50", "1.50"),
            ("BIND_PASSWORD", "true", "true"),
            ("COOKIE_SECURE", "1", True),
        ],
    )
    def test_provider_keys_in_the_directus_type_map_are_not_guessed(
        self, tmp_path: Path, key: str, raw: str, expected: object
    ) -> None:
        """Spec 10.1: ``AUTH_.+_BIND_DN``/``USER_DN``/``GROUP_DN``/``BIND_PASSWORD`` are strings
        and ``AUTH_.+_COOKIE_SECURE`` a boolean, whatever the text looks like."""
        settings = load(
            tmp_path, AUTH_PROVIDERS="ldap", AUTH_LDAP_DRIVER="ldap", **{f"AUTH_LDAP_{key}": raw}
        )

        value = settings.providers[0].options[key]
        assert (value, type(value)) == (expected, type(expected))


_INVALID: list[tuple[dict[str, str], str]] = [
    ({"PUBLIC_URL": "auth.example.com"}, "PUBLIC_URL"),
    ({"PUBLIC_URL": "ftp://auth.example.com"}, "PUBLIC_URL"),
    ({"PUBLIC_URL": "https://"}, "PUBLIC_URL"),
    ({"DB_CLIENT": "mysql"}, "DB_CLIENT"),
    ({"DB_CLIENT": "pg", "DB_DATABASE": "a", "DB_USER": "u"}, "DB_HOST"),
    ({"DB_CLIENT": "pg", "DB_HOST": "h", "DB_USER": "u"}, "DB_DATABASE"),
    ({"DB_CLIENT": "pg", "DB_CONNECTION_STRING": "mysql://h/db"}, "DB_CONNECTION_STRING"),
    ({"SESSION_COOKIE_SAME_SITE": "bogus"}, "SESSION_COOKIE_SAME_SITE"),
    ({"REFRESH_TOKEN_COOKIE_SAME_SITE": "bogus"}, "REFRESH_TOKEN_COOKIE_SAME_SITE"),
    ({"SESSION_COOKIE_SAME_SITE": "none"}, "SESSION_COOKIE_SAME_SITE"),
    (
        {"REFRESH_TOKEN_COOKIE_SAME_SITE": "none", "REFRESH_TOKEN_COOKIE_SECURE": "false"},
        "REFRESH_TOKEN_COOKIE_SAME_SITE",
    ),
    ({"SESSION_COOKIE_NAME": "bad name;"}, "SESSION_COOKIE_NAME"),
    ({"SESSION_COOKIE_SECURE": "yes"}, "SESSION_COOKIE_SECURE"),
    ({"AUTH_PROVIDERS": "default"}, "AUTH_PROVIDERS"),
    ({"AUTH_PROVIDERS": "github,Default"}, "AUTH_PROVIDERS"),
    ({"AUTH_PROVIDERS": "git hub"}, "AUTH_PROVIDERS"),
    ({"AUTH_PROVIDERS": "github,GitHub"}, "AUTH_PROVIDERS"),
    ({"AUTH_PROVIDERS": "corp", "AUTH_CORP_DRIVER": "kerberos"}, "AUTH_CORP_DRIVER"),
    ({"HASH_TYPE": "7"}, "HASH_TYPE"),
    ({"HASH_ASSOCIATED_DATA": "pepper"}, "HASH_ASSOCIATED_DATA"),
    ({"HASH_MEMORY_COST": "lots"}, "HASH_MEMORY_COST"),
    ({"RATE_LIMITER_STORE": "redis"}, "RATE_LIMITER_STORE"),
    ({"RATE_LIMITER_STORE": "memcached"}, "RATE_LIMITER_STORE"),
    ({"RATE_LIMITER_POINTS": "0"}, "RATE_LIMITER_POINTS"),
    ({"RATE_LIMITER_GLOBAL_ENABLED": "true"}, "RATE_LIMITER_GLOBAL_POINTS"),
    (
        {
            "RATE_LIMITER_ENABLED": "true",
            "RATE_LIMITER_POINTS": "50",
            "RATE_LIMITER_GLOBAL_ENABLED": "true",
            "RATE_LIMITER_GLOBAL_POINTS": "50",
        },
        "RATE_LIMITER_GLOBAL_POINTS",
    ),
    ({"LOG_LEVEL": "verbose"}, "LOG_LEVEL"),
    ({"REDIS": "http://cache:6379"}, "REDIS"),
    ({"REDIS_ENABLED": "true"}, "REDIS_ENABLED"),
    ({"EMAIL_TRANSPORT": "mailgun"}, "EMAIL_TRANSPORT"),
    ({"EMAIL_SENDMAIL_NEW_LINE": "mac"}, "EMAIL_SENDMAIL_NEW_LINE"),
    ({"PASSWORD_RESET_URL_ALLOW_LIST": "/reset"}, "PASSWORD_RESET_URL_ALLOW_LIST"),
    ({"USER_REGISTER_URL_ALLOW_LIST": '{"a": 1}'}, "USER_REGISTER_URL_ALLOW_LIST"),
    ({"USER_INVITE_URL_ALLOW_LIST": "[not json"}, "USER_INVITE_URL_ALLOW_LIST"),
    ({"AUTH_ALLOWED_PUBLIC_URLS": "javascript:alert(1)"}, "AUTH_ALLOWED_PUBLIC_URLS"),
    ({"ACCESS_TOKEN_TTL": "soon"}, "ACCESS_TOKEN_TTL"),
    ({"ACCESS_TOKEN_TTL": "0"}, "ACCESS_TOKEN_TTL"),
    ({"REFRESH_TOKEN_TTL": "-1d"}, "REFRESH_TOKEN_TTL"),
    ({"SESSION_COOKIE_TTL": "0s"}, "SESSION_COOKIE_TTL"),
    ({"LOGIN_STALL_TIME": "a while"}, "LOGIN_STALL_TIME"),
    ({"MAX_PAYLOAD_SIZE": "huge"}, "MAX_PAYLOAD_SIZE"),
    ({"PORT": "eighty"}, "PORT"),
    ({"WORKERS": "0"}, "WORKERS"),
    ({"QUERY_LIMIT_MAX": "0"}, "QUERY_LIMIT_MAX"),
]


@pytest.mark.parametrize(
    ("env", "variable"), _INVALID, ids=[f"{v}={'|'.join(e.values())}" for e, v in _INVALID]
)
def test_an_invalid_value_is_refused_naming_its_variable(
    tmp_path: Path, env: dict[str, str], variable: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(env, cwd=tmp_path)

    assert caught.value.variable == variable
    assert str(caught.value).startswith(f"{variable}: ")


def test_the_lockout_locks_for_fifteen_minutes_unless_told_otherwise(tmp_path: Path) -> None:
    default = load(tmp_path)
    chosen = load(tmp_path, AUTH_LOCKOUT="Suspend", AUTH_LOCKOUT_DURATION="1h")

    assert (default.auth_lockout, default.auth_lockout_duration) == ("lock", timedelta(minutes=15))
    assert (chosen.auth_lockout, chosen.auth_lockout_duration) == ("suspend", timedelta(hours=1))
    for variable, value in (("AUTH_LOCKOUT", "ban"), ("AUTH_LOCKOUT_DURATION", "0")):
        with pytest.raises(ConfigError) as caught:
            load(tmp_path, **{variable: value})
        assert caught.value.variable == variable
