"""The Directus query language: parameters, filters, dynamic variables, SQL."""
