"""Differential conformance test: the same requests to authgate and to the reference Directus.

Run with ``./scripts/conformance`` (see README.md, "Conformance with Directus"). Not collected by
pytest: the unit tests of the normaliser and differ live in tests/unit/test_conformance_diff.py.
"""
