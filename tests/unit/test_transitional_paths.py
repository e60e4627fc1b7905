"""The old import paths of the moved web modules (``http/context.py``, ``http/responses.py``,
``http/validate.py``) still give the same objects, for route modules written against them."""

from __future__ import annotations

from authgate import validate
from authgate.http import context as old_context
from authgate.http import responses as old_responses
from authgate.http import validate as old_validate
from authgate.web import context, responses


def test_the_request_context_is_the_same() -> None:
    assert old_context.services is context.services
    assert old_context.accountability is context.accountability
    assert old_context.query is context.query


def test_the_responses_are_the_same() -> None:
    assert old_responses.data is responses.data
    assert old_responses.set_cookie is responses.set_cookie


def test_payload_validation_is_the_same() -> None:
    assert old_validate.validate is validate.validate
    assert old_validate.Rule is validate.Rule
