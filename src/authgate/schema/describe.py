"""Collections, fields and relations as ``/collections``, ``/fields`` and ``/relations``
answer them: the data model plus what the database says about its tables."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, inspect

from authgate.schema.model import Collection, Field, Relation
from authgate.schema.overview import SchemaOverview
from authgate.schema.reflect import ColumnFacts, parse_default, table_schema


def foreign_keys(conn: Connection, tables: set[str]) -> dict[tuple[str, str], dict[str, Any]]:
    """The database's foreign keys of these tables, by (table, column)."""
    found: dict[tuple[str, str], dict[str, Any]] = {}
    if not tables:
        return found
    inspector = inspect(conn)
    existing = set(inspector.get_table_names())
    for table in sorted(tables & existing):
        for key in inspector.get_foreign_keys(table):
            for column in key["constrained_columns"]:
                found[(table, column)] = dict(key)
                if conn.dialect.name == "sqlite":
                    # Directus reads SQLite's foreign keys from PRAGMA foreign_key_list,
                    # which has no constraint names.
                    found[(table, column)]["name"] = None
    return found


def describe_collection(
    collection: Collection, overview: SchemaOverview, conn: Connection
) -> dict[str, Any]:
    meta = None
    if collection.meta is not None:
        # Directus 12's collection status and autosave interval are not kept by authgate;
        # they read as Directus's defaults.
        meta = {"status": "active", "autosave_revision_interval": None, **collection.meta}
    elif collection.system:
        meta = {
            "collection": collection.name,
            "hidden": False,
            "singleton": collection.singleton,
            "system": True,
        }
    has_table = collection.name in overview.tables
    return {
        "collection": collection.name,
        "meta": meta,
        "schema": table_schema(conn, collection.name) if has_table else None,
    }


def describe_field(
    collection: Collection,
    described: Field,
    overview: SchemaOverview,
    facts: ColumnFacts | None,
    dialect: str,
) -> dict[str, Any]:
    schema = None
    if not described.is_alias:
        relation = overview.m2o(collection.name, described.name)
        target = (
            overview.collection(relation.one_collection)
            if relation and relation.one_collection
            else None
        )
        schema = {
            "name": described.name,
            "table": collection.name,
            # The column's type as the database names it (Directus reports the database's
            # own type here; the Directus type is the field's "type").
            "data_type": facts.data_type if facts else described.type,
            "default_value": parse_default(facts.default, described.type, dialect)
            if facts
            else described.default,
            "max_length": described.max_length,
            "numeric_precision": described.precision,
            "numeric_scale": described.scale,
            "is_generated": False,
            "generation_expression": None,
            "is_nullable": described.nullable,
            "is_unique": facts.is_unique if facts else described.unique or described.primary_key,
            "is_indexed": facts.is_indexed if facts else described.primary_key,
            "is_primary_key": described.primary_key,
            "has_auto_increment": described.auto_increment,
            "foreign_key_column": target.primary_key if target else None,
            "foreign_key_table": target.name if target else None,
        }
        if dialect != "sqlite":
            # Directus's SQLite inspector has no column comments; PostgreSQL's has.
            schema["comment"] = None
    meta = None
    if described.meta is not None:
        meta = {k: v for k, v in described.meta.items()}
        meta["special"] = sorted(described.specials) or None
    elif collection.system:
        meta = {
            "collection": collection.name,
            "field": described.name,
            "special": sorted(described.specials) or None,
            "system": True,
        }
    return {
        "collection": collection.name,
        "field": described.name,
        "type": described.type,
        "schema": schema,
        "meta": meta,
    }


def describe_relation(
    relation: Relation,
    overview: SchemaOverview,
    keys: Mapping[tuple[str, str], Mapping[str, Any]],
) -> dict[str, Any]:
    schema = None
    if relation.meta is not None:
        key = keys.get((relation.many_collection, relation.many_field)) or {}
        options = key.get("options") or {}
        target = overview.collection(relation.one_collection) if relation.one_collection else None
        schema = {
            "table": relation.many_collection,
            "column": relation.many_field,
            "foreign_key_table": relation.one_collection,
            "foreign_key_column": target.primary_key if target else None,
            "on_update": str(options.get("onupdate") or "NO ACTION").upper(),
            "on_delete": str(options.get("ondelete") or "NO ACTION").upper(),
            "constraint_name": key.get("name"),
        }
    return {
        "collection": relation.many_collection,
        "field": relation.many_field,
        "related_collection": relation.one_collection,
        "schema": schema,
        "meta": relation.meta
        or {
            "many_collection": relation.many_collection,
            "many_field": relation.many_field,
            "one_collection": relation.one_collection,
            "one_field": relation.one_field,
            "junction_field": relation.junction_field,
            "sort_field": relation.sort_field,
            "one_collection_field": None,
            "one_allowed_collections": None,
            "one_deselect_action": relation.one_deselect_action,
            "system": True,
        },
    }
