"""Prometheus metrics (``METRICS_ENABLED``): what the server does, counted per process and
added up across ``WORKERS`` processes by prometheus-client's multi-process mode."""
