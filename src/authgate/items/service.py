"""Items of any collection, read and written under the caller's permissions.

A write is one transaction: the permission checks (fields, item rules of every target,
validation rules ANDed across rows, presets), nested related items, the row itself, its
activity and revision rows. System collections plug their own rules in through
``CollectionRules`` (hashing passwords, refusing cycles in the role tree, ...).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from authgate.access.grants import Grant, fields_forbidden
from authgate.access.model import Accountability
from authgate.access.permissions import PermissionCache, permissions_for
from authgate.activity import repo as activity
from authgate.clock import Clock
from authgate.errors import AuthError, forbidden, invalid_payload
from authgate.items import variables
from authgate.items.constraints import delete_refused
from authgate.items.prepare import Prepared, prepare_payload
from authgate.items.reading import ItemReads
from authgate.items.relations import unlink_dependents, write_children, write_related
from authgate.items.rows import coerce_values, guarded, only_columns, revision, stamp, typed_key
from authgate.items.scope import CollectionRules, Scope, forbidden_action
from authgate.items.validation import schema_rules, validate
from authgate.query.filter import FilterContext
from authgate.query.read import Reader
from authgate.schema.cache import SchemaCache
from authgate.schema.model import Collection
from authgate.schema.overview import SchemaOverview
from authgate.storage.admin_lock import serialise_admin_changes
from authgate.storage.db import Database
from authgate.storage.epoch import current_epoch


class ItemsService(ItemReads):
    def __init__(
        self,
        *,
        db: Database,
        clock: Clock,
        reader: Reader,
        schema: SchemaCache,
        permissions: PermissionCache,
        rules: Mapping[str, CollectionRules] | None = None,
        hash_password: Any = None,
        max_batch: int | None = None,
    ) -> None:
        self.db = db
        self.clock = clock
        self.reader = reader
        self.schema = schema
        self.permission_cache = permissions
        self.rules: dict[str, CollectionRules] = dict(rules or {})
        self.hash_password = hash_password
        self.max_batch = max_batch

    # ------------------------------------------------------------------- scope

    def scope(
        self, conn: Connection, accountability: Accountability, *, fresh: bool = False
    ) -> Scope:
        permissions = permissions_for(conn, accountability, self.permission_cache)
        epoch = current_epoch(conn) if fresh else permissions.epoch
        if fresh and epoch != permissions.epoch:
            permissions = permissions_for(
                conn, replace(accountability, epoch=epoch), self.permission_cache
            )
        now = self.clock.now()
        overview = self.schema.overview(conn, epoch)
        context = FilterContext(
            user=accountability.user,
            role=accountability.role,
            roles=accountability.roles,
            policies=permissions.policies,
            now=now,
        )
        if permissions.record_paths:
            # Item rules reading the caller's records (``$CURRENT_USER.role.name``): read
            # them once for this unit of work, with administrator rights, as Directus does.
            records = variables.load_record_values(
                conn, overview, context, permissions.record_paths
            )
            context = replace(context, records=records)
        return Scope(accountability, permissions, overview, context, now)

    def grant_in(
        self, conn: Connection, accountability: Accountability, collection: str, action: str
    ) -> Grant | None:
        """The caller's grant (None for administrators); FORBIDDEN when there is none."""
        return permissions_for(conn, accountability, self.permission_cache).grant(
            collection, action
        )

    def collection(self, scope: Scope, name: str, action: str = "read") -> Collection:
        found = scope.overview.collection(name)
        if found is None or (
            not scope.permissions.admin and not scope.permissions.rows(name, action)
        ):
            from authgate.access.grants import collection_forbidden

            raise collection_forbidden(name)
        return found

    # ------------------------------------------------------------------ writes

    async def prepare(
        self, accountability: Accountability, name: str, payload: Any, *, creating: bool
    ) -> Prepared:
        """``payload`` and every item nested in it through its collection's rules (before the
        transaction: hashing is async)."""
        overview = await self._overview()
        collection = overview.collection(name)
        if collection is None:  # the transaction refuses it, as forbidden
            if not isinstance(payload, dict):
                raise invalid_payload('"value" must be of type object')
            return Prepared(payload)

        async def hook(described: Collection, item: dict[str, Any], new: bool) -> dict[str, Any]:
            hooks = self.rules.get(described.name)
            if hooks is not None:
                return await hooks.prepare(accountability, item, creating=new)
            if self.hash_password is not None:
                for field in described.columns:
                    if field.type == "hash" and isinstance(item.get(field.name), str):
                        value = item[field.name]
                        item[field.name] = await self.hash_password(value) if value else None
            return item

        return await prepare_payload(overview, collection, payload, hook, creating=creating)

    async def _overview(self) -> SchemaOverview:
        def work(conn: Connection) -> SchemaOverview:
            return self.schema.overview(conn, current_epoch(conn))

        return await self.db.read(work)

    async def create(self, accountability: Accountability, name: str, payload: Any) -> list[Any]:
        items = payload if isinstance(payload, list) else [payload]
        self._check_batch(len(items))
        prepared = [await self.prepare(accountability, name, item, creating=True) for item in items]

        def work(conn: Connection) -> list[Any]:
            scope = self.scope(conn, accountability, fresh=True)
            collection = self.collection(scope, name, "create")
            return [self.create_in(conn, scope, collection, item) for item in prepared]

        return await self.db.write(work)

    async def update(
        self, accountability: Accountability, name: str, keys: Sequence[Any], payload: Any
    ) -> list[Any]:
        self._check_batch(len(keys))
        refused: AuthError | None = None
        try:
            prepared: Mapping[str, Any] = await self.prepare(
                accountability, name, payload, creating=False
            )
        except AuthError as error:
            if not isinstance(payload, dict):
                raise
            # Directus's preMutationError: a collection rule's refusal (an admin-only field, the
            # password policy) is answered after the access checks and the validation, so a
            # caller without the permission gets 403 whatever the payload holds.
            prepared, refused = payload, error

        def work(conn: Connection) -> list[Any]:
            scope = self.scope(conn, accountability, fresh=True)
            collection = self.collection(scope, name, "update")
            self._serialise_admin_changes(conn, name)
            typed = [typed_key(collection, k) for k in keys]
            if any(k is None for k in typed):
                raise forbidden_action("update", name)
            self.update_in(conn, scope, collection, typed, prepared, refused=refused)
            return typed

        return await self.db.write(work)

    async def update_each(
        self, accountability: Accountability, name: str, items: Sequence[Any]
    ) -> list[Any]:
        """``PATCH /items/c`` with ``[{pk, ...}, ...]``: each item its own changes, in one
        transaction."""
        self._check_batch(len(items))
        prepared = [
            await self.prepare(accountability, name, item, creating=False) for item in items
        ]

        def work(conn: Connection) -> list[Any]:
            scope = self.scope(conn, accountability, fresh=True)
            collection = self.collection(scope, name, "update")
            self._serialise_admin_changes(conn, name)
            keys = []
            for item in prepared:
                key = typed_key(collection, item.get(collection.primary_key))
                if key is None:
                    raise invalid_payload(f'Every item needs its "{collection.primary_key}"')
                changes = {k: v for k, v in item.items() if k != collection.primary_key}
                self.update_in(conn, scope, collection, [key], changes)
                keys.append(key)
            return keys

        return await self.db.write(work)

    async def delete(self, accountability: Accountability, name: str, keys: Sequence[Any]) -> None:
        self._check_batch(len(keys))

        def work(conn: Connection) -> None:
            scope = self.scope(conn, accountability, fresh=True)
            collection = self.collection(scope, name, "delete")
            self._serialise_admin_changes(conn, name)
            typed = [typed_key(collection, k) for k in keys]
            if any(k is None for k in typed):
                raise forbidden_action("delete", name)
            self.delete_in(conn, scope, collection, typed)

        await self.db.write(work)

    async def upsert_singleton(
        self, accountability: Accountability, name: str, payload: Any
    ) -> Any:
        prepared = await self.prepare(accountability, name, payload, creating=False)

        def work(conn: Connection) -> Any:
            scope = self.scope(conn, accountability, fresh=True)
            collection = self.collection(
                scope, name, "update" if self._first_key(conn, scope, name) else "create"
            )
            existing = self._first_key(conn, scope, name)
            if existing is None:
                return self.create_in(conn, scope, collection, prepared)
            self.update_in(conn, scope, collection, [existing], prepared)
            return existing

        return await self.db.write(work)

    def _first_key(self, conn: Connection, scope: Scope, name: str) -> Any:
        collection = scope.overview.collection(name)
        assert collection is not None
        table = scope.overview.table(name)
        return conn.execute(select(table.c[collection.primary_key]).limit(1)).scalar_one_or_none()

    def _serialise_admin_changes(self, conn: Connection, name: str) -> None:
        """An update or delete that may remove an administrator (directly, or through what it
        writes nested) takes the admin-changes lock before its first row."""
        hooks = self.rules.get(name)
        if hooks is not None and hooks.guards_admins:
            serialise_admin_changes(conn)

    def _check_batch(self, count: int) -> None:
        if self.max_batch is not None and count > self.max_batch:
            raise invalid_payload(f"Exceeds max batch mutation limit of {self.max_batch}")

    # --------------------------------------------------------- in-transaction

    def create_in(
        self, conn: Connection, scope: Scope, collection: Collection, payload: Mapping[str, Any]
    ) -> Any:
        grant = scope.grant(collection.name, "create")
        columns, m2o, o2m = self._split(scope, collection, payload, grant)
        if grant is not None and grant.presets:
            columns = {**self._presets(conn, scope, collection, grant), **columns}
        rules = schema_rules(collection, creating=True)
        if grant is not None:
            rules += self._validations(conn, scope, grant)
        validate({**columns, **{k: v for k, v in m2o.items()}}, rules, creating=True)
        for name, value in m2o.items():
            columns[name] = write_related(self, conn, scope, collection, name, value)
        values = coerce_values(collection, columns)
        stamp(scope, collection, values, creating=True)
        key = values.get(collection.primary_key)
        hooks = self.rules.get(collection.name)
        before = None
        if hooks is not None:
            before = hooks.before_write(conn, scope, [], action="create")
            hooks.check(conn, scope, key, values, creating=True)
        table = scope.overview.table(collection.name)
        insert_row = insert(table).values(**values).returning(table.c[collection.primary_key])
        key = guarded(lambda: conn.execute(insert_row).scalar_one(), collection, values)
        for name, value in o2m.items():
            write_children(self, conn, scope, collection, key, name, value)
        self._record(conn, scope, collection, "create", key, values)
        if hooks is not None:
            hooks.after_write(conn, scope, [key], values, action="create", before=before)
        return key

    def update_in(
        self,
        conn: Connection,
        scope: Scope,
        collection: Collection,
        keys: Sequence[Any],
        payload: Mapping[str, Any],
        *,
        refused: AuthError | None = None,
    ) -> None:
        """``refused``: the payload's refusal by its collection's rules, raised once the
        payload has passed the access checks and the validation (and before any write)."""
        grant = scope.grant(collection.name, "update")
        columns, m2o, o2m = self._split(scope, collection, payload, grant)
        if grant is not None:
            self._check_access(conn, scope, collection, grant, keys, "update", list(payload))
            if grant.presets:
                columns = {**self._presets(conn, scope, collection, grant), **columns}
        rules = schema_rules(collection, creating=False)
        if grant is not None:
            rules += self._validations(conn, scope, grant)
        validate({**columns, **m2o}, rules, creating=False)
        if refused is not None:
            raise refused
        for name, value in m2o.items():
            columns[name] = write_related(self, conn, scope, collection, name, value)
        values = coerce_values(collection, columns)
        stamp(scope, collection, values, creating=False)
        values.pop(collection.primary_key, None)
        table = scope.overview.table(collection.name)
        primary = table.c[collection.primary_key]
        existing = [row[0] for row in conn.execute(select(primary).where(primary.in_(list(keys))))]
        hooks = self.rules.get(collection.name)
        before = None
        if hooks is not None:
            before = hooks.before_write(
                conn, scope, existing, action="update", changes=list(values)
            )
        for key in existing:
            own = dict(values)
            if hooks is not None:
                hooks.check(conn, scope, key, own, creating=False)
            if own:
                statement = update(table).where(primary == key).values(**own)
                guarded(lambda s=statement: conn.execute(s), collection, own)
            for name, value in o2m.items():
                write_children(self, conn, scope, collection, key, name, value)
            self._record(conn, scope, collection, "update", key, own)
        if hooks is not None and existing:
            hooks.after_write(conn, scope, existing, values, action="update", before=before)

    def delete_in(
        self, conn: Connection, scope: Scope, collection: Collection, keys: Sequence[Any]
    ) -> None:
        grant = scope.grant(collection.name, "delete")
        if grant is not None:
            self._check_access(conn, scope, collection, grant, keys, "delete", [])
        table = scope.overview.table(collection.name)
        primary = table.c[collection.primary_key]
        existing = [row[0] for row in conn.execute(select(primary).where(primary.in_(list(keys))))]
        if not existing:
            return
        hooks = self.rules.get(collection.name)
        before = hooks.before_write(conn, scope, existing, action="delete") if hooks else None
        for relation in scope.overview.relations:
            if relation.one_collection == collection.name and relation.one_filter is None:
                unlink_dependents(conn, scope, collection, relation, existing)
        try:
            conn.execute(delete(table).where(primary.in_(existing)))
        except IntegrityError as exc:  # a foreign key's RESTRICT / NO ACTION
            raise delete_refused(exc, collection) from None
        for key in existing:
            self._record(conn, scope, collection, "delete", key, None)
        if hooks is not None:
            hooks.after_write(conn, scope, existing, {}, action="delete", before=before)

    def _presets(
        self, conn: Connection, scope: Scope, collection: Collection, grant: Grant
    ) -> dict[str, Any]:
        """The grant's presets for this caller: variables resolved as in filters."""
        presets = variables.resolve_with_records(
            conn, scope.overview, scope.context, dict(grant.presets), literals=True
        )
        return only_columns(collection, variables.as_written(presets))

    def _validations(self, conn: Connection, scope: Scope, grant: Grant) -> list[Mapping[str, Any]]:
        """The grant's validation rules for this caller: variables resolved as in filters."""
        rules = variables.resolve_with_records(
            conn, scope.overview, scope.context, list(grant.validations), literals=True
        )
        return list(rules)

    def _split(
        self, scope: Scope, collection: Collection, payload: Mapping[str, Any], grant: Grant | None
    ) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
        """Payload -> (columns, nested m2o objects, o2m changes); every key checked against the
        grant and the data model (unknown keys are dropped when every field is granted)."""
        columns: dict[str, Any] = {}
        m2o: dict[str, Any] = {}
        o2m: dict[str, Any] = {}
        refused = []
        for name, value in payload.items():
            described = collection.field(name)
            if described is None:
                # Directus checks keys against the permission's field list only when it has
                # no "*"; a key the data model does not know is then not written.
                if grant is None or grant.all_fields:
                    continue
                refused.append(name)
                continue
            if grant is not None and not grant.allows_field(name):
                refused.append(name)
                continue
            if described.is_alias:
                if scope.overview.o2m(collection.name, name) is not None:
                    o2m[name] = value
                continue
            if isinstance(value, dict) and scope.overview.m2o(collection.name, name) is not None:
                m2o[name] = value
                continue
            columns[name] = value
        if refused:
            raise fields_forbidden(refused, collection.name)
        return columns, m2o, o2m

    def _check_access(
        self,
        conn: Connection,
        scope: Scope,
        collection: Collection,
        grant: Grant,
        keys: Sequence[Any],
        action: str,
        fields: Sequence[str],
    ) -> None:
        """Every target must be visible under the action's item rules, and every changed field
        granted on every target (Directus's validateAccess)."""
        from authgate.query.compile import Compiler

        compiler = Compiler(scope.overview, self.db.dialect, scope.context, scope.read_lookup)
        table = compiler.alias(collection.name)
        primary = table.c[collection.primary_key]
        distinct = list(dict.fromkeys(keys))
        rule = compiler.row_rule(grant, None, collection, table)
        statement = select(func.count()).select_from(table).where(primary.in_(distinct))
        if rule is not None:
            statement = statement.where(rule)
        if conn.execute(statement, scope.context.parameters()).scalar_one() != len(distinct):
            raise forbidden_action(action, collection.name)
        partial = []
        for name in fields:
            if grant.unrestricted_for(name) or not grant.allows_field(name):
                continue
            rules = [
                compiler.condition(r, collection, table, checked=False)
                for r in grant.rules_for(name)
            ]
            from sqlalchemy import or_

            covered = (
                select(func.count()).select_from(table).where(primary.in_(distinct), or_(*rules))
            )
            if conn.execute(covered, scope.context.parameters()).scalar_one() != len(distinct):
                partial.append(name)
        if partial:
            listed = ", ".join(f'"{n}"' for n in partial)
            raise forbidden(
                f'You don\'t have permissions to perform "{action}" for the field(s) {listed} in '
                f'collection "{collection.name}" or it does not exist.'
            )

    def require(self, scope: Scope, name: str, action: str) -> None:
        if not scope.permissions.can(name, action):
            from authgate.access.grants import collection_forbidden

            raise collection_forbidden(name)

    def exists(self, conn: Connection, scope: Scope, collection: Collection, key: Any) -> bool:
        table = scope.overview.table(collection.name)
        found = conn.execute(
            select(table.c[collection.primary_key]).where(table.c[collection.primary_key] == key)
        )
        return found.first() is not None

    def _record(
        self,
        conn: Connection,
        scope: Scope,
        collection: Collection,
        action: str,
        key: Any,
        values: Mapping[str, Any] | None,
    ) -> None:
        if collection.accountability is None:
            return
        actor = activity.Actor(
            scope.accountability.user,
            scope.accountability.ip,
            scope.accountability.user_agent,
            scope.accountability.origin,
        )
        with_revision = collection.accountability == "all" and values is not None
        activity.record(
            conn,
            action=action,
            actor=actor,
            collection=collection.name,
            item=str(key),
            now=scope.now,
            data=revision(collection, values) if with_revision and values is not None else None,
            delta=revision(collection, values) if with_revision and values is not None else None,
        )
