"""Limits on what one GraphQL document may ask for, checked before the schema sees it (pure).

Every operation of the document is measured with its fragments expanded (a fragment is
measured once and its numbers reused, so a "fragment bomb" costs nothing to measure):

* depth: how deeply fields nest (introspection fields are left to graphql-core's own
  ``MaxIntrospectionDepthRule``);
* complexity: how many fields the operation selects, each occurrence counted;
* aliases: how many of those fields are aliased;
* root fields: how many fields the operation asks for at its top (its "batch");
* single-use mutations: Directus 12's ``GRAPHQL_SINGLE_USE_MUTATIONS``, at most once each.

The document's length and its number of tokens are bounded earlier, by the parser.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
)

from authgate.config.graphql import GraphQLSettings

_INTROSPECTION = frozenset({"__schema", "__type"})


@dataclass(frozen=True)
class Measure:
    depth: int = 0
    fields: int = 0
    aliases: int = 0

    def __add__(self, other: Measure) -> Measure:
        return Measure(
            max(self.depth, other.depth), self.fields + other.fields, self.aliases + other.aliases
        )


class _Measurer:
    def __init__(self, fragments: Mapping[str, FragmentDefinitionNode]) -> None:
        self.fragments = fragments
        self.memo: dict[str, Measure] = {}
        self.visiting: set[str] = set()

    def selection_set(self, node: SelectionSetNode | None) -> Measure:
        total = Measure()
        if node is None:
            return total
        for selection in node.selections:
            if isinstance(selection, FieldNode):
                total = total + self.field(selection)
            elif isinstance(selection, InlineFragmentNode):
                total = total + self.selection_set(selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode):
                total = total + self.fragment(selection.name.value)
        return total

    def field(self, node: FieldNode) -> Measure:
        below = self.selection_set(node.selection_set)
        depth = 0 if node.name.value in _INTROSPECTION else below.depth + 1
        return Measure(depth, below.fields + 1, below.aliases + (1 if node.alias else 0))

    def fragment(self, name: str) -> Measure:
        if name in self.memo:
            return self.memo[name]
        definition = self.fragments.get(name)
        if definition is None or name in self.visiting:
            return Measure()  # unknown or cyclic: the validation rules report it
        self.visiting.add(name)
        measured = self.selection_set(definition.selection_set)
        self.visiting.discard(name)
        self.memo[name] = measured
        return measured

    def root_fields(
        self, node: SelectionSetNode, seen: frozenset[str] = frozenset()
    ) -> Counter[str]:
        """The operation's top-level field names (response keys aside), fragments expanded."""
        names: Counter[str] = Counter()
        for selection in node.selections:
            if isinstance(selection, FieldNode):
                names[selection.name.value] += 1
            elif isinstance(selection, InlineFragmentNode):
                names.update(self.root_fields(selection.selection_set, seen))
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                definition = self.fragments.get(name)
                if definition is not None and name not in seen:
                    names.update(self.root_fields(definition.selection_set, seen | {name}))
        return names


def _too_many(what: str, found: int, most: int, node: OperationDefinitionNode) -> GraphQLError:
    return GraphQLError(f"The query {what}: {found}, at most {most} are allowed.", node)


def check_document(document: DocumentNode, limits: GraphQLSettings) -> list[GraphQLError]:
    """The limits each operation of ``document`` breaks (an empty list when it breaks none)."""
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    measurer = _Measurer(fragments)
    errors: list[GraphQLError] = []
    for operation in document.definitions:
        if not isinstance(operation, OperationDefinitionNode):
            continue
        measured = measurer.selection_set(operation.selection_set)
        if measured.depth > limits.max_depth:
            errors.append(
                _too_many("nests fields too deeply", measured.depth, limits.max_depth, operation)
            )
        if measured.fields > limits.max_complexity:
            errors.append(
                _too_many(
                    "selects too many fields", measured.fields, limits.max_complexity, operation
                )
            )
        if measured.aliases > limits.max_aliases:
            errors.append(
                _too_many("uses too many aliases", measured.aliases, limits.max_aliases, operation)
            )
        roots = measurer.root_fields(operation.selection_set)
        if sum(roots.values()) > limits.max_root_fields:
            errors.append(
                _too_many(
                    "asks for too many root fields",
                    sum(roots.values()),
                    limits.max_root_fields,
                    operation,
                )
            )
        if operation.operation == OperationType.MUTATION:
            errors += [
                GraphQLError(f'"{name}" can only be used once per request', operation)
                for name in limits.single_use_mutations
                if roots[name] > 1
            ]
    return errors
