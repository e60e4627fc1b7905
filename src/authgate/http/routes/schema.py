"""``/collections``, ``/fields``, ``/relations``."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from authgate.system.schema import SchemaService
from authgate.web import context
from authgate.web.responses import data, no_content


@dataclass(frozen=True)
class SchemaDeps:
    schema: SchemaService


async def list_collections(deps: SchemaDeps, request: Request) -> Response:
    return data(await deps.schema.collections(context.accountability(request)))


async def read_collection(deps: SchemaDeps, request: Request) -> Response:
    name = request.path_params["collection"]
    return data(await deps.schema.collections(context.accountability(request), name))


async def create_collection(deps: SchemaDeps, request: Request) -> Response:
    accountability = context.accountability(request)
    name = await deps.schema.create_collection(accountability, context.body(request))
    return data(await deps.schema.collections(accountability, name))


async def update_collection(deps: SchemaDeps, request: Request) -> Response:
    accountability = context.accountability(request)
    name = request.path_params["collection"]
    await deps.schema.update_collection(accountability, name, context.body(request))
    return data(await deps.schema.collections(accountability, name))


async def delete_collection(deps: SchemaDeps, request: Request) -> Response:
    await deps.schema.delete_collection(
        context.accountability(request), request.path_params["collection"]
    )
    return no_content()


async def list_fields(deps: SchemaDeps, request: Request) -> Response:
    collection = request.path_params.get("collection")
    return data(await deps.schema.fields(context.accountability(request), collection))


async def read_field(deps: SchemaDeps, request: Request) -> Response:
    params = request.path_params
    return data(
        await deps.schema.fields(
            context.accountability(request), params["collection"], params["field"]
        )
    )


async def create_field(deps: SchemaDeps, request: Request) -> Response:
    accountability = context.accountability(request)
    collection = request.path_params["collection"]
    name = await deps.schema.create_field(accountability, collection, context.body(request))
    return data(await deps.schema.fields(accountability, collection, name))


async def update_field(deps: SchemaDeps, request: Request) -> Response:
    accountability = context.accountability(request)
    params = request.path_params
    await deps.schema.update_field(
        accountability, params["collection"], params["field"], context.body(request)
    )
    return data(await deps.schema.fields(accountability, params["collection"], params["field"]))


async def delete_field(deps: SchemaDeps, request: Request) -> Response:
    params = request.path_params
    await deps.schema.delete_field(
        context.accountability(request), params["collection"], params["field"]
    )
    return no_content()


async def list_relations(deps: SchemaDeps, request: Request) -> Response:
    return data(
        await deps.schema.relations(
            context.accountability(request), request.path_params.get("collection")
        )
    )


async def create_relation(deps: SchemaDeps, request: Request) -> Response:
    accountability = context.accountability(request)
    body = context.body(request)
    await deps.schema.create_relation(accountability, body)
    relations = await deps.schema.relations(accountability, body.get("collection"))
    match = [r for r in relations if r["field"] == body.get("field")]
    return data(match[0] if match else None)


async def delete_relation(deps: SchemaDeps, request: Request) -> Response:
    params = request.path_params
    await deps.schema.delete_relation(
        context.accountability(request), params["collection"], params["field"]
    )
    return no_content()


def routes(deps: SchemaDeps) -> list[Route]:
    return [
        Route("/collections", partial(list_collections, deps), methods=["GET"]),
        Route("/collections", partial(create_collection, deps), methods=["POST"]),
        Route("/collections/{collection}", partial(read_collection, deps), methods=["GET"]),
        Route("/collections/{collection}", partial(update_collection, deps), methods=["PATCH"]),
        Route("/collections/{collection}", partial(delete_collection, deps), methods=["DELETE"]),
        Route("/fields", partial(list_fields, deps), methods=["GET"]),
        Route("/fields/{collection}", partial(list_fields, deps), methods=["GET"]),
        Route("/fields/{collection}", partial(create_field, deps), methods=["POST"]),
        Route("/fields/{collection}/{field}", partial(read_field, deps), methods=["GET"]),
        Route("/fields/{collection}/{field}", partial(update_field, deps), methods=["PATCH"]),
        Route("/fields/{collection}/{field}", partial(delete_field, deps), methods=["DELETE"]),
        Route("/relations", partial(list_relations, deps), methods=["GET"]),
        Route("/relations", partial(create_relation, deps), methods=["POST"]),
        Route("/relations/{collection}", partial(list_relations, deps), methods=["GET"]),
        Route(
            "/relations/{collection}/{field}", partial(delete_relation, deps), methods=["DELETE"]
        ),
    ]
