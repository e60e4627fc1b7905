"""Sessions: login, refresh with rotation and reuse detection, logout."""
