"""The ``fields`` parameter as a tree: which columns, which relations, how deep (with
permissions checked on the way: a field the caller may not read, or that does not exist, is
refused exactly like a forbidden one).

A relation into a collection the caller may not read is left out, as Directus leaves it out
(``parseFields`` skips such a node before any field is checked): an o2m alias however it was
asked for (``*``, ``policies``, ``policies.*``), a many-to-one whenever it is followed
(``role.name``, ``*.*``). A many-to-one asked for plainly (``role``, or through ``*``) still
answers its key. Filters and sorts through such a relation stay refused (``compile.py``)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Any

from authgate.access.grants import Grant, fields_forbidden
from authgate.errors import AuthError, Code, invalid_query
from authgate.schema.model import Collection, Field, Relation
from authgate.schema.overview import SchemaOverview

# Relations (each a correlated subquery) one read may ask for: `*.*.*` over a few relations
# stays under it, `*.*.*.*.*` over self-relations would take the database minutes to plan.
MAX_RELATIONS = 100

# (collection, path) -> the caller's read grant there, or None when unrestricted (admin);
# raises FORBIDDEN when the caller may not read the collection at all.
GrantLookup = Callable[[str, str | None], Grant | None]


@dataclass
class Node:
    collection: Collection
    grant: Grant | None
    path: str | None = None
    scalars: list[tuple[str, Field]] = dataclass_field(default_factory=list)
    relations: list[Link] = dataclass_field(default_factory=list)
    order: list[str] = dataclass_field(default_factory=list)  # output keys in the order asked for

    @property
    def requested(self) -> list[str]:
        """The field names this node reads (for choosing the permission cases that apply)."""
        return [f.name for _, f in self.scalars] + [link.field.name for link in self.relations]


@dataclass
class Link:
    name: str  # output key
    field: Field
    relation: Relation
    kind: str  # "m2o" | "o2m"
    child: Node | None  # None: only the key(s), no nested object
    deep: Mapping[str, Any] = dataclass_field(default_factory=dict)


def _join(path: str | None, name: str) -> str:
    return f"{path}.{name}" if path else name


def related_collection(
    overview: SchemaOverview, collection: str, name: str
) -> tuple[Relation, str, str] | None:
    """The relation behind a field: (relation, kind, the collection it leads to)."""
    m2o = overview.m2o(collection, name)
    if m2o is not None and m2o.one_collection:
        return m2o, "m2o", m2o.one_collection
    o2m = overview.o2m(collection, name)
    if o2m is not None:
        return o2m, "o2m", o2m.many_collection
    return None


def _group_requested(
    overview: SchemaOverview,
    collection: Collection,
    grant: Grant | None,
    requested: Sequence[str],
    alias: Mapping[str, str],
) -> tuple[dict[str, list[str]], set[str]]:
    """``a.b.c`` grouped under ``a``; ``*`` expands to the readable fields and ``*.x`` asks
    for ``x`` under every relation (the relations only: ``*.*`` does not also ask for their
    keys, as in Directus). Also returns the names asked for plainly (``a``, or through a bare
    ``*``): a many-to-one among them answers its key even when it can't be followed."""
    direct: dict[str, list[str]] = {}
    plain: set[str] = set()
    wildcard_children: list[str] = []
    for item in requested:
        head, _, rest = item.partition(".")
        if head == "*":
            for f in collection.fields:
                if grant is None or grant.allows_field(f.name):
                    direct.setdefault(f.name, [])
                    if not rest or related_collection(overview, collection.name, f.name) is None:
                        plain.add(f.name)
            if rest:
                wildcard_children.append(rest)
            continue
        direct.setdefault(head, [])
        if rest:
            direct[head].append(rest)
        else:
            plain.add(head)
    if wildcard_children:
        for name, children in direct.items():
            if related_collection(overview, collection.name, alias.get(name, name)):
                children.extend(wildcard_children)
    return direct, plain


def _may_read(grants: GrantLookup, collection: str, path: str) -> bool:
    """Whether the caller has any read permission on ``collection``."""
    try:
        grants(collection, path)
    except AuthError as error:
        if error.code != Code.FORBIDDEN:
            raise
        return False
    return True


def _is_alias_map(value: Any) -> bool:
    return isinstance(value, dict) and all(isinstance(v, str) for v in value.values())


def _spend(budget: list[int]) -> None:
    budget[0] -= 1
    if budget[0] < 0:
        raise invalid_query(
            f"The query asks for more than {MAX_RELATIONS} related fields; name the ones you "
            "need instead of nesting *"
        )


def build_tree(
    overview: SchemaOverview,
    collection: Collection,
    requested: Sequence[str],
    grants: GrantLookup,
    *,
    alias: Mapping[str, str] | None = None,
    deep: Mapping[str, Any] | None = None,
    path: str | None = None,
    depth: int = 0,
    max_depth: int = 10,
    budget: list[int] | None = None,
) -> Node:
    """``budget``: how many more relations the whole tree may hold (shared by the recursion;
    each one is a subquery, and ``*.*.*`` multiplies them at every level)."""
    if depth > max_depth:
        raise invalid_query(f"Max relational depth ({max_depth}) exceeded")
    budget = budget if budget is not None else [MAX_RELATIONS]
    grant = grants(collection.name, path)
    node = Node(collection, grant, path)
    alias = alias or {}
    deep = deep or {}
    direct, plain = _group_requested(overview, collection, grant, requested, alias)
    refused: list[str] = []
    for out_name, children in direct.items():
        name = alias.get(out_name, out_name)
        described = collection.field(name)
        if described is None:
            refused.append(out_name)
            continue
        link = related_collection(overview, collection.name, name)
        if (
            link is not None
            and (children or link[1] == "o2m")
            and not _may_read(grants, link[2], _join(path, out_name))
        ):
            if link[1] == "o2m" or out_name not in plain:
                continue  # left out, as Directus does
            children, link = [], None  # the key alone, as asked for plainly
        if grant is not None and not grant.allows_field(name):
            refused.append(out_name)
            continue
        if link is None or (not children and described.type != "alias" and link[1] == "m2o"):
            if described.is_alias and link is None:
                continue  # presentation-only aliases hold no data
            if link is not None and link[1] == "o2m":
                _spend(budget)
                node.relations.append(
                    Link(out_name, described, link[0], "o2m", None, deep.get(out_name, {}))
                )
            else:
                node.scalars.append((out_name, described))
            continue
        relation, kind, target = link
        _spend(budget)
        child = None
        if children:
            target_collection = overview.collection(target)
            if target_collection is None:
                refused.append(out_name)
                continue
            own_deep = deep.get(out_name) or {}
            child_deep = {k: v for k, v in own_deep.items() if not k.startswith("_")}
            nested_alias = own_deep.get("_alias")
            child = build_tree(
                overview,
                target_collection,
                children,
                grants,
                # aliases inside a relation (what GraphQL aliases on nested fields become)
                alias=nested_alias if _is_alias_map(nested_alias) else None,
                deep=child_deep,
                path=_join(path, out_name),
                depth=depth + 1,
                max_depth=max_depth,
                budget=budget,
            )
        node.relations.append(
            Link(out_name, described, relation, kind, child, deep.get(out_name) or {})
        )
    if refused:
        raise fields_forbidden(refused, collection.name, path)
    if not node.scalars and not node.relations:
        primary = collection.primary
        node.scalars.append((primary.name, primary))
    chosen = {name for name, _ in node.scalars} | {link.name for link in node.relations}
    node.order = [name for name in direct if name in chosen] or [collection.primary_key]
    return node
