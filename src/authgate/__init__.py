"""authgate: a self-hosted authentication and access server that speaks the Directus API."""

__version__ = "0.1.0"
# The Directus release whose API this server speaks: ``/server/info`` reports it as ``version``
# because clients read that field to decide which endpoints a server has.
DIRECTUS_VERSION = "12.4.0"
__all__ = ["DIRECTUS_VERSION", "__version__"]
