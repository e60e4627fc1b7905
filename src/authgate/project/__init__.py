"""Project settings: the ``directus_settings`` singleton."""
