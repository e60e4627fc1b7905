"""Configuration: environment variables in, one frozen ``Settings`` out."""

from authgate.config.env import ConfigError, read_environment
from authgate.config.settings import Secret, Settings, load_settings

__all__ = ["ConfigError", "Secret", "Settings", "load_settings", "read_environment"]
