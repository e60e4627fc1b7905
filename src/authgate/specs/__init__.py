"""Descriptions of the API for tools: the OpenAPI document of ``/server/specs/oas``."""
