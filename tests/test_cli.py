"""The ``authgate`` command: help, bootstrap, users, and one-line errors."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest


def run(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        "DATA_DIR": str(tmp_path / "data"),
        "HASH_MEMORY_COST": "8",
        "HASH_TIME_COST": "1",
        "HASH_PARALLELISM": "1",
        "LOG_LEVEL": "error",
        **env,
    }
    return subprocess.run(
        [sys.executable, "-m", "authgate", *args],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(
    "command",
    [
        [],
        ["serve"],
        ["bootstrap"],
        ["db", "migrate"],
        ["users", "create"],
        ["users", "passwd"],
        ["users", "unlock"],
        ["users", "activate"],
        ["keys"],
        ["keys", "rotate"],
        ["keys", "list"],
    ],
)
def test_every_command_has_help(tmp_path: Path, command: list[str]) -> None:
    result = run(tmp_path, *command, "--help")

    assert result.returncode == 0
    assert result.stdout.startswith("usage: authgate")


def test_bootstrap_creates_the_first_admin_once_then_users_are_managed(tmp_path: Path) -> None:
    first = run(tmp_path, "bootstrap")
    second = run(tmp_path, "bootstrap")
    created = run(
        tmp_path,
        "users",
        "create",
        "--email",
        "ada@example.com",
        "--password",
        "Pw-123456",
        "--role",
        "Administrator",
    )
    duplicate = run(tmp_path, "users", "create", "--email", "ADA@example.com", "--password", "x")
    changed = run(
        tmp_path, "users", "passwd", "--email", "ada@example.com", "--password", "Pw-654321"
    )
    unknown = run(tmp_path, "users", "passwd", "--email", "nobody@example.com", "--password", "x")

    assert first.returncode == 0
    assert "first admin created: admin@example.com" in first.stdout
    assert "password: " in first.stdout
    assert "first admin" not in second.stdout
    assert created.returncode == 0
    assert len(created.stdout.strip()) == 36
    assert (duplicate.returncode, duplicate.stderr) == (
        1,
        "authgate: a user with email ADA@example.com already exists\n",
    )
    assert changed.returncode == 0
    assert (unknown.returncode, unknown.stderr) == (
        1,
        "authgate: no user with email nobody@example.com\n",
    )
    assert (tmp_path / "data" / "secret").stat().st_mode & 0o077 == 0


def test_admin_credentials_from_the_environment_are_not_printed(tmp_path: Path) -> None:
    result = run(
        tmp_path, "bootstrap", ADMIN_EMAIL="boss@example.com", ADMIN_PASSWORD="Given-Passw0rd!"
    )

    assert "first admin created: boss@example.com" in result.stdout
    assert "Given-Passw0rd!" not in result.stdout + result.stderr


def test_invalid_configuration_is_one_line_naming_the_variable(tmp_path: Path) -> None:
    result = run(tmp_path, "bootstrap", SESSION_COOKIE_SAME_SITE="sideways")

    assert result.returncode == 1
    assert (
        result.stderr
        == 'authgate: SESSION_COOKIE_SAME_SITE: "sideways" is not lax, strict or none\n'
    )


def test_a_database_that_cannot_be_reached_is_one_line(tmp_path: Path) -> None:
    result = run(
        tmp_path,
        "db",
        "migrate",
        DB_CLIENT="pg",
        DB_HOST="127.0.0.1",
        DB_PORT="1",
        DB_DATABASE="x",
        DB_USER="x",
    )

    assert result.returncode == 1
    assert result.stderr.startswith("authgate: database error: OperationalError:")
    assert len(result.stderr.splitlines()) == 1


def test_commands_on_an_uninitialised_database_say_what_to_do(tmp_path: Path) -> None:
    result = run(tmp_path, "users", "passwd", "--email", "a@example.com", "--password", "x")

    assert result.returncode == 1
    assert "run `authgate bootstrap` first" in result.stderr


def test_a_password_set_on_the_command_line_mails_nothing(tmp_path: Path) -> None:
    """README "Security notices": changes made with the command line mail nothing."""
    mail = {"EMAIL_TRANSPORT": "file"}
    assert run(tmp_path, "bootstrap", **mail).returncode == 0
    created = run(
        tmp_path, "users", "create", "--email", "bo@example.com", "--password", "Pw-1", **mail
    )
    changed = run(
        tmp_path, "users", "passwd", "--email", "bo@example.com", "--password", "Pw-2", **mail
    )

    assert created.returncode == 0, created.stderr
    assert changed.returncode == 0, changed.stderr
    assert "password changed for bo@example.com" in changed.stdout
    outbox = tmp_path / "data" / "mail"
    assert not outbox.exists() or list(outbox.iterdir()) == []


def test_the_first_run_says_where_the_generated_secret_is_kept(tmp_path: Path) -> None:
    """README: the first run's output (the log line before the listening address)."""
    first = run(tmp_path, "bootstrap", LOG_LEVEL="info")
    second = run(tmp_path, "bootstrap", LOG_LEVEL="info")

    line = f"SECRET is not set; generated one and kept it in {tmp_path / 'data' / 'secret'}"
    assert line in first.stderr
    assert "SECRET is not set" not in second.stderr
