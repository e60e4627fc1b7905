"""The audit trail: ``directus_activity`` rows and their ``directus_revisions``."""
