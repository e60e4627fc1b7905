"""The cache epoch: bumped with every change to the access model or the data model."""

from __future__ import annotations

from sqlalchemy import Connection, select, update

from authgate.storage.tables import state

_BUMP = update(state).where(state.c.key == "epoch").values(value=state.c.value + 1)
_READ = select(state.c.value).where(state.c.key == "epoch")


def bump_epoch(conn: Connection) -> None:
    """Call inside the transaction that changes roles, policies, access, permissions,
    collections, fields or relations: every instance sees the new epoch with its next request."""
    conn.execute(_BUMP)


def current_epoch(conn: Connection) -> int:
    value = conn.execute(_READ).scalar_one_or_none()
    return int(value) if value is not None else 0
