"""config/env.py: where variables come from, how unknown ones are cast, durations and sizes."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from authgate.config.env import ConfigError, guess, parse_duration, parse_size, read_environment


class TestReadEnvironment:
    def test_without_a_config_file_the_process_environment_is_returned(
        self, tmp_path: Path
    ) -> None:
        environ = {"SECRET": "from-process", "PORT": "9000"}

        merged = read_environment(environ, cwd=tmp_path)

        assert merged == environ

    def test_the_dotenv_file_in_the_working_directory_overrides_the_process(
        self, tmp_path: Path
    ) -> None:
        (tmp_path / ".env").write_text("PORT=9100\nHOST=auth.internal\n")

        merged = read_environment({"PORT": "9000", "SECRET": "kept"}, cwd=tmp_path)

        assert merged == {"PORT": "9100", "HOST": "auth.internal", "SECRET": "kept"}

    def test_config_path_relative_to_the_working_directory_is_read(self, tmp_path: Path) -> None:
        (tmp_path / "conf").mkdir()
        (tmp_path / "conf" / "prod.env").write_text("PUBLIC_URL=https://auth.example.com\n")

        merged = read_environment({"CONFIG_PATH": "conf/prod.env"}, cwd=tmp_path)

        assert merged["PUBLIC_URL"] == "https://auth.example.com"

    def test_config_path_may_be_absolute(self, tmp_path: Path) -> None:
        config = tmp_path / "elsewhere.env"
        config.write_text("LOG_LEVEL=debug\n")

        merged = read_environment({"CONFIG_PATH": str(config)}, cwd=tmp_path / "nowhere")

        assert merged["LOG_LEVEL"] == "debug"

    def test_config_path_naming_a_missing_file_is_an_error(self, tmp_path: Path) -> None:
        with pytest.raises(ConfigError) as caught:
            read_environment({"CONFIG_PATH": "missing.env"}, cwd=tmp_path)

        assert caught.value.variable == "CONFIG_PATH"

    def test_a_missing_default_dotenv_is_not_an_error(self, tmp_path: Path) -> None:
        merged = read_environment({}, cwd=tmp_path)

        assert merged == {}

    def test_a_json_config_file_is_read_with_its_values_as_text(self, tmp_path: Path) -> None:
        config = tmp_path / "config.json"
        config.write_text(json.dumps({"PORT": 9200, "CORS_ENABLED": True, "HOST": "::"}))

        merged = read_environment({"CONFIG_PATH": str(config)}, cwd=tmp_path)

        assert merged == {
            "CONFIG_PATH": str(config),
            "PORT": "9200",
            "CORS_ENABLED": "true",
            "HOST": "::",
        }

    def test_a_json_config_file_that_is_not_an_object_is_an_error(self, tmp_path: Path) -> None:
        config = tmp_path / "config.json"
        config.write_text("[1, 2]")

        with pytest.raises(ConfigError) as caught:
            read_environment({"CONFIG_PATH": str(config)}, cwd=tmp_path)

        assert caught.value.variable == "CONFIG_PATH"

    def test_a_json_config_file_with_broken_json_is_an_error(self, tmp_path: Path) -> None:
        config = tmp_path / "config.json"
        config.write_text("{not json")

        with pytest.raises(ConfigError) as caught:
            read_environment({"CONFIG_PATH": str(config)}, cwd=tmp_path)

        assert caught.value.variable == "CONFIG_PATH"

    def test_dotenv_values_are_taken_literally_without_variable_expansion(
        self, tmp_path: Path
    ) -> None:
        """Directus reads the file with ``dotenv.parse``, which expands nothing: a password
        holding ``${...}`` must arrive unchanged, whatever the process environment holds."""
        (tmp_path / ".env").write_text("ADMIN_PASSWORD=pa${AUTHGATE_UNSET_NAME}ss\n")

        merged = read_environment({}, cwd=tmp_path)

        assert merged["ADMIN_PASSWORD"] == "pa${AUTHGATE_UNSET_NAME}ss"

    def test_file_indirection_reads_a_server_variable_from_the_file(self, tmp_path: Path) -> None:
        secret_file = tmp_path / "secret.txt"
        secret_file.write_text("s3cret-from-a-docker-secret")

        merged = read_environment({"SECRET_FILE": str(secret_file)}, cwd=tmp_path)

        assert merged["SECRET"] == "s3cret-from-a-docker-secret"

    def test_file_indirection_drops_the_trailing_newline(self, tmp_path: Path) -> None:
        secret_file = tmp_path / "secret.txt"
        secret_file.write_text("value-with-newline\r\n")

        merged = read_environment({"DB_PASSWORD_FILE": str(secret_file)}, cwd=tmp_path)

        assert merged["DB_PASSWORD"] == "value-with-newline"

    def test_file_indirection_works_for_provider_keys(self, tmp_path: Path) -> None:
        secret_file = tmp_path / "client-secret"
        secret_file.write_text("oauth-client-secret")

        merged = read_environment(
            {"AUTH_GOOGLE_CLIENT_SECRET_FILE": str(secret_file)}, cwd=tmp_path
        )

        assert merged["AUTH_GOOGLE_CLIENT_SECRET"] == "oauth-client-secret"

    def test_file_indirection_also_applies_to_names_from_the_dotenv_file(
        self, tmp_path: Path
    ) -> None:
        token_file = tmp_path / "token"
        token_file.write_text("static-admin-token")
        (tmp_path / ".env").write_text(f"ADMIN_TOKEN_FILE={token_file}\n")

        merged = read_environment({}, cwd=tmp_path)

        assert merged["ADMIN_TOKEN"] == "static-admin-token"

    def test_file_indirection_is_ignored_for_foreign_variables(self, tmp_path: Path) -> None:
        elsewhere = tmp_path / "config.tf"
        elsewhere.write_text("terraform settings")

        merged = read_environment({"TF_CLI_CONFIG_FILE": str(elsewhere)}, cwd=tmp_path)

        assert "TF_CLI_CONFIG" not in merged

    @pytest.mark.parametrize("name", ["HOSTNAME_FILE", "SECRETS_FILE", "PORTAGE_CONFIG_FILE"])
    def test_file_indirection_is_ignored_for_foreign_names_sharing_a_prefix(
        self, tmp_path: Path, name: str
    ) -> None:
        """``HOSTNAME`` is not ``HOST`` and ``SECRETS`` is not ``SECRET``: a foreign
        ``*_FILE`` naming a path that does not exist must neither be read nor stop start-up."""
        environ = {name: str(tmp_path / "does-not-exist")}

        merged = read_environment(environ, cwd=tmp_path)

        assert merged == environ

    def test_file_indirection_to_an_unreadable_path_names_the_file_variable(
        self, tmp_path: Path
    ) -> None:
        with pytest.raises(ConfigError) as caught:
            read_environment({"SECRET_FILE": str(tmp_path / "missing")}, cwd=tmp_path)

        assert caught.value.variable == "SECRET_FILE"


class TestGuess:
    @pytest.mark.parametrize(("raw", "expected"), [("true", True), ("false", False)])
    def test_true_and_false_become_booleans(self, raw: str, expected: bool) -> None:
        assert guess(raw) is expected

    @pytest.mark.parametrize("raw", ["TRUE", "False", "yes"])
    def test_other_spellings_of_booleans_stay_text(self, raw: str) -> None:
        assert guess(raw) == raw

    @pytest.mark.parametrize(("raw", "expected"), [("42", 42), ("-7", -7), ("8055", 8055)])
    def test_whole_numbers_become_integers(self, raw: str, expected: int) -> None:
        value = guess(raw)

        assert value == expected
        assert type(value) is int

    def test_decimal_numbers_become_floats(self) -> None:
        assert guess("3.25") == 3.25

    def test_integers_beyond_float_precision_keep_every_digit(self) -> None:
        """An 18-digit OAuth client id must not be rounded through a float."""
        assert guess("123456789012345678") == 123456789012345678

    @pytest.mark.parametrize("raw", ["0123", "007"])
    def test_numbers_with_a_leading_zero_stay_text(self, raw: str) -> None:
        assert guess(raw) == raw

    @pytest.mark.parametrize("raw", ["NaN", "Infinity", "-Infinity"])
    def test_javascript_number_literals_that_are_not_json_stay_text(self, raw: str) -> None:
        assert guess(raw) == raw

    def test_comma_separated_text_becomes_a_trimmed_list(self) -> None:
        assert guess("openid, profile ,email") == ["openid", "profile", "email"]

    def test_empty_items_of_a_comma_list_are_dropped(self) -> None:
        assert guess("a,,b,") == ["a", "b"]

    def test_a_json_object_without_commas_is_parsed(self) -> None:
        assert guess('{"prompt": "login"}') == {"prompt": "login"}

    def test_a_comma_wins_over_json_as_in_directus(self) -> None:
        assert guess('{"a":1,"b":2}') == ['{"a":1', '"b":2}']

    def test_plain_text_stays_text(self) -> None:
        assert guess("https://accounts.google.com") == "https://accounts.google.com"

    def test_string_prefix_keeps_the_rest_as_text(self) -> None:
        assert guess("string:true") == "true"

    def test_string_prefix_keeps_commas(self) -> None:
        assert guess("string:cn=admin,dc=example") == "cn=admin,dc=example"

    @pytest.mark.parametrize(("raw", "expected"), [("number:42", 42), ("number:2.5", 2.5)])
    def test_number_prefix_casts_to_a_number(self, raw: str, expected: float) -> None:
        assert guess(raw) == expected

    @pytest.mark.parametrize(
        ("raw", "expected"),
        [
            ("boolean:true", True),
            ("boolean:1", True),
            ("boolean:false", False),
            ("boolean:0", False),
        ],
    )
    def test_boolean_prefix_is_true_only_for_true_and_1(self, raw: str, expected: bool) -> None:
        assert guess(raw) is expected

    def test_json_prefix_parses_json_even_with_commas(self) -> None:
        assert guess('json:{"a": 1, "b": [2, 3]}') == {"a": 1, "b": [2, 3]}

    def test_array_prefix_splits_a_single_item_into_a_list(self) -> None:
        assert guess("array:only") == ["only"]


class TestParseDuration:
    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            ("500ms", timedelta(milliseconds=500)),
            ("10s", timedelta(seconds=10)),
            ("15m", timedelta(minutes=15)),
            ("1h", timedelta(hours=1)),
            ("7d", timedelta(days=7)),
            ("2w", timedelta(weeks=2)),
            ("1y", timedelta(days=365.25)),
            ("1.5h", timedelta(minutes=90)),
            (".5s", timedelta(milliseconds=500)),
            ("-1s", timedelta(seconds=-1)),
        ],
    )
    def test_short_units(self, text: str, expected: timedelta) -> None:
        assert parse_duration(text) == expected

    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            ("2 days", timedelta(days=2)),
            ("1 day", timedelta(days=1)),
            ("3 hrs", timedelta(hours=3)),
            ("5 mins", timedelta(minutes=5)),
            ("30 seconds", timedelta(seconds=30)),
            ("20 secs", timedelta(seconds=20)),
            ("250 msecs", timedelta(milliseconds=250)),
            ("100 milliseconds", timedelta(milliseconds=100)),
            ("1 week", timedelta(weeks=1)),
            ("2 yrs", timedelta(days=730.5)),
        ],
    )
    def test_long_unit_names(self, text: str, expected: timedelta) -> None:
        assert parse_duration(text) == expected

    def test_units_are_case_insensitive(self) -> None:
        assert parse_duration("15M") == timedelta(minutes=15)

    def test_a_bare_number_is_milliseconds_by_default(self) -> None:
        assert parse_duration("500") == timedelta(milliseconds=500)

    def test_a_bare_number_is_read_in_the_given_unit(self) -> None:
        assert parse_duration("900", bare_unit="s") == timedelta(seconds=900)

    def test_a_unit_given_in_the_text_wins_over_the_bare_unit(self) -> None:
        assert parse_duration("2m", bare_unit="s") == timedelta(minutes=2)

    @pytest.mark.parametrize("text", ["", "soon", "15 parsecs", "1.2.3s", "1 mo", "m", "1m1s"])
    def test_text_that_is_not_a_duration_gives_none(self, text: str) -> None:
        assert parse_duration(text) is None


class TestParseSize:
    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            ("2048", 2048),
            ("10b", 10),
            ("100kb", 102_400),
            ("1mb", 1_048_576),
            ("1 MB", 1_048_576),
            ("2gb", 2 * 1024**3),
            ("1tb", 1024**4),
            ("1pb", 1024**5),
            ("1.5kb", 1536),
            ("1.7kb", 1740),
        ],
    )
    def test_bytes_library_units_are_powers_of_1024(self, text: str, expected: int) -> None:
        assert parse_size(text) == expected

    @pytest.mark.parametrize("text", ["", "big", "1 megabyte", "-1kb", "1kib"])
    def test_text_that_is_not_a_size_gives_none(self, text: str) -> None:
        assert parse_size(text) is None
