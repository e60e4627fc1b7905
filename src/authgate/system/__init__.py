"""Directus's system collections served above the generic items: the access model's rules,
the caller's own access, the data model (collections, fields, relations)."""
