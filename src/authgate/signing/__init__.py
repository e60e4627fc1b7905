"""Signing keys for access tokens: generated, sealed and kept in the database, rotated, and
loaded once per process (``ring.py``); the pure key set lives in ``tokens/keyset.py``."""


class SigningKeysError(Exception):
    """A problem with the stored keys the operator must fix; one line, no key material."""
