"""The JSON API's route modules, mounted by ``http/build.py``."""
