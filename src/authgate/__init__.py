"""authgate: a self-hosted authentication and access server that speaks the Directus API."""

__version__ = "0.1.0"
__all__ = ["__version__"]
