"""The ``authgate`` command: serve, bootstrap, db migrate, users create/passwd/unlock/activate,
keys rotate/list.

Every failure is one line on stderr and a non-zero exit status; no traceback.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, func, or_, select, update
from sqlalchemy.exc import SQLAlchemyError

from authgate import __version__
from authgate.config import ConfigError, Settings, load_settings, read_environment
from authgate.signing import SigningKeysError

log = logging.getLogger("authgate.cli")


class CommandError(Exception):
    """A problem the user can fix; printed as one line."""


def _settings() -> Settings:
    from authgate.bootstrap import ensure_secret
    from authgate.logs import configure_logging

    cwd = Path.cwd()
    settings = load_settings(read_environment(os.environ, cwd=cwd), cwd=cwd)
    configure_logging(settings)
    return ensure_secret(settings)


def _url(settings: Settings) -> str:
    host = settings.host
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{settings.port}"


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from authgate.bootstrap import bootstrap
    from authgate.http.protocol import PROTOCOL

    settings = _settings()
    if args.host:
        settings = _replace(settings, host=args.host)
    if args.port is not None:
        settings = _replace(settings, port=args.port)
    if args.workers is not None:
        settings = _replace(settings, workers=args.workers)
    admin = bootstrap(settings)
    print(f"authgate {__version__} on {settings.database.display}", flush=True)
    print(f"listening on {_url(settings)} ({settings.workers} process(es))", flush=True)
    if admin is not None:
        print(f"first admin created: {admin.email}", flush=True)
        if admin.password is not None:
            print(
                f"  password: {admin.password}   (shown once; change it after signing in)",
                flush=True,
            )
    common: dict[str, Any] = {
        "host": settings.host,
        "port": settings.port,
        "log_config": None,
        "access_log": False,
        "proxy_headers": False,
        "server_header": False,
        "http": PROTOCOL,  # httptools, with Nagle off on every connection
        # asyncio, not uvloop: uvloop accepted new connections late under load (see
        # pyproject.toml), which put seconds on their first request.
        "loop": "asyncio",
        "timeout_graceful_shutdown": 10,
    }
    if settings.workers > 1:
        os.environ.update({"HOST": settings.host, "PORT": str(settings.port)})
        if settings.metrics.enabled:
            _metrics_folder()
        uvicorn.run(
            "authgate.app:app_from_environment", factory=True, workers=settings.workers, **common
        )
    else:
        from authgate.app import create_app

        uvicorn.run(create_app(settings), **common)
    return 0


def _metrics_folder() -> None:
    """Metrics of several worker processes add up through files in one folder
    (prometheus-client's multi-process mode): a private one (0700), emptied at start, since
    values left by an earlier run would be counted again. Set before any worker starts, so
    every worker inherits it."""
    import atexit
    import shutil
    import tempfile

    given = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if given:
        folder = Path(given)
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        for stale in folder.glob("*.db"):
            stale.unlink()
        return
    made = tempfile.mkdtemp(prefix="authgate-metrics-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = made
    atexit.register(shutil.rmtree, made, ignore_errors=True)


def _replace(settings: Settings, **changes: object) -> Settings:
    from dataclasses import replace

    return replace(settings, **changes)  # type: ignore[arg-type]


def cmd_bootstrap(_args: argparse.Namespace) -> int:
    from authgate.bootstrap import bootstrap

    settings = _settings()
    admin = bootstrap(settings)
    print(f"database ready: {settings.database.display}")
    if admin is not None:
        print(f"first admin created: {admin.email}")
        if admin.password is not None:
            print(f"  password: {admin.password}   (shown once)")
    return 0


def cmd_migrate(_args: argparse.Namespace) -> int:
    from authgate.storage.db import create_db_engine
    from authgate.storage.migrate import head_revision, migrate

    settings = _settings()
    engine = create_db_engine(settings.database)
    try:
        migrate(engine)
    finally:
        engine.dispose()
    print(f"database at revision {head_revision()}: {settings.database.display}")
    return 0


def _with_db(settings: Settings, work: object) -> object:
    from authgate.storage.db import Database, create_db_engine
    from authgate.storage.migrate import is_up_to_date

    engine = create_db_engine(settings.database)
    try:
        if not is_up_to_date(engine):
            raise CommandError("the database is not initialised; run `authgate bootstrap` first")
        return Database(engine, workers=1).write_sync(work)  # type: ignore[arg-type]
    finally:
        engine.dispose()


def _checked_password(settings: Settings, password: str) -> str:
    from authgate.bootstrap import _hash

    if not password:
        raise CommandError("--password must not be empty")
    return _hash(settings, password)


def cmd_users_create(args: argparse.Namespace) -> int:
    from authgate.emails import is_valid_email
    from authgate.storage.tables import roles, users

    settings = _settings()
    if not is_valid_email(args.email):
        raise CommandError(f'"{args.email}" is not a valid email address')
    hashed = _checked_password(settings, args.password)

    def work(conn: Connection) -> str:
        if conn.execute(
            select(users.c.id).where(func.lower(users.c.email) == args.email.lower())
        ).first():
            raise CommandError(f"a user with email {args.email} already exists")
        role = None
        if args.role:
            found = conn.execute(
                select(roles.c.id).where(
                    or_(roles.c.id == _uuid_or_none(args.role), roles.c.name == args.role)
                )
            ).first()
            if found is None:
                raise CommandError(f'no role with id or name "{args.role}"')
            role = found[0]
        user_id = str(uuid.uuid4())
        conn.execute(
            users.insert().values(
                id=user_id,
                email=args.email,
                password=hashed,
                role=role,
                status="active",
                provider="default",
            )
        )
        return user_id

    user_id = _with_db(settings, work)
    print(user_id)
    return 0


def _uuid_or_none(value: str) -> str | None:
    try:
        return str(uuid.UUID(value))
    except ValueError:
        return None


def cmd_users_passwd(args: argparse.Namespace) -> int:
    from authgate.lockout.service import unlock
    from authgate.storage.tables import sessions, users

    settings = _settings()
    hashed = _checked_password(settings, args.password)

    def work(conn: Connection) -> None:
        row = conn.execute(
            select(users.c.id).where(func.lower(users.c.email) == args.email.lower())
        ).first()
        if row is None:
            raise CommandError(f"no user with email {args.email}")
        unlock(conn, row[0])  # as a reset by mail: the locks end with the old password
        conn.execute(update(users).where(users.c.id == row[0]).values(password=hashed))
        conn.execute(sessions.delete().where(sessions.c.user == row[0]))

    _with_db(settings, work)
    print(f"password changed for {args.email}; their sessions were ended and locks lifted")
    return 0


def _user_id(conn: Connection, email: str) -> str:
    from authgate.storage.tables import users

    row = conn.execute(select(users.c.id).where(func.lower(users.c.email) == email.lower())).first()
    if row is None:
        raise CommandError(f"no user with email {email}")
    return str(row[0])


def cmd_users_unlock(args: argparse.Namespace) -> int:
    from authgate.lockout.service import unlock

    settings = _settings()
    _with_db(settings, lambda conn: unlock(conn, _user_id(conn, args.email)))
    print(f"sign-in locks lifted for {args.email}")
    return 0


def cmd_users_activate(args: argparse.Namespace) -> int:
    """Set the status back to active (a user suspended by ``AUTH_LOCKOUT=suspend``, or by an
    administrator) and lift the sign-in locks."""
    from authgate.lockout.service import unlock
    from authgate.storage.tables import users

    settings = _settings()

    def work(conn: Connection) -> None:
        user_id = _user_id(conn, args.email)
        unlock(conn, user_id)
        conn.execute(update(users).where(users.c.id == user_id).values(status="active"))

    _with_db(settings, work)
    print(f"{args.email} is active; sign-in locks lifted")
    return 0


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(
        prog="authgate",
        description="A self-hosted authentication and access server speaking the Directus API.",
    )
    top.add_argument("--version", action="version", version=f"authgate {__version__}")
    commands = top.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = commands.add_parser(
        "serve", help="migrate, create the first admin if needed, and serve"
    )
    serve.add_argument("--host", help="address to listen on (default: HOST or 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port to listen on (default: PORT or 8055)")
    serve.add_argument("--workers", type=int, help="number of processes (default: WORKERS or 1)")
    serve.set_defaults(run=cmd_serve)

    boot = commands.add_parser("bootstrap", help="migrate and create the first admin if needed")
    boot.set_defaults(run=cmd_bootstrap)

    db = commands.add_parser("db", help="database maintenance")
    db_commands = db.add_subparsers(dest="db_command", required=True, metavar="COMMAND")
    db_commands.add_parser("migrate", help="apply pending migrations").set_defaults(run=cmd_migrate)

    users = commands.add_parser("users", help="manage users")
    user_commands = users.add_subparsers(dest="users_command", required=True, metavar="COMMAND")
    create = user_commands.add_parser("create", help="create an active user")
    create.add_argument("--email", required=True)
    create.add_argument("--password", required=True)
    create.add_argument("--role", help="role id or name")
    create.set_defaults(run=cmd_users_create)
    passwd = user_commands.add_parser("passwd", help="set a user's password (ends their sessions)")
    passwd.add_argument("--email", required=True)
    passwd.add_argument("--password", required=True)
    passwd.set_defaults(run=cmd_users_passwd)
    unlock = user_commands.add_parser(
        "unlock", help="lift a user's sign-in locks (failed passwords or codes)"
    )
    unlock.add_argument("email")
    unlock.set_defaults(run=cmd_users_unlock)
    activate = user_commands.add_parser(
        "activate", help="make a suspended user active again and lift their sign-in locks"
    )
    activate.add_argument("email")
    activate.set_defaults(run=cmd_users_activate)
    from authgate.signing.commands import add_commands

    add_commands(commands, _settings)
    return top


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return int(args.run(args))
    except (CommandError, ConfigError, SigningKeysError) as error:
        print(f"authgate: {error}", file=sys.stderr)
        return 1
    except SQLAlchemyError as error:
        first_line = str(error).splitlines()[0][:200]
        print(
            f"authgate: database error: {error.__class__.__name__}: {first_line}", file=sys.stderr
        )
        return 1
    except OSError as error:
        print(f"authgate: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
