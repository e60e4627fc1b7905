"""Single sign-on: the configured providers (``AUTH_PROVIDERS``) and their drivers.

Directus's vocabulary: a *driver* is the code (``oauth2``, ``openid``, ``ldap``, ``saml``), a
*provider* is one configured instance of it (``AUTH_GOOGLE_DRIVER=openid``). ``base`` holds the
interface every driver implements, ``accounts`` turns an upstream identity into a user, and
``redirects`` checks where a browser may be sent. Nothing here knows the web framework: the
HTTP edge (``http/routes/sso.py``) turns requests into ``SsoRequest`` and outcomes into
responses.
"""
