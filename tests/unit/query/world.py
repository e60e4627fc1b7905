"""A small relational schema for the query core, held in memory (``SchemaOverview``) and in a
real SQLite database: authors (o2m ``articles``), articles (m2o ``author``, o2m ``comments``)
and comments (m2o ``article``).

========  =======================================================================
authors   1 Ann (pin 1111), 2 Bob, 3 Cy (no articles)
articles  1 Alpha published 5 Ann u-ann 2026-01-10 · 2 Beta draft 3 Ann u-ann 2026-02-20
          3 Gamma published 1 Bob u-bob 2026-03-01 · 4 Delta published - - - -
comments  1 on Alpha "nice" approved · 2 on Alpha "spam" not approved
          3 on Gamma "ok" not approved
========  =======================================================================
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    Connection,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    create_engine,
)

from authgate.access.grants import Case, Grant, collection_forbidden
from authgate.query.filter import FilterContext
from authgate.query.params import Query
from authgate.query.read import Reader
from authgate.query.tree import GrantLookup
from authgate.schema.model import Collection, Field, Relation
from authgate.schema.overview import SchemaOverview

metadata = MetaData()
AUTHORS_TABLE = Table(
    "authors",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(50)),
    Column("pin", String(50)),
)
ARTICLES_TABLE = Table(
    "articles",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("title", String(50)),
    Column("status", String(20)),
    Column("rating", Integer, nullable=True),
    Column("author", Integer, nullable=True),
    Column("owner", String(20), nullable=True),
    Column("published_at", DateTime, nullable=True),
)
COMMENTS_TABLE = Table(
    "comments",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("article", Integer),
    Column("body", String(50)),
    Column("approved", Boolean),
)

AUTHORS = Collection(
    "authors",
    (
        Field("id", "integer", nullable=False, primary_key=True),
        Field("name", "string"),
        Field("pin", "string", specials=frozenset({"conceal"})),
        Field("articles", "alias", specials=frozenset({"o2m"})),
    ),
)
ARTICLES = Collection(
    "articles",
    (
        Field("id", "integer", nullable=False, primary_key=True),
        Field("title", "string"),
        Field("status", "string"),
        Field("rating", "integer"),
        Field("author", "integer"),
        Field("owner", "string"),
        Field("published_at", "timestamp"),
        Field("comments", "alias", specials=frozenset({"o2m"})),
        Field("divider", "alias", specials=frozenset({"alias", "no-data"})),
    ),
)
COMMENTS = Collection(
    "comments",
    (
        Field("id", "integer", nullable=False, primary_key=True),
        Field("article", "integer"),
        Field("body", "string"),
        Field("approved", "boolean"),
    ),
)
OVERVIEW = SchemaOverview(
    collections={c.name: c for c in (AUTHORS, ARTICLES, COMMENTS)},
    relations=(
        Relation("articles", "author", "authors", one_field="articles"),
        Relation("comments", "article", "articles", one_field="comments"),
    ),
    tables={t.name: t for t in (AUTHORS_TABLE, ARTICLES_TABLE, COMMENTS_TABLE)},
)

ROWS: Mapping[Table, list[dict[str, Any]]] = {
    AUTHORS_TABLE: [
        {"id": 1, "name": "Ann", "pin": "1111"},
        {"id": 2, "name": "Bob", "pin": "2222"},
        {"id": 3, "name": "Cy", "pin": None},
    ],
    ARTICLES_TABLE: [
        {
            "id": 1,
            "title": "Alpha",
            "status": "published",
            "rating": 5,
            "author": 1,
            "owner": "u-ann",
            "published_at": datetime(2026, 1, 10, 12, 0),
        },
        {
            "id": 2,
            "title": "Beta",
            "status": "draft",
            "rating": 3,
            "author": 1,
            "owner": "u-ann",
            "published_at": datetime(2026, 2, 20, 12, 0),
        },
        {
            "id": 3,
            "title": "Gamma",
            "status": "published",
            "rating": 1,
            "author": 2,
            "owner": "u-bob",
            "published_at": datetime(2026, 3, 1, 12, 0),
        },
        {
            "id": 4,
            "title": "Delta",
            "status": "published",
            "rating": None,
            "author": None,
            "owner": None,
            "published_at": None,
        },
    ],
    COMMENTS_TABLE: [
        {"id": 1, "article": 1, "body": "nice", "approved": True},
        {"id": 2, "article": 1, "body": "spam", "approved": False},
        {"id": 3, "article": 3, "body": "ok", "approved": False},
    ],
}


@contextmanager
def database() -> Iterator[Connection]:
    """A fresh SQLite database in memory holding the rows above, for one test."""
    engine = create_engine("sqlite://")
    try:
        with engine.begin() as conn:
            metadata.create_all(conn)
            for table, rows in ROWS.items():
                conn.execute(table.insert(), rows)
            yield conn
    finally:
        engine.dispose()


def grant(collection: str, *cases: tuple[Mapping[str, Any] | None, Sequence[str]]) -> Grant:
    """A read grant from ``(rule, fields)`` cases (rule None: every row)."""
    return Grant(collection, tuple(Case(rule, frozenset(fields)) for rule, fields in cases))


def lookup(grants: Mapping[str, Grant | None]) -> GrantLookup:
    """The caller's read grants by collection (None: unrestricted, as for an admin); a
    collection missing from ``grants`` can't be read at all."""

    def find(collection: str, path: str | None) -> Grant | None:
        if collection not in grants:
            raise collection_forbidden(collection, path)
        return grants[collection]

    return find


ADMIN = lookup({"authors": None, "articles": None, "comments": None})


def read(
    conn: Connection,
    collection: Collection,
    *,
    grants: GrantLookup = ADMIN,
    context: FilterContext | None = None,
    **query: Any,
) -> list[dict[str, Any]]:
    """The rows a read answers, compiled and run by ``query.read.Reader`` on SQLite."""
    reader = Reader(dialect="sqlite", default_limit=100)
    result = reader.read(
        conn, OVERVIEW, collection, Query(**query), grants, context or FilterContext()
    )
    return result.data


def titles(conn: Connection, **query: Any) -> list[str]:
    """The titles of the articles a read answers, sorted by id unless ``sort`` is given."""
    query.setdefault("sort", ("id",))
    return [row["title"] for row in read(conn, ARTICLES, fields=("title",), **query)]
