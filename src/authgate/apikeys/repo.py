"""SQL for ``authgate_api_keys`` and ``authgate_api_key_policies``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, bindparam, delete, func, insert, or_, select, update

from authgate.apikeys.model import KeyRecord
from authgate.storage.tables import api_key_policies, api_keys, users
from authgate.users.model import Status


@dataclass(frozen=True)
class KeyOwner:
    """A key found by its hash, with its active user."""

    id: str
    user: str
    role: str | None
    expires: datetime | None
    last_used: datetime | None
    limited: bool


_BY_TOKEN = (
    select(
        api_keys.c.id,
        api_keys.c.user,
        users.c.role,
        api_keys.c.expires,
        api_keys.c.last_used,
        api_keys.c.limited,
    )
    .join(users, users.c.id == api_keys.c.user)
    .where(api_keys.c.token == bindparam("token"), users.c.status == Status.ACTIVE.value)
)
_POLICIES = select(api_key_policies.c.policy).where(api_key_policies.c.key == bindparam("key"))
_TOUCH = (
    update(api_keys)
    .where(
        api_keys.c.id == bindparam("key"),
        or_(api_keys.c.last_used.is_(None), api_keys.c.last_used <= bindparam("before")),
    )
    .values(last_used=bindparam("now"))
)


def find_by_hash(conn: Connection, token_hash: str) -> KeyOwner | None:
    """Looked up by the keyed hash (an index lookup: nothing of the secret is compared)."""
    row = conn.execute(_BY_TOKEN, {"token": token_hash}).first()
    return None if row is None else KeyOwner(*row)


def policies_of(conn: Connection, key: str) -> frozenset[str]:
    return frozenset(str(row[0]) for row in conn.execute(_POLICIES, {"key": key}))


def touch(conn: Connection, key: str, *, now: datetime, before: datetime) -> None:
    conn.execute(_TOUCH, {"key": key, "now": now, "before": before})


def insert_key(
    conn: Connection,
    *,
    key_id: str,
    user: str,
    name: str,
    token_hash: str,
    created: datetime,
    expires: datetime | None,
    policies: tuple[str, ...] | None,
) -> None:
    """The key and its policy rows (the caller's transaction holds them together)."""
    conn.execute(
        insert(api_keys).values(
            id=key_id,
            user=user,
            name=name,
            token=token_hash,
            created=created,
            expires=expires,
            limited=policies is not None,
        )
    )
    if policies:
        conn.execute(insert(api_key_policies), [{"key": key_id, "policy": p} for p in policies])


def list_for(conn: Connection, user: str) -> list[KeyRecord]:
    rows = conn.execute(
        select(
            api_keys.c.id,
            api_keys.c.name,
            api_keys.c.created,
            api_keys.c.expires,
            api_keys.c.last_used,
            api_keys.c.limited,
        )
        .where(api_keys.c.user == user)
        .order_by(api_keys.c.created, api_keys.c.id)
    ).all()
    limits: dict[str, list[str]] = {}
    ids = [row[0] for row in rows if row[5]]
    if ids:
        for key, policy in conn.execute(
            select(api_key_policies.c.key, api_key_policies.c.policy)
            .where(api_key_policies.c.key.in_(ids))
            .order_by(api_key_policies.c.policy)
        ):
            limits.setdefault(str(key), []).append(str(policy))
    return [
        KeyRecord(
            id=row[0],
            name=row[1],
            created=row[2],
            expires=row[3],
            last_used=row[4],
            policies=tuple(limits.get(row[0], ())) if row[5] else None,
        )
        for row in rows
    ]


def delete_key(conn: Connection, user: str, key: str) -> bool:
    gone = conn.execute(delete(api_keys).where(api_keys.c.user == user, api_keys.c.id == key))
    return bool(gone.rowcount)


def count_live(conn: Connection, user: str, now: datetime) -> int:
    """The user's keys that still work: not expired (revoked keys are deleted)."""
    return int(
        conn.execute(
            select(func.count())
            .select_from(api_keys)
            .where(
                api_keys.c.user == user,
                or_(api_keys.c.expires.is_(None), api_keys.c.expires > now),
            )
        ).scalar_one()
    )
