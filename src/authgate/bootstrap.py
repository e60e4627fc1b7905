"""First run: a secret, the schema, and the first administrator.

``ensure_secret`` keeps a generated ``SECRET`` in the data folder when none is configured, so
restarts keep sessions valid. ``bootstrap`` migrates the database and, when it holds no user
at all, creates the Administrator role and policy and the first admin (``ADMIN_EMAIL`` /
``ADMIN_PASSWORD`` / ``ADMIN_TOKEN``, or ``admin@example.com`` with a random password).
"""

from __future__ import annotations

import logging
import os
import secrets
import uuid
from dataclasses import dataclass, replace

import argon2
from sqlalchemy import Connection, func, insert, select

from authgate.clock import SystemClock
from authgate.config.settings import Secret, Settings
from authgate.crypto import Keys
from authgate.passwords import _TYPES
from authgate.signing.ring import ensure_key
from authgate.storage.db import Database, create_db_engine
from authgate.storage.migrate import exclusive, migrate
from authgate.storage.private import private_folder
from authgate.storage.tables import access, policies, roles, users
from authgate.storage.tables import settings as settings_table

log = logging.getLogger("authgate.bootstrap")

DEFAULT_ADMIN_EMAIL = "admin@example.com"


def ensure_secret(settings: Settings) -> Settings:
    if settings.secret:
        if len(settings.secret.reveal().encode()) < 32:
            log.warning("SECRET is shorter than 32 bytes; use a longer random value")
        return settings
    path = settings.data_dir / "secret"
    private_folder(path.parent)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        value = path.read_text("utf-8").strip()
    else:
        value = secrets.token_urlsafe(48)
        with os.fdopen(fd, "w") as handle:
            handle.write(value + "\n")
        log.warning("SECRET is not set; generated one and kept it in %s", path)
    if not value:
        raise RuntimeError(f"{path} is empty; delete it or set SECRET")
    return replace(settings, secret=Secret(value), secret_is_generated=True)


@dataclass(frozen=True)
class FirstAdmin:
    email: str
    password: str | None  # only when it was generated here, to be shown once


def bootstrap(settings: Settings) -> FirstAdmin | None:
    """Migrate, then create the first admin if there is no user, and the first signing key
    (``AUTH_JWT_ALGORITHM`` other than HS256). Safe to run concurrently."""
    engine = create_db_engine(settings.database)
    try:
        migrate(engine)
        with exclusive(engine) as conn:
            created = _first_admin(conn, settings)
            conn.commit()
        ensure_key(Database(engine, workers=1), settings, SystemClock().now())
        return created
    finally:
        engine.dispose()


def _hash(settings: Settings, password: str) -> str:
    config = settings.hashing
    hasher = argon2.PasswordHasher(
        time_cost=config.time_cost,
        memory_cost=config.memory_cost,
        parallelism=config.parallelism,
        hash_len=config.hash_length,
        salt_len=config.salt_length,
        type=_TYPES[config.type],
    )
    return hasher.hash(password)


def _first_admin(conn: Connection, settings: Settings) -> FirstAdmin | None:
    if conn.execute(select(func.count()).select_from(users)).scalar_one() > 0:
        return None
    email = settings.admin_email or DEFAULT_ADMIN_EMAIL
    generated = None
    if settings.admin_password is not None:
        password = settings.admin_password.reveal()
    else:
        password = generated = secrets.token_urlsafe(12)
    role_id, policy_id = str(uuid.uuid4()), str(uuid.uuid4())
    conn.execute(
        insert(roles).values(
            id=role_id, name="Administrator", icon="verified", description="$t:admin_description"
        )
    )
    conn.execute(
        insert(policies).values(
            id=policy_id,
            name="Administrator",
            icon="verified",
            description="$t:admin_description",
            admin_access=True,
            app_access=True,
        )
    )
    conn.execute(insert(access).values(id=str(uuid.uuid4()), role=role_id, policy=policy_id))
    token = None
    if settings.admin_token is not None:
        token = Keys.from_secret(settings.secret.reveal()).hash_token(settings.admin_token.reveal())
    conn.execute(
        insert(users).values(
            id=str(uuid.uuid4()),
            email=email,
            password=_hash(settings, password),
            status="active",
            first_name="Admin",
            last_name="User",
            role=role_id,
            token=token,
            provider="default",
        )
    )
    if settings.project_name:
        conn.execute(settings_table.update().values(project_name=settings.project_name))
    return FirstAdmin(email=email, password=generated)
