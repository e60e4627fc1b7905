"""API keys: several per user, each with a name, an optional expiry and an optional list of
the user's own policies it is limited to; used like a static token."""
