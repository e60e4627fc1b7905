"""Writing activity and revision rows (inside the caller's transaction)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert

from authgate.storage.tables import activity, revisions

_INSERT = insert(activity).returning(activity.c.id)


@dataclass(frozen=True)
class Actor:
    """Who did it and from where, as recorded on the row."""

    user: str | None
    ip: str | None
    user_agent: str | None
    origin: str | None


def record(
    conn: Connection,
    *,
    action: str,
    actor: Actor,
    collection: str,
    item: str,
    now: datetime,
    data: Mapping[str, Any] | None = None,
    delta: Mapping[str, Any] | None = None,
) -> int:
    result = conn.execute(
        _INSERT,
        {
            "action": action,
            "user": actor.user,
            "timestamp": now,
            "ip": actor.ip[:50] if actor.ip else None,
            "user_agent": actor.user_agent,
            "origin": actor.origin[:255] if actor.origin else None,
            "collection": collection,
            "item": item,
        },
    )
    activity_id = int(result.scalar_one())
    if data is not None or delta is not None:
        conn.execute(
            insert(revisions).values(
                activity=activity_id, collection=collection, item=item, data=data, delta=delta
            )
        )
    return activity_id
