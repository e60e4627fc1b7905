"""Transitional: payload validation moved to ``authgate/validate.py`` (GraphQL and the pages use
it too). This stays for route modules written against the old path until they are converted;
import ``authgate.validate`` in new code."""

from __future__ import annotations

from authgate.validate import Rule, validate

__all__ = ["Rule", "validate"]
