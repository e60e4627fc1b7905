"""An SMTP server that does not answer makes ``/server/health`` report ``error`` (``503``), as
Directus's ``email:connection`` check does; ``HEALTHCHECK_SERVICES`` leaves it out."""

from __future__ import annotations

import socket

from tests.conftest import Harness, unique_email


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


ENV = {
    "EMAIL_TRANSPORT": "smtp",
    "EMAIL_SMTP_HOST": "127.0.0.1",
    "EMAIL_SMTP_PORT": str(_closed_port()),
    "EMAIL_SMTP_IGNORE_TLS": "true",
}


def test_an_unreachable_smtp_server_is_an_error(harness: Harness) -> None:
    role = harness.create_role(f"Health mail {unique_email()}", app=True)
    user = harness.bearer(harness.create_user(unique_email("health-mail"), role=role)["email"])

    admin = harness.client.get("/server/health", headers=harness.admin)
    plain = harness.client.get("/server/health", headers=user)

    assert admin.status_code == 503
    assert admin.json()["status"] == "error"
    assert admin.json()["checks"]["email:connection"] == [
        {"status": "error", "componentType": "email"}
    ]
    assert (plain.status_code, plain.json()) == (503, {"status": "error"})
