"""One GraphQL request, from its text to its result: the document bounded (length, tokens),
measured against the limits, validated against the caller's own schema, executed with async
resolvers over the services, and its errors in Directus's shapes.

A document that cannot run raises an ``AuthError`` (400 ``GRAPHQL_VALIDATION``, 400
``INVALID_PAYLOAD``, 405 ``METHOD_NOT_ALLOWED``); one that ran is a 200 whatever its resolvers
answered.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass, replace
from typing import Any

from graphql import (
    DocumentNode,
    ExecutionResult,
    GraphQLError,
    NoSchemaIntrospectionCustomRule,
    OperationType,
    execute,
    get_operation_ast,
    parse,
    print_schema,
    specified_rules,
    validate,
)
from sqlalchemy import Connection

from authgate import jsvalues
from authgate.access.model import Accountability
from authgate.access.permissions import Permissions, permissions_for
from authgate.config.graphql import GraphQLSettings
from authgate.errors import AuthError, Code, invalid_payload
from authgate.graphql.context import RequestContext, ServiceBundle
from authgate.graphql.errors import format_error, validation_error
from authgate.graphql.limits import check_document
from authgate.graphql.lru import LRU
from authgate.graphql.schema import CallerSchema, SchemaCache, Scope
from authgate.requester import Client
from authgate.schema.overview import SchemaOverview

# Documents up to this length are kept parsed (and their limits measured) by their text.
_CACHED_TEXT = 20_000


@dataclass(frozen=True)
class GraphQLRequest:
    """What the transport received (GET parameters or a POST body), not yet checked."""

    query: Any
    variables: Any = None
    operation_name: Any = None
    method: str = "POST"


@dataclass
class Outcome:
    body: dict[str, Any]
    context: RequestContext


def _method_not_allowed(method: str) -> AuthError:
    return AuthError(
        Code.METHOD_NOT_ALLOWED,
        f'Invalid method "{method}" used. Should be one of "POST".',
        extensions={"allowed": ["POST"], "current": method},
        headers={"Allow": "POST"},
    )


class _Uncached(Exception):
    pass


class _NoConnection:
    """Stands for a connection where everything needed should be cached: any use raises."""

    def __getattr__(self, name: str) -> Any:
        raise _Uncached(name)


_NO_CONNECTION = _NoConnection()


_NOT_AN_OBJECT = (
    "Variables must be provided as an Object where each property is a variable value. "
    "Perhaps look to see if an unparsed JSON string was provided."
)


def _variable_values(variables: Any) -> dict[str, Any] | None:
    """The variables as graphql-js takes them (checked after validation, as it does): any
    object, an array too (its keys are indexes, which no variable name is: none given);
    anything else is refused with graphql-js's words."""
    if variables is None or isinstance(variables, dict):
        return variables
    if isinstance(variables, list):
        return {}
    raise AuthError(Code.GRAPHQL_EXECUTION, extensions={"errors": [_NOT_AN_OBJECT]})


class GraphQLEngine:
    def __init__(self, settings: GraphQLSettings) -> None:
        self.settings = settings
        self.schemas = SchemaCache(settings.schema_cache_capacity)
        self.documents: LRU[str, tuple[DocumentNode | None, tuple[GraphQLError, ...]]] = LRU(512)
        rules = list(specified_rules)
        if not settings.introspection:
            rules.append(NoSchemaIntrospectionCustomRule)
        self.rules = tuple(rules)

    def document(self, request: GraphQLRequest) -> DocumentNode:
        """The parsed document, or ``INVALID_PAYLOAD`` / ``GRAPHQL_VALIDATION`` / 405."""
        text = request.query
        if not jsvalues.truthy(text):
            raise invalid_payload("Must provide query string")
        if not isinstance(text, str):
            # Directus hands it to graphql-js, whose refusal serialises as an empty object.
            raise AuthError(Code.GRAPHQL_VALIDATION, extensions={"errors": [{}]})
        name = request.operation_name
        if request.method != "GET" and name is not None and not isinstance(name, str):
            raise invalid_payload('"operationName" must be a string')
        limit = self.settings.max_query_length
        if len(text) > limit:
            message = f"The query is {len(text)} characters long, at most {limit} are allowed."
            raise validation_error([GraphQLError(message)])
        if len(text) <= _CACHED_TEXT:
            document, problems = self.documents.get_or_make(text, lambda: self._parsed(text))
        else:
            document, problems = self._parsed(text)
        if document is None:
            raise validation_error(problems)
        if request.method == "GET":
            # As Directus: a GET runs only an operation it can choose and that is a query; an
            # unknown (or non-string) name, or several operations and no name, is 405 too.
            chosen = name is None or isinstance(name, str)
            operation = get_operation_ast(document, name) if chosen else None
            if operation is None or operation.operation != OperationType.QUERY:
                raise _method_not_allowed("GET")
        if problems:
            raise validation_error(problems)
        return document

    def _parsed(self, text: str) -> tuple[DocumentNode | None, tuple[GraphQLError, ...]]:
        """The document and the limits it breaks (``None`` and the syntax error when it does
        not parse); the same for the same text, so clients' fixed queries are parsed once."""
        try:
            document = parse(text, max_tokens=self.settings.token_limit)
        except GraphQLError as error:
            return None, (error,)
        return document, tuple(check_document(document, self.settings))

    async def run(
        self,
        services: ServiceBundle,
        scope: Scope,
        request: GraphQLRequest,
        accountability: Accountability,
        client: Client,
        cookies: dict[str, str],
    ) -> Outcome:
        document = self.document(request)
        caller, accountability = await self._schema(services, scope, accountability)
        schema = caller.schema
        hide = not self.settings.introspection
        errors = caller.validated.get_or_make(
            request.query,
            lambda: tuple(validate(schema, document, self.rules, hide_suggestions=hide)),
        )
        if errors:
            raise validation_error(errors)
        variables = _variable_values(request.variables)
        context = RequestContext(services, accountability, client, cookies)
        result = execute(
            schema,
            document,
            context_value=context,
            variable_values=variables,
            operation_name=request.operation_name,
            hide_suggestions=hide,
        )
        if inspect.isawaitable(result):
            result = await result
        assert isinstance(result, ExecutionResult)
        if result.data is None and result.errors and not any(e.path for e in result.errors):
            # Nothing ran: the variables did not fit the operation (a request error).
            raise validation_error(result.errors)
        # Directus leaves "data" out when it is null (an error nulled the whole result).
        body: dict[str, Any] = {} if result.data is None else {"data": result.data}
        if result.errors:
            body["errors"] = [format_error(error) for error in result.errors]
        return Outcome(body, context)

    async def sdl(
        self, services: ServiceBundle, scope: Scope, accountability: Accountability
    ) -> str:
        """The caller's schema in the schema definition language (``/server/specs/graphql``):
        the types and fields this caller may use, as introspection would show them."""
        schema, _ = await self._schema(services, scope, accountability)
        return print_schema(schema.schema)

    async def _schema(
        self, services: ServiceBundle, scope: Scope, accountability: Accountability
    ) -> tuple[CallerSchema, Accountability]:
        """The caller's schema, and its accountability completed with the epoch and policies
        it was built for (the resolvers then read with exactly those, loading nothing again)."""
        items = services.items

        def load(conn: Connection) -> tuple[Permissions, SchemaOverview]:
            permissions = permissions_for(conn, accountability, items.permission_cache)
            return permissions, items.schema.overview(conn, permissions.epoch)

        if accountability.epoch is None:
            permissions, overview = await services.db.read(load)
        else:
            # A signed-in caller's epoch is known: when its permission rows and that epoch's
            # data model are cached, nothing needs the database (and no PostgreSQL round trip
            # to a worker thread is paid for nothing).
            try:
                permissions, overview = load(_NO_CONNECTION)  # type: ignore[arg-type]
            except _Uncached:
                permissions, overview = await services.db.read(load)
        schema = self.schemas.get(
            overview, permissions, scope, has_user=accountability.user is not None
        )
        completed = replace(accountability, epoch=permissions.epoch, policies=permissions.policies)
        return schema, completed
