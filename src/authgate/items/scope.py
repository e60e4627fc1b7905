"""What a unit of work knows about its caller, and the hooks system collections plug in."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from authgate.access.grants import Grant
from authgate.access.model import Accountability
from authgate.access.permissions import Permissions
from authgate.errors import AuthError, forbidden
from authgate.query.filter import FilterContext
from authgate.schema.overview import SchemaOverview


@dataclass(frozen=True)
class Scope:
    """What one unit of work knows about the caller and the data model."""

    accountability: Accountability
    permissions: Permissions
    overview: SchemaOverview
    context: FilterContext
    now: datetime

    def grant(self, collection: str, action: str, path: str | None = None) -> Grant | None:
        return self.permissions.grant(collection, action, path)

    def read_lookup(self, collection: str, path: str | None) -> Grant | None:
        return self.permissions.grant(collection, "read", path)


class CollectionRules:
    """A system collection's own rules around the generic item writes; each hook does nothing
    here, and a collection overrides the ones it needs."""

    # Updates and deletes of this collection may remove an administrator: the items service
    # takes the admin-changes lock before writing anything (``storage/admin_lock.py``).
    guards_admins = False

    async def prepare(
        self, accountability: Accountability, payload: dict[str, Any], *, creating: bool
    ) -> dict[str, Any]:
        """Before the transaction (hashing, policy checks); returns the payload to write."""
        return payload

    def check(
        self, conn: Connection, scope: Scope, key: Any, values: dict[str, Any], *, creating: bool
    ) -> None:
        """Inside the transaction, before the row is written; may change ``values``."""
        return

    def before_write(
        self,
        conn: Connection,
        scope: Scope,
        keys: Sequence[Any],
        *,
        action: str,
        changes: Collection[str] = (),
    ) -> Any:
        """Inside the transaction, before anything changes (the place for cascades that must
        run before the rows go); ``changes`` names the columns an update writes. Its result is
        handed to ``after_write``."""
        return None

    def after_write(
        self,
        conn: Connection,
        scope: Scope,
        keys: Sequence[Any],
        values: Mapping[str, Any],
        *,
        action: str,
        before: Any,
    ) -> None:
        """Inside the transaction, after the rows were written (or before they are deleted)."""
        return


def forbidden_action(action: str, collection: str) -> AuthError:
    return forbidden(
        f'You don\'t have permission to perform "{action}" for collection "{collection}" '
        "or it does not exist."
    )
