"""The GraphQL endpoints' settings: introspection and the limits on hostile documents.

Directus's names where Directus has the setting (``GRAPHQL_INTROSPECTION``,
``GRAPHQL_QUERY_TOKEN_LIMIT``, ``GRAPHQL_SCHEMA_CACHE_CAPACITY``), authgate's own
``GRAPHQL_MAX_*`` names for the limits Directus does not have.
"""

from __future__ import annotations

from dataclasses import dataclass

from authgate.config.env import Reader

# Directus 12's mutations that may appear only once per operation (aliases and fragments
# counted): the expensive ones an anonymous caller can reach.
SINGLE_USE_MUTATIONS = (
    "auth_login",
    "auth_password_request",
    "auth_password_reset",
    "users_register",
)


@dataclass(frozen=True)
class GraphQLSettings:
    introspection: bool = True
    token_limit: int = 5000  # lexical tokens in one document
    max_query_length: int = 100_000  # characters in one document
    max_depth: int = 10  # nesting of fields (introspection has its own rule)
    max_complexity: int = 1000  # fields in the operation, fragments expanded
    max_aliases: int = 50
    max_root_fields: int = 20  # root fields of one operation (the "batch")
    single_use_mutations: tuple[str, ...] = SINGLE_USE_MUTATIONS
    schema_cache_capacity: int = 100


def graphql_settings(env: Reader) -> GraphQLSettings:
    single_use = (
        env.string_list("GRAPHQL_SINGLE_USE_MUTATIONS")
        if env.is_set("GRAPHQL_SINGLE_USE_MUTATIONS")
        else SINGLE_USE_MUTATIONS
    )
    return GraphQLSettings(
        introspection=env.boolean("GRAPHQL_INTROSPECTION", True),
        token_limit=env.integer("GRAPHQL_QUERY_TOKEN_LIMIT", 5000, minimum=1),
        max_query_length=env.integer("GRAPHQL_MAX_QUERY_LENGTH", 100_000, minimum=1),
        max_depth=env.integer("GRAPHQL_MAX_DEPTH", 10, minimum=1),
        max_complexity=env.integer("GRAPHQL_MAX_COMPLEXITY", 1000, minimum=1),
        max_aliases=env.integer("GRAPHQL_MAX_ALIASES", 50, minimum=0),
        max_root_fields=env.integer("GRAPHQL_MAX_ROOT_FIELDS", 20, minimum=1),
        single_use_mutations=single_use,
        schema_cache_capacity=env.integer("GRAPHQL_SCHEMA_CACHE_CAPACITY", 100, minimum=1),
    )
