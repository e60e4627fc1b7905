"""Identities of other providers linked to an account, and what an OpenID provider said about
the sessions it opened (issue 15)."""
