"""The operating variables: Directus's names and defaults, refused when unusable."""

from __future__ import annotations

from datetime import timedelta

import pytest

from authgate.config import load_settings
from authgate.config.env import ConfigError

BASE = {"SECRET": "x" * 40}


def test_defaults() -> None:
    settings = load_settings(BASE)

    assert settings.metrics.enabled is False
    assert settings.metrics.tokens == ()
    assert settings.metrics.services == ("database", "cache", "redis", "storage")
    assert settings.purge.interval == timedelta(minutes=5)
    assert settings.purge.batch == 500
    assert settings.purge.activity_retention is None


def test_values() -> None:
    settings = load_settings(
        {
            **BASE,
            "METRICS_ENABLED": "true",
            "METRICS_TOKENS": "a,b",
            "METRICS_SERVICES": "Database",
            "PURGE_INTERVAL": "30s",
            "RETENTION_ENABLED": "true",
            "RETENTION_BATCH": "50",
        }
    )

    assert settings.metrics.enabled
    assert settings.metrics.tokens == ("a", "b")
    assert settings.metrics.services == ("database",)
    assert settings.purge.interval == timedelta(seconds=30)
    assert settings.purge.batch == 50
    assert settings.purge.activity_retention == timedelta(days=90)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("PURGE_INTERVAL", "0"),
        ("PURGE_INTERVAL", "soon"),
        ("RETENTION_BATCH", "0"),
        ("ACTIVITY_RETENTION", "never"),
    ],
)
def test_unusable_values_stop_the_start(name: str, value: str) -> None:
    with pytest.raises(ConfigError) as raised:
        load_settings({**BASE, "RETENTION_ENABLED": "true", name: value})

    assert name in str(raised.value)
