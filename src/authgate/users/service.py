"""``/users``: the generic item service on ``directus_users`` (its rules live in
``users/rules.py``), plus what only users have: ``/users/me`` and ``last_page``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection

from authgate.access.model import Accountability
from authgate.errors import AuthError, Code
from authgate.items.service import ItemsService
from authgate.query.params import Query
from authgate.query.read import ReadResult
from authgate.storage.db import Database
from authgate.users import repo

COLLECTION = "directus_users"


class UserService:
    def __init__(self, *, db: Database, items: ItemsService) -> None:
        self.db = db
        self.items = items

    async def read_many(self, accountability: Accountability, query: Query) -> ReadResult:
        return await self.items.read(accountability, COLLECTION, query)

    async def read_one(
        self, accountability: Accountability, key: str, query: Query
    ) -> dict[str, Any]:
        return await self.items.read_one(accountability, COLLECTION, key, query)

    async def read_me(self, accountability: Accountability, query: Query) -> dict[str, Any]:
        """Directus degrades rather than refuses: a caller who may not read their own record
        gets ``{"id"}``; a share session gets ``{"share"}``; nobody gets 401."""
        if accountability.user is None:
            if accountability.share is not None:
                return {"share": accountability.share}
            raise AuthError(Code.INVALID_CREDENTIALS)
        try:
            return await self.read_one(accountability, accountability.user, query)
        except AuthError as error:
            if error.code != Code.FORBIDDEN:
                raise
            return {"id": accountability.user}

    async def read_back(
        self, accountability: Accountability, keys: Sequence[Any], query: Query, *, single: bool
    ) -> Any:
        return await self.items.read_back(accountability, COLLECTION, keys, query, single=single)

    async def create(self, accountability: Accountability, payload: Any) -> list[Any]:
        return await self.items.create(accountability, COLLECTION, payload)

    async def update(
        self, accountability: Accountability, keys: Sequence[str], payload: Any
    ) -> list[Any]:
        return await self.items.update(accountability, COLLECTION, keys, payload)

    async def update_each(self, accountability: Accountability, items: Sequence[Any]) -> list[Any]:
        return await self.items.update_each(accountability, COLLECTION, items)

    async def delete(self, accountability: Accountability, keys: Sequence[str]) -> None:
        await self.items.delete(accountability, COLLECTION, keys)

    async def keys_for_query(self, accountability: Accountability, query: Query) -> list[Any]:
        return await self.items.keys_for_query(accountability, COLLECTION, query)

    async def track_page(self, accountability: Accountability, last_page: str) -> None:
        """Written without permission checks, as Directus does."""
        user = accountability.user
        if user is None:
            raise AuthError(Code.INVALID_CREDENTIALS)

        def work(conn: Connection) -> None:
            repo.set_columns(conn, user, {"last_page": last_page[:255]})

        await self.db.write(work)
