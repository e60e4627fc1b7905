"""``/collections``, ``/fields``, ``/relations``."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from authgate.web import context
from authgate.web.responses import data, no_content


async def list_collections(request: Request) -> Response:
    services = context.services(request)
    return data(await services.schema.collections(context.accountability(request)))


async def read_collection(request: Request) -> Response:
    services = context.services(request)
    name = request.path_params["collection"]
    return data(await services.schema.collections(context.accountability(request), name))


async def create_collection(request: Request) -> Response:
    services = context.services(request)
    accountability = context.accountability(request)
    name = await services.schema.create_collection(accountability, context.body(request))
    return data(await services.schema.collections(accountability, name))


async def update_collection(request: Request) -> Response:
    services = context.services(request)
    accountability = context.accountability(request)
    name = request.path_params["collection"]
    await services.schema.update_collection(accountability, name, context.body(request))
    return data(await services.schema.collections(accountability, name))


async def delete_collection(request: Request) -> Response:
    services = context.services(request)
    await services.schema.delete_collection(
        context.accountability(request), request.path_params["collection"]
    )
    return no_content()


async def list_fields(request: Request) -> Response:
    services = context.services(request)
    collection = request.path_params.get("collection")
    return data(await services.schema.fields(context.accountability(request), collection))


async def read_field(request: Request) -> Response:
    services = context.services(request)
    params = request.path_params
    return data(
        await services.schema.fields(
            context.accountability(request), params["collection"], params["field"]
        )
    )


async def create_field(request: Request) -> Response:
    services = context.services(request)
    accountability = context.accountability(request)
    collection = request.path_params["collection"]
    name = await services.schema.create_field(accountability, collection, context.body(request))
    return data(await services.schema.fields(accountability, collection, name))


async def update_field(request: Request) -> Response:
    services = context.services(request)
    accountability = context.accountability(request)
    params = request.path_params
    await services.schema.update_field(
        accountability, params["collection"], params["field"], context.body(request)
    )
    return data(await services.schema.fields(accountability, params["collection"], params["field"]))


async def delete_field(request: Request) -> Response:
    services = context.services(request)
    params = request.path_params
    await services.schema.delete_field(
        context.accountability(request), params["collection"], params["field"]
    )
    return no_content()


async def list_relations(request: Request) -> Response:
    services = context.services(request)
    return data(
        await services.schema.relations(
            context.accountability(request), request.path_params.get("collection")
        )
    )


async def create_relation(request: Request) -> Response:
    services = context.services(request)
    accountability = context.accountability(request)
    body = context.body(request)
    await services.schema.create_relation(accountability, body)
    relations = await services.schema.relations(accountability, body.get("collection"))
    match = [r for r in relations if r["field"] == body.get("field")]
    return data(match[0] if match else None)


async def delete_relation(request: Request) -> Response:
    services = context.services(request)
    params = request.path_params
    await services.schema.delete_relation(
        context.accountability(request), params["collection"], params["field"]
    )
    return no_content()


routes = [
    Route("/collections", list_collections, methods=["GET"]),
    Route("/collections", create_collection, methods=["POST"]),
    Route("/collections/{collection}", read_collection, methods=["GET"]),
    Route("/collections/{collection}", update_collection, methods=["PATCH"]),
    Route("/collections/{collection}", delete_collection, methods=["DELETE"]),
    Route("/fields", list_fields, methods=["GET"]),
    Route("/fields/{collection}", list_fields, methods=["GET"]),
    Route("/fields/{collection}", create_field, methods=["POST"]),
    Route("/fields/{collection}/{field}", read_field, methods=["GET"]),
    Route("/fields/{collection}/{field}", update_field, methods=["PATCH"]),
    Route("/fields/{collection}/{field}", delete_field, methods=["DELETE"]),
    Route("/relations", list_relations, methods=["GET"]),
    Route("/relations", create_relation, methods=["POST"]),
    Route("/relations/{collection}", list_relations, methods=["GET"]),
    Route("/relations/{collection}/{field}", delete_relation, methods=["DELETE"]),
]
