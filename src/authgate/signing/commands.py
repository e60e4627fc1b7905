"""``authgate keys rotate`` and ``authgate keys list`` (registered by ``cli.py``)."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from datetime import datetime

from authgate.clock import Clock, SystemClock
from authgate.config.settings import Settings
from authgate.signing import SigningKeysError, repo
from authgate.signing.ring import key_states, rotate_keys, uses_stored_keys
from authgate.storage.db import Database, create_db_engine
from authgate.storage.migrate import is_up_to_date
from authgate.tokens.keyset import HMAC


def _database(settings: Settings) -> Database:
    engine = create_db_engine(settings.database)
    if not is_up_to_date(engine):
        engine.dispose()
        raise SigningKeysError("the database is not initialised; run `authgate bootstrap` first")
    return Database(engine, workers=1)


def _time(value: datetime | None) -> str:
    return value.isoformat(timespec="seconds") if value is not None else "-"


def rotate(settings: Settings, now: datetime) -> list[str]:
    """The lines ``authgate keys rotate`` prints."""
    db = _database(settings)
    try:
        row = rotate_keys(db, settings, now)
    finally:
        db.engine.dispose()
    return [
        f"new {row.algorithm} key {row.kid}: published now, signs from {_time(row.signs_from)}",
        "older keys stay published until the tokens they signed have expired",
    ]


def listing(settings: Settings, now: datetime) -> list[str]:
    """The lines ``authgate keys list`` prints: one per stored key, oldest first."""
    signing = settings.signing
    if not uses_stored_keys(settings):
        source = "SECRET (HS256)" if signing.algorithm == HMAC else "AUTH_JWT_PRIVATE_KEY"
        return [f"{signing.algorithm}: tokens are signed with {source}; no stored keys"]
    db = _database(settings)
    try:
        rows = db.read_sync(repo.load_keys)
    finally:
        db.engine.dispose()
    states = key_states(rows, now, algorithm=signing.algorithm, secret=settings.secret.reveal())
    lines = [
        "kid                                          alg    state      signs from / retires at"
    ]
    lines += [
        f"{key.kid:<44} {key.algorithm:<6} {key.state:<10} "
        f"{_time(key.signs_from)} / {_time(key.retires_at)}"
        for key in states
    ]
    return lines


def add_commands(
    commands: argparse._SubParsersAction,  # type: ignore[type-arg]
    load: Callable[[], Settings],
    clock: Clock | None = None,
) -> None:
    keys = commands.add_parser("keys", help="signing keys of access tokens (AUTH_JWT_ALGORITHM)")
    key_commands = keys.add_subparsers(dest="keys_command", required=True, metavar="COMMAND")
    clock = clock or SystemClock()

    def run(lines: Callable[[Settings, datetime], list[str]]) -> Callable[[object], int]:
        def command(_args: object) -> int:
            print("\n".join(lines(load(), clock.now())))
            return 0

        return command

    key_commands.add_parser(
        "rotate", help="a new key: published now, signing after AUTH_JWT_KEY_PUBLISH_DELAY"
    ).set_defaults(run=run(rotate))
    key_commands.add_parser("list", help="the stored keys and what each is doing").set_defaults(
        run=run(listing)
    )
