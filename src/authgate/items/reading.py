"""The read side of the item service: lists, single items, singletons, read-backs after a
write, and what the caller may do with an item (``/permissions/me/<collection>/<key>``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, func, select

from authgate.access.model import Accountability
from authgate.access.record_paths import record_path, record_paths
from authgate.errors import AuthError, Code, forbidden
from authgate.items.rows import typed_key
from authgate.items.scope import Scope
from authgate.query.params import Query
from authgate.query.read import Reader, ReadResult
from authgate.schema.model import Collection

if TYPE_CHECKING:
    from authgate.storage.db import Database


class ItemReads:
    """Mixed into ``ItemsService``; relies on its ``db``, ``reader``, ``scope`` and
    ``collection``."""

    db: Database
    reader: Reader

    def scope(
        self, conn: Connection, accountability: Accountability, *, fresh: bool = False
    ) -> Scope:
        raise NotImplementedError

    def collection(self, scope: Scope, name: str, action: str = "read") -> Collection:
        raise NotImplementedError

    # ------------------------------------------------------------------- reads

    def read_in(
        self,
        conn: Connection,
        scope: Scope,
        name: str,
        query: Query,
        *,
        key: Any = None,
        keys: Sequence[Any] | None = None,
    ) -> ReadResult:
        collection = self.collection(scope, name)
        context = scope.context
        if query.filter:
            # The caller's own filter may use record paths too (``$CURRENT_USER.email``), read
            # under the caller's own permissions (Directus reads them with the request's
            # accountability; only permission rules read them with administrator rights).
            missing = record_paths(query.filter) - context.records.keys()
            if missing:
                found = {path: self._own_record_value(conn, scope, path) for path in missing}
                context = replace(context, records={**context.records, **found})
        return self.reader.read(
            conn,
            scope.overview,
            collection,
            query,
            scope.read_lookup,
            context,
            cache_key=scope.permissions.cache_key,
            key=key,
            keys=keys,
        )

    def _own_record_value(self, conn: Connection, scope: Scope, path: str) -> Any:
        """``$CURRENT_USER.<path>`` / ``$CURRENT_ROLE.<path>`` as the caller may read it: a
        field or relation it may not read gives null, and so does any other root."""
        parsed = record_path(path)
        roots = {
            "$CURRENT_USER": ("directus_users", scope.accountability.user),
            "$CURRENT_ROLE": ("directus_roles", scope.accountability.role),
        }
        if parsed is None or parsed[0] not in roots:
            return None
        name, key = roots[parsed[0]]
        collection = scope.overview.collection(name)
        if key is None or collection is None:
            return None
        own = Query(fields=(".".join(parsed[1]),), limit=1)
        try:
            rows = self.reader.read(
                conn, scope.overview, collection, own, scope.read_lookup, scope.context, key=key
            ).data
        except AuthError as error:
            if error.code != Code.FORBIDDEN:
                raise
            return None
        value: Any = rows[0] if rows else None
        for step in parsed[1]:
            if isinstance(value, dict):
                value = value.get(step)
            elif isinstance(value, list) and step.isdigit() and int(step) < len(value):
                value = value[int(step)]
            else:
                return None
        return value

    async def read(
        self, accountability: Accountability, name: str, query: Query, *, fresh: bool = False
    ) -> ReadResult:
        def work(conn: Connection) -> ReadResult:
            return self.read_in(conn, self.scope(conn, accountability, fresh=fresh), name, query)

        return await self.db.read(work)

    async def is_singleton(self, accountability: Accountability, name: str) -> bool:
        def work(conn: Connection) -> bool:
            scope = self.scope(conn, accountability)
            found = scope.overview.collection(name)
            if found is None:
                from authgate.access.grants import collection_forbidden

                raise collection_forbidden(name)
            return found.singleton

        return await self.db.read(work)

    async def read_singleton(
        self, accountability: Accountability, name: str, query: Query, *, fresh: bool = False
    ) -> dict[str, Any]:
        """The one item, or (when there is none yet) its fields as defaults."""

        def work(conn: Connection) -> dict[str, Any]:
            scope = self.scope(conn, accountability, fresh=fresh)
            collection = self.collection(scope, name)
            limited = Query(fields=query.fields, alias=query.alias, deep=query.deep, limit=1)
            rows = self.read_in(conn, scope, name, limited).data
            if rows:
                return rows[0]
            grant = scope.grant(name, "read")
            return {
                f.name: None
                for f in collection.columns
                if grant is None or grant.allows_field(f.name)
            }

        return await self.db.read(work)

    async def item_permissions(
        self, accountability: Accountability, name: str, key: Any
    ) -> dict[str, Any]:
        """``/permissions/me/<collection>/<key>``: may the caller update, delete, share it?"""

        def work(conn: Connection) -> dict[str, Any]:
            scope = self.scope(conn, accountability)
            collection = scope.overview.collection(name)
            if collection is None:
                from authgate.access.grants import collection_forbidden

                raise collection_forbidden(name)
            result: dict[str, Any] = {}
            for action in ("update", "delete", "share"):
                if scope.permissions.admin:
                    allowed = True
                elif not scope.permissions.rows(name, action):
                    allowed = False
                elif key is None or collection.singleton:
                    allowed = True
                else:
                    typed = typed_key(collection, key)
                    allowed = typed is not None and self._visible(
                        conn, scope, collection, action, typed
                    )
                entry: dict[str, Any] = {"access": allowed}
                if collection.singleton and action == "update":
                    grant = (
                        scope.grant(name, action)
                        if allowed and not scope.permissions.admin
                        else None
                    )
                    entry["presets"] = dict(grant.presets) if grant else {}
                    entry["fields"] = (
                        sorted({f for c in grant.cases for f in c.fields}) if grant else ["*"]
                    )
                result[action] = entry
            return result

        return await self.db.read(work)

    def _visible(
        self, conn: Connection, scope: Scope, collection: Collection, action: str, key: Any
    ) -> bool:
        from authgate.query.compile import Compiler

        grant = scope.grant(collection.name, action)
        compiler = Compiler(scope.overview, self.db.dialect, scope.context, scope.read_lookup)
        table = compiler.alias(collection.name)
        statement = (
            select(func.count()).select_from(table).where(table.c[collection.primary_key] == key)
        )
        rule = compiler.row_rule(grant, None, collection, table)
        if rule is not None:
            statement = statement.where(rule)
        return bool(conn.execute(statement, scope.context.parameters()).scalar_one())

    async def read_one(
        self,
        accountability: Accountability,
        name: str,
        key: Any,
        query: Query,
        *,
        fresh: bool = False,
    ) -> dict[str, Any]:
        def work(conn: Connection) -> dict[str, Any]:
            scope = self.scope(conn, accountability, fresh=fresh)
            # A key its collection cannot hold is refused before any permission is looked
            # at, as Directus's validateKeys does (a bare FORBIDDEN, whoever asks).
            described = scope.overview.collection(name)
            typed = typed_key(described, key) if described is not None else None
            if described is not None and typed is None:
                raise forbidden()
            self.collection(scope, name)
            rows = self.read_in(conn, scope, name, query, key=typed).data
            if not rows:
                raise forbidden()
            return rows[0]

        return await self.db.read(work)

    async def read_many_keys(
        self, accountability: Accountability, name: str, keys: Sequence[Any], query: Query
    ) -> list[dict[str, Any]]:
        def work(conn: Connection) -> list[dict[str, Any]]:
            scope = self.scope(conn, accountability, fresh=True)
            collection = self.collection(scope, name)
            typed = [typed_key(collection, k) for k in keys]
            limited = Query(fields=query.fields, alias=query.alias, deep=query.deep, limit=-1)
            rows = self.read_in(
                conn, scope, name, limited, keys=[k for k in typed if k is not None]
            ).data
            primary = collection.primary_key
            order = {str(k): i for i, k in enumerate(typed)}
            return sorted(rows, key=lambda row: order.get(str(row.get(primary)), 0))

        return await self.db.read(work)

    async def read_back(
        self,
        accountability: Accountability,
        name: str,
        keys: Sequence[Any],
        query: Query,
        *,
        single: bool,
    ) -> Any:
        """What a write answers: the items as the caller may now read them; ``None`` (204)
        when the caller may not read them."""
        try:
            if single:
                return await self.read_one(accountability, name, keys[0], query, fresh=True)
            return await self.read_many_keys(accountability, name, keys, query)
        except AuthError as error:
            if error.code.value == "FORBIDDEN":
                return None
            raise

    async def keys_for_query(
        self, accountability: Accountability, name: str, query: Query
    ) -> list[Any]:
        def work(conn: Connection) -> list[Any]:
            scope = self.scope(conn, accountability)
            collection = self.collection(scope, name)
            restricted = Query(
                fields=(collection.primary_key,), filter=query.filter, search=query.search, limit=-1
            )
            rows = self.read_in(conn, scope, name, restricted).data
            return [row[collection.primary_key] for row in rows]

        return await self.db.read(work)
