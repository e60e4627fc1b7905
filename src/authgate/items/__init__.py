"""The data API: items of any collection, read and written under permissions."""
