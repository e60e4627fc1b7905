"""The whole data model in memory: system collections, the project's own collections (read
from ``directus_collections``/``directus_fields``/``directus_relations`` and the tables
themselves), their relations, and the SQLAlchemy tables queries are built on."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Column, Connection, MetaData, Table, inspect, select

from authgate.schema.columns import field_type, value_type
from authgate.schema.model import Collection, Field, Relation
from authgate.schema.system import COLLECTIONS, RELATIONS, SYSTEM_TABLES
from authgate.storage.tables import collections_meta, fields_meta, relations_meta


@dataclass(frozen=True)
class SchemaOverview:
    collections: Mapping[str, Collection]
    relations: tuple[Relation, ...]
    tables: Mapping[str, Table]
    # (many collection, field) -> the ON DELETE action of the database's foreign key behind
    # it; a relation without an entry has no foreign key (its deletes are emulated).
    foreign_keys: Mapping[tuple[str, str], str] = field(default_factory=dict)
    _m2o: dict[tuple[str, str], Relation] = field(default_factory=dict, repr=False)
    _o2m: dict[tuple[str, str], Relation] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        for relation in self.relations:
            if relation.one_collection and relation.one_filter is None:
                self._m2o[(relation.many_collection, relation.many_field)] = relation
            if relation.one_collection and relation.one_field:
                self._o2m[(relation.one_collection, relation.one_field)] = relation

    def collection(self, name: str) -> Collection | None:
        return self.collections.get(name)

    def table(self, name: str) -> Table:
        return self.tables[name]

    def m2o(self, collection: str, name: str) -> Relation | None:
        """The relation a foreign-key field points through, if any."""
        return self._m2o.get((collection, name))

    def o2m(self, collection: str, name: str) -> Relation | None:
        """The relation an o2m alias lists, if any."""
        return self._o2m.get((collection, name))

    def foreign_key(self, relation: Relation) -> str | None:
        """The ``ON DELETE`` action of the foreign key behind ``relation``, or ``None``."""
        return self.foreign_keys.get((relation.many_collection, relation.many_field))


def _system_foreign_keys() -> dict[tuple[str, str], str]:
    found: dict[tuple[str, str], str] = {}
    for name, table in SYSTEM_TABLES.items():
        for column in table.columns:
            for key in column.foreign_keys:
                found[(name, column.name)] = (key.ondelete or "NO ACTION").upper()
    return found


SYSTEM_FOREIGN_KEYS = _system_foreign_keys()
SYSTEM_OVERVIEW = SchemaOverview(
    collections=dict(COLLECTIONS),
    relations=RELATIONS,
    tables=dict(SYSTEM_TABLES),
    foreign_keys=dict(SYSTEM_FOREIGN_KEYS),
)


def _specials(raw: str | None) -> frozenset[str]:
    return frozenset(part.strip() for part in (raw or "").split(",") if part.strip())


def _user_collection(
    name: str,
    meta: Mapping[str, Any],
    columns: list[dict[str, Any]],
    primary: list[str],
    unique: set[str],
    field_rows: Mapping[str, Mapping[str, Any]],
    dialect: str,
) -> tuple[Collection, Table | None, MetaData]:
    """One collection from its reflected columns and its ``directus_fields`` rows."""
    fields: list[Field] = []
    for column in columns:
        row = field_rows.get(column["name"], {})
        specials = _specials(row.get("special"))
        kind = field_type(column["type"], specials, dialect)
        fields.append(
            Field(
                name=column["name"],
                type=kind,
                nullable=bool(column.get("nullable", True)) and column["name"] not in primary,
                max_length=getattr(column["type"], "length", None),
                primary_key=column["name"] in primary,
                specials=specials,
                auto_increment=bool(column.get("autoincrement") is True)
                or (column["name"] in primary and kind in ("integer", "bigInteger")),
                has_default=column.get("default") is not None,
                unique=column["name"] in unique,
                precision=getattr(column["type"], "precision", None),
                scale=getattr(column["type"], "scale", None),
                validation=row.get("validation"),
                required=bool(row.get("required")),
                searchable=row.get("searchable", True) is not False,
                meta=row or None,
            )
        )
    for alias, row in field_rows.items():
        specials = _specials(row.get("special"))
        if alias not in {c["name"] for c in columns} and specials & {
            "alias",
            "o2m",
            "m2m",
            "no-data",
        }:
            fields.append(Field(name=alias, type="alias", specials=specials, meta=row))
    key = primary[0] if primary else "id"
    collection = Collection(
        name=name,
        fields=tuple(fields),
        primary_key=key,
        singleton=bool(meta.get("singleton")),
        sort_field=meta.get("sort_field"),
        accountability=meta.get("accountability", "all"),
        meta=dict(meta),
    )
    own = MetaData()
    table = None
    if columns:
        table = Table(
            name,
            own,
            *[
                Column(
                    f.name,
                    value_type(
                        f.type, max_length=f.max_length, precision=f.precision, scale=f.scale
                    ),
                    primary_key=f.primary_key,
                )
                for f in collection.columns
            ],
        )
    return collection, table, own


def load_overview(conn: Connection) -> SchemaOverview:
    """Read the project's collections, fields and relations; system ones are built in."""
    dialect = conn.dialect.name
    metas = {
        row["collection"]: dict(row) for row in conn.execute(select(collections_meta)).mappings()
    }
    field_rows: dict[str, dict[str, dict[str, Any]]] = {}
    for row in conn.execute(
        select(fields_meta).order_by(fields_meta.c.sort, fields_meta.c.id)
    ).mappings():
        field_rows.setdefault(row["collection"], {})[row["field"]] = dict(row)
    inspector = inspect(conn)
    existing = set(inspector.get_table_names())
    collections = dict(COLLECTIONS)
    tables = dict(SYSTEM_TABLES)
    foreign_keys = dict(SYSTEM_FOREIGN_KEYS)
    for name, meta in metas.items():
        if name.startswith("directus_"):
            continue
        columns: list[dict[str, Any]] = []
        primary: list[str] = []
        unique: set[str] = set()
        if name in existing:
            columns = [dict(c) for c in inspector.get_columns(name)]
            primary = list(inspector.get_pk_constraint(name).get("constrained_columns") or [])
            for constraint in inspector.get_unique_constraints(name):
                if len(constraint["column_names"]) == 1:
                    unique.add(constraint["column_names"][0])
            for key in inspector.get_foreign_keys(name):
                action = (key.get("options") or {}).get("ondelete") or "NO ACTION"
                for column in key["constrained_columns"]:
                    foreign_keys[(name, column)] = str(action).upper()
        collection, table, _ = _user_collection(
            name, meta, columns, primary, unique, field_rows.get(name, {}), dialect
        )
        collections[name] = collection
        if table is not None:
            tables[name] = table
    relations = list(RELATIONS)
    for row in conn.execute(select(relations_meta).order_by(relations_meta.c.id)).mappings():
        relations.append(
            Relation(
                many_collection=row["many_collection"],
                many_field=row["many_field"],
                one_collection=row["one_collection"],
                one_field=row["one_field"],
                junction_field=row["junction_field"],
                sort_field=row["sort_field"],
                one_deselect_action=row["one_deselect_action"] or "nullify",
                meta=dict(row),
            )
        )
    return SchemaOverview(
        collections=collections,
        relations=tuple(relations),
        tables=tables,
        foreign_keys=foreign_keys,
    )
