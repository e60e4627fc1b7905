"""The ``authgate_signing_keys`` rows: read them all, add one, schedule retirements, purge."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, delete, insert, select, update

from authgate.storage.tables import signing_keys


@dataclass(frozen=True)
class KeyRow:
    kid: str
    sequence: int
    algorithm: str
    public_key: dict[str, str]
    private_key: str  # sealed (sealing.py)
    created_at: datetime
    signs_from: datetime
    retires_at: datetime | None


def load_keys(conn: Connection) -> list[KeyRow]:
    """Every row not purged yet, oldest first."""
    rows = conn.execute(select(signing_keys).order_by(signing_keys.c.sequence)).mappings()
    return [
        KeyRow(
            kid=row["kid"],
            sequence=row["sequence"],
            algorithm=row["algorithm"],
            public_key=json.loads(row["public_key"]),
            private_key=row["private_key"],
            created_at=row["created_at"],
            signs_from=row["signs_from"],
            retires_at=row["retires_at"],
        )
        for row in rows
    ]


def insert_key(conn: Connection, row: KeyRow) -> None:
    """Raises ``IntegrityError`` when another key already took ``row.sequence``."""
    conn.execute(
        insert(signing_keys).values(
            kid=row.kid,
            sequence=row.sequence,
            algorithm=row.algorithm,
            public_key=json.dumps(row.public_key, sort_keys=True),
            private_key=row.private_key,
            created_at=row.created_at,
            signs_from=row.signs_from,
            retires_at=row.retires_at,
        )
    )


def schedule_retirement(conn: Connection, *, before: int, retires_at: datetime) -> None:
    """Every key older than sequence ``before`` not already scheduled retires at ``retires_at``."""
    conn.execute(
        update(signing_keys)
        .where(signing_keys.c.sequence < before, signing_keys.c.retires_at.is_(None))
        .values(retires_at=retires_at)
    )


def delete_retired(conn: Connection, now: datetime) -> int:
    doomed = signing_keys.c.retires_at.is_not(None) & (signing_keys.c.retires_at <= now)
    return conn.execute(delete(signing_keys).where(doomed)).rowcount or 0
