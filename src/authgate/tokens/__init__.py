"""JWTs: access and session tokens, and the purpose-scoped one-shot tokens sent by mail."""
