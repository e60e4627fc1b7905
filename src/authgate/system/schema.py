"""``/collections``, ``/fields``, ``/relations``: the data model, read under permissions and
changed by administrators, each change one transaction (DDL included) that bumps the epoch."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, delete, insert, inspect, select, update

from authgate.access.grants import collection_forbidden, fields_forbidden
from authgate.access.model import Accountability
from authgate.access.permissions import Permissions
from authgate.errors import forbidden, invalid_payload
from authgate.items.scope import forbidden_action
from authgate.items.service import ItemsService
from authgate.query.decode import decode_value
from authgate.schema import ddl
from authgate.schema.describe import (
    describe_collection,
    describe_field,
    describe_relation,
    foreign_keys,
)
from authgate.schema.model import FIELD_TYPES
from authgate.schema.overview import SchemaOverview
from authgate.schema.reflect import column_facts
from authgate.schema.retype import check_rows_fit
from authgate.schema.system import COLLECTIONS as SYSTEM
from authgate.storage.db import Database
from authgate.storage.epoch import bump_epoch
from authgate.storage.tables import collections_meta, fields_meta, permissions, relations_meta

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]{0,63}$")
_COLLECTION_META = [c.name for c in collections_meta.columns]
_FIELD_META = [c.name for c in fields_meta.columns if c.name not in ("id",)]


def _check_name(kind: str, name: Any) -> str:
    if not isinstance(name, str) or not name:
        raise invalid_payload(f'"{kind}" is required')
    if name != name.strip():
        raise invalid_payload(f'"{kind}" can\'t have leading or trailing spaces')
    if "/" in name or not _NAME.match(name):
        raise invalid_payload(f'"{name}" is not a valid {kind} name')
    return name


def _column_changes(schema: Any) -> Mapping[str, Any]:
    """The ``schema`` of a field change, its numbers and flags checked before any DDL."""
    if schema is None:
        return {}
    if not isinstance(schema, dict):
        raise invalid_payload('"schema" must be of type object')
    for key in ("max_length", "numeric_precision", "numeric_scale"):
        value = schema.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            raise invalid_payload(f'"schema.{key}" must be a number')
        if isinstance(value, int) and value < 1 and key == "max_length":
            raise invalid_payload('"schema.max_length" must be at least 1')
    if not isinstance(schema.get("is_nullable", True), bool):
        raise invalid_payload('"schema.is_nullable" must be a boolean')
    return schema


def _field_meta_row(collection: str, name: str, meta: Mapping[str, Any] | None) -> dict[str, Any]:
    row: dict[str, Any] = {"collection": collection, "field": name}
    for key, value in (meta or {}).items():
        if key in _FIELD_META and key not in ("collection", "field"):
            row[key] = ",".join(value) if key == "special" and isinstance(value, list) else value
    return row


class SchemaService:
    def __init__(self, *, db: Database, items: ItemsService) -> None:
        self.db = db
        self.items = items

    # ------------------------------------------------------------------ reads

    def _readable(
        self, conn: Connection, accountability: Accountability
    ) -> tuple[SchemaOverview, Any]:
        scope = self.items.scope(conn, accountability, fresh=True)
        return scope.overview, scope.permissions

    async def collections(self, accountability: Accountability, name: str | None = None) -> Any:
        def work(conn: Connection) -> Any:
            overview, perms = self._readable(conn, accountability)
            if not perms.admin:
                # As Directus: one collection is first checked against the caller's own read
                # access to it, then the list is read from directus_collections under the
                # caller's permissions (app access grants that read; a custom policy may).
                if name is not None and not perms.rows(name, "read"):
                    raise forbidden_action("read", name)
                if not perms.rows("directus_collections", "read"):
                    raise collection_forbidden("directus_collections")
            visible = [
                c
                for c in overview.collections.values()
                if perms.admin or perms.rows(c.name, "read")
            ]
            if name is not None:
                found = next((c for c in visible if c.name == name), None)
                if found is None:
                    raise forbidden()
                return describe_collection(found, overview, conn)
            return [
                describe_collection(c, overview, conn)
                for c in sorted(visible, key=lambda c: c.name)
            ]

        return await self.db.read(work)

    async def fields(
        self, accountability: Accountability, collection: str | None = None, name: str | None = None
    ) -> Any:
        def work(conn: Connection) -> Any:
            overview, perms = self._readable(conn, accountability)
            found_one = overview.collections.get(collection) if collection is not None else None
            chosen = [found_one] if found_one is not None else []
            if collection is not None and not chosen:
                raise collection_forbidden(collection)
            _check_fields_read(perms, collection, name)
            if collection is None:
                chosen = list(overview.collections.values())
            result = []
            for found in chosen:
                if not perms.admin and not perms.rows(found.name, "read"):
                    if collection is not None:
                        raise collection_forbidden(found.name)
                    continue
                grant = perms.grant(found.name, "read")
                facts = column_facts(conn, found.name) if found.name in overview.tables else {}
                dialect = conn.dialect.name
                for described in found.fields:
                    if grant is None or grant.allows_field(described.name):
                        result.append(
                            describe_field(
                                found, described, overview, facts.get(described.name), dialect
                            )
                        )
            if name is not None:
                match = next((f for f in result if f["field"] == name), None)
                if match is None:
                    raise forbidden()
                return match
            return result

        return await self.db.read(work)

    async def relations(self, accountability: Accountability, collection: str | None = None) -> Any:
        def work(conn: Connection) -> Any:
            overview, perms = self._readable(conn, accountability)
            if collection is not None and collection not in overview.collections:
                raise collection_forbidden(collection)
            if not perms.admin and not perms.rows("directus_relations", "read"):
                raise forbidden_action("read", "directus_relations")
            chosen = [
                r
                for r in overview.relations
                if r.one_filter is None
                and (collection is None or r.many_collection == collection)
                and (perms.admin or perms.rows(r.many_collection, "read"))
            ]
            keys = foreign_keys(conn, {r.many_collection for r in chosen if r.meta is not None})
            return [describe_relation(r, overview, keys) for r in chosen]

        return await self.db.read(work)

    # ---------------------------------------------------------------- changes

    async def _admin_write(self, accountability: Accountability, work: Any, *args: Any) -> Any:
        if not accountability.admin:
            raise forbidden()

        def run(conn: Connection) -> Any:
            result = work(conn, *args)
            bump_epoch(conn)
            return result

        return await self.db.write(run)

    async def create_collection(self, accountability: Accountability, payload: Any) -> str:
        if not isinstance(payload, dict):
            raise invalid_payload('"value" must be of type object')
        name = _check_name("collection", payload.get("collection"))
        if name.startswith("directus_"):
            raise invalid_payload('Collections can\'t start with "directus_"')
        fields = payload.get("fields") or []
        if not isinstance(fields, list) or not all(isinstance(f, dict) for f in fields):
            raise invalid_payload('"fields" must be an array of fields')
        for item in fields:
            _check_name("field", item.get("field"))
            if item.get("type") not in FIELD_TYPES:
                raise invalid_payload(f'"{item.get("type")}" is not a field type')
        schema = payload.get("schema", {})
        meta = payload.get("meta") or {}
        if schema is not None and not any(
            (f.get("schema") or {}).get("is_primary_key") for f in fields
        ):
            fields = [
                {
                    "field": "id",
                    "type": "integer",
                    "schema": {"is_primary_key": True, "has_auto_increment": True},
                    "meta": {"hidden": True, "readonly": True, "interface": "input"},
                },
                *fields,
            ]
        created: str = await self._admin_write(
            accountability, self._create_collection, name, fields, meta, schema is not None
        )
        return created

    def _create_collection(
        self,
        conn: Connection,
        name: str,
        fields: list[dict[str, Any]],
        meta: Mapping[str, Any],
        with_table: bool,
    ) -> str:
        existing = conn.execute(
            select(collections_meta.c.collection).where(collections_meta.c.collection == name)
        ).first()
        if existing is not None or name in inspect(conn).get_table_names():
            raise invalid_payload(f'Collection "{name}" already exists')
        if with_table:
            ddl.create_table(conn, name, [f for f in fields if f.get("type") != "alias"])
        row = {k: v for k, v in meta.items() if k in _COLLECTION_META and k != "collection"}
        conn.execute(insert(collections_meta).values(collection=name, **row))
        # As Directus: a field given without meta has no directus_fields row, and the others
        # are sorted in the order given (each group on its own) unless they say otherwise.
        positions: dict[Any, int] = {}
        for item in fields:
            field_meta = item.get("meta")
            if not isinstance(field_meta, dict):
                continue
            row = _field_meta_row(name, item["field"], field_meta)
            group = field_meta.get("group")
            positions[group] = positions.get(group, 0) + 1
            if row.get("sort") is None:
                row["sort"] = positions[group]
            conn.execute(insert(fields_meta).values(**row))
        return name

    async def update_collection(
        self, accountability: Accountability, name: str, payload: Any
    ) -> None:
        meta = (payload or {}).get("meta") if isinstance(payload, dict) else None
        if not isinstance(meta, dict):
            raise invalid_payload('"meta" must be an object')

        def work(conn: Connection) -> None:
            self._user_collection(conn, name)
            row = {k: v for k, v in meta.items() if k in _COLLECTION_META and k != "collection"}
            if row:
                conn.execute(
                    update(collections_meta)
                    .where(collections_meta.c.collection == name)
                    .values(**row)
                )

        await self._admin_write(accountability, work)

    def _user_collection(self, conn: Connection, name: str) -> None:
        if name.startswith("directus_"):
            raise forbidden()
        found = conn.execute(
            select(collections_meta.c.collection).where(collections_meta.c.collection == name)
        ).first()
        if found is None:
            raise collection_forbidden(name)

    async def delete_collection(self, accountability: Accountability, name: str) -> None:
        def work(conn: Connection) -> None:
            self._user_collection(conn, name)
            if name in inspect(conn).get_table_names():
                ddl.drop_table(conn, name)
            conn.execute(delete(fields_meta).where(fields_meta.c.collection == name))
            conn.execute(
                delete(relations_meta).where(
                    (relations_meta.c.many_collection == name)
                    | (relations_meta.c.one_collection == name)
                )
            )
            conn.execute(delete(permissions).where(permissions.c.collection == name))
            conn.execute(delete(collections_meta).where(collections_meta.c.collection == name))

        await self._admin_write(accountability, work)

    async def create_field(
        self, accountability: Accountability, collection: str, payload: Any
    ) -> str:
        if not isinstance(payload, dict):
            raise invalid_payload('"value" must be of type object')
        name = _check_name("field", payload.get("field"))
        kind = payload.get("type") or "alias"
        if kind not in FIELD_TYPES:
            raise invalid_payload(f'"{kind}" is not a field type')

        def work(conn: Connection) -> str:
            self._user_collection(conn, collection)
            taken = conn.execute(
                select(fields_meta.c.id).where(
                    fields_meta.c.collection == collection, fields_meta.c.field == name
                )
            ).first()
            columns = (
                {c["name"] for c in inspect(conn).get_columns(collection)}
                if collection in inspect(conn).get_table_names()
                else set()
            )
            if taken is not None or name in columns:
                raise invalid_payload(f'Field "{name}" already exists in collection "{collection}"')
            if kind != "alias":
                ddl.add_column(conn, collection, name, kind, payload.get("schema") or {})
            conn.execute(
                insert(fields_meta).values(**_field_meta_row(collection, name, payload.get("meta")))
            )
            return name

        created: str = await self._admin_write(accountability, work)
        return created

    async def update_field(
        self, accountability: Accountability, collection: str, name: str, payload: Any
    ) -> None:
        if not isinstance(payload, dict):
            raise invalid_payload('"value" must be of type object')

        def work(conn: Connection) -> None:
            self._user_collection(conn, collection)
            overview = self.items.schema.overview(conn, -1)
            described = overview.collections[collection].field(name)
            if described is None:
                raise fields_forbidden([name], collection)
            schema = payload.get("schema")
            kind = payload.get("type") or described.type
            if not described.is_alias:
                changes = _column_changes(schema)
                check_rows_fit(
                    conn,
                    collection,
                    name,
                    old_kind=described.type,
                    new_kind=kind,
                    max_length=changes.get("max_length", described.max_length),
                    nullable=bool(changes.get("is_nullable", described.nullable)),
                )
            if isinstance(schema, dict) and schema and not described.is_alias:
                ddl.alter_column(
                    conn, collection, name, kind, {"max_length": described.max_length, **schema}
                )
            elif (
                payload.get("type") and payload["type"] != described.type and not described.is_alias
            ):
                ddl.alter_column(conn, collection, name, kind, {})
            meta = payload.get("meta")
            if isinstance(meta, dict):
                row = _field_meta_row(collection, name, meta)
                found = conn.execute(
                    select(fields_meta.c.id).where(
                        fields_meta.c.collection == collection, fields_meta.c.field == name
                    )
                ).first()
                if found is None:
                    conn.execute(insert(fields_meta).values(**row))
                else:
                    conn.execute(
                        update(fields_meta).where(fields_meta.c.id == found[0]).values(**row)
                    )

        await self._admin_write(accountability, work)

    async def delete_field(
        self, accountability: Accountability, collection: str, name: str
    ) -> None:
        def work(conn: Connection) -> None:
            self._user_collection(conn, collection)
            overview = self.items.schema.overview(conn, -1)
            described = overview.collections[collection].field(name)
            if described is None:
                raise fields_forbidden([name], collection)
            if described.primary_key:
                raise invalid_payload("The primary key of a collection can't be deleted")
            relation = overview.m2o(collection, name)
            if relation is not None and relation.one_collection:
                ddl.drop_foreign_key(conn, collection, name, relation.one_collection)
            if not described.is_alias:
                ddl.drop_column(conn, collection, name)
            conn.execute(
                delete(fields_meta).where(
                    fields_meta.c.collection == collection, fields_meta.c.field == name
                )
            )
            conn.execute(
                delete(relations_meta).where(
                    relations_meta.c.many_collection == collection,
                    relations_meta.c.many_field == name,
                )
            )
            conn.execute(
                update(relations_meta)
                .where(
                    relations_meta.c.one_collection == collection,
                    relations_meta.c.one_field == name,
                )
                .values(one_field=None)
            )

        await self._admin_write(accountability, work)

    async def create_relation(self, accountability: Accountability, payload: Any) -> None:
        if not isinstance(payload, dict):
            raise invalid_payload('"value" must be of type object')
        many = _check_name("collection", payload.get("collection"))
        field = _check_name("field", payload.get("field"))
        one = payload.get("related_collection")
        meta = payload.get("meta") or {}
        schema = payload.get("schema") or {}

        def work(conn: Connection) -> None:
            self._user_collection(conn, many)
            overview = self.items.schema.overview(conn, -1)
            many_collection = overview.collections[many]
            if many_collection.field(field) is None:
                raise fields_forbidden([field], many)
            taken = conn.execute(
                select(relations_meta.c.id).where(
                    relations_meta.c.many_collection == many, relations_meta.c.many_field == field
                )
            ).first()
            if taken is not None:
                raise invalid_payload(
                    f'Field "{field}" in collection "{many}" already has a relation'
                )
            if one is not None:
                target = overview.collection(one)
                if target is None:
                    raise collection_forbidden(one)
                if schema is not None and not target.system:
                    ddl.add_foreign_key(
                        conn, many, field, one, target.primary_key, schema.get("on_delete")
                    )
            one_field = meta.get("one_field")
            conn.execute(
                insert(relations_meta).values(
                    many_collection=many,
                    many_field=field,
                    one_collection=one,
                    one_field=one_field,
                    junction_field=meta.get("junction_field"),
                    sort_field=meta.get("sort_field"),
                    one_deselect_action=meta.get("one_deselect_action") or "nullify",
                )
            )
            if one_field and one and not one.startswith("directus_"):
                exists_row = conn.execute(
                    select(fields_meta.c.id).where(
                        fields_meta.c.collection == one, fields_meta.c.field == one_field
                    )
                ).first()
                if exists_row is None:
                    conn.execute(
                        insert(fields_meta).values(collection=one, field=one_field, special="o2m")
                    )

        await self._admin_write(accountability, work)

    async def delete_relation(self, accountability: Accountability, many: str, field: str) -> None:
        def work(conn: Connection) -> None:
            self._user_collection(conn, many)
            row = (
                conn.execute(
                    select(relations_meta).where(
                        relations_meta.c.many_collection == many,
                        relations_meta.c.many_field == field,
                    )
                )
                .mappings()
                .first()
            )
            if row is None:
                raise forbidden()
            if row["one_collection"]:
                ddl.drop_foreign_key(conn, many, field, row["one_collection"])
            conn.execute(delete(relations_meta).where(relations_meta.c.id == row["id"]))

        await self._admin_write(accountability, work)


def _check_fields_read(perms: Permissions, collection: str | None, name: str | None) -> None:
    """As Directus: one field is checked against the caller's read of its collection; a list
    is read from directus_fields, which the caller must be allowed to read."""
    if perms.admin:
        return
    if name is not None and collection is not None:
        if not perms.rows(collection, "read"):
            raise forbidden_action("read", collection)
    elif not perms.rows("directus_fields", "read"):
        raise forbidden_action("read", "directus_fields")


__all__ = ["SYSTEM", "SchemaService", "decode_value"]
