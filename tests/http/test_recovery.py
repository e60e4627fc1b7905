"""Password reset by mail: the request reveals nothing, the link works once."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from authgate.errors import service_unavailable
from tests.conftest import Harness, unique_email


def _last_mail_token(harness: Harness, to: str) -> tuple[str, str]:
    mails = [m for m in harness.outbox.sent if m.to == to]
    assert mails, f"no mail to {to}"
    url = mails[-1].data["url"]
    return url, parse_qs(urlsplit(url).query)["token"][0]


def test_request_for_an_existing_account_sends_a_reset_link(harness: Harness) -> None:
    user = harness.create_user()

    response = harness.client.post("/auth/password/request", json={"email": user["email"]})

    assert response.status_code == 204
    url, _ = _last_mail_token(harness, user["email"])
    assert url.startswith("http://authgate.test/admin/reset-password?token=")
    mail = [m for m in harness.outbox.sent if m.to == user["email"]][-1]
    assert mail.subject == "Password Reset Request"
    assert url.replace("&", "&amp;") in mail.html
    assert url in mail.text


def test_request_answers_the_same_for_unknown_and_inactive_accounts(harness: Harness) -> None:
    suspended = harness.create_user(status="suspended")
    before = len(harness.outbox.sent)

    unknown = harness.client.post("/auth/password/request", json={"email": unique_email()})
    inactive = harness.client.post("/auth/password/request", json={"email": suspended["email"]})
    not_an_email = harness.client.post("/auth/password/request", json={"email": "x"})

    assert [r.status_code for r in (unknown, inactive, not_an_email)] == [204, 204, 204]
    assert unknown.content == inactive.content == b""
    assert len(harness.outbox.sent) == before


def test_reset_url_must_be_allow_listed_and_keeps_its_query(harness: Harness) -> None:
    user = harness.create_user()

    refused = harness.client.post(
        "/auth/password/request",
        json={"email": user["email"], "reset_url": "http://evil.test/reset"},
    )
    allowed = harness.client.post(
        "/auth/password/request",
        json={"email": user["email"], "reset_url": "http://example.com/reset?lang=fr"},
    )

    assert refused.status_code == 400
    assert (
        refused.json()["errors"][0]["message"]
        == 'Invalid payload. URL "http://evil.test/reset" can\'t be used to reset passwords.'
    )
    assert allowed.status_code == 204
    url, _ = _last_mail_token(harness, user["email"])
    assert url.startswith("http://example.com/reset?lang=fr&token=")


@pytest.mark.parametrize(
    "reset_url",
    [
        "http://evil.test\\@example.com/reset",  # a browser reads the host as evil.test
        "http://user@example.com/reset",
        "http://example.com/re\tset",
    ],
)
def test_a_reset_url_a_browser_reads_differently_is_refused(
    harness: Harness, reset_url: str
) -> None:
    user = harness.create_user()
    before = len(harness.outbox.sent)

    response = harness.client.post(
        "/auth/password/request", json={"email": user["email"], "reset_url": reset_url}
    )

    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "INVALID_PAYLOAD"
    assert len(harness.outbox.sent) == before


def test_the_link_resets_the_password_once_and_ends_sessions(harness: Harness) -> None:
    user = harness.create_user()
    old_refresh = harness.tokens(user["email"])["refresh_token"]
    harness.client.post("/auth/password/request", json={"email": user["email"]})
    _, token = _last_mail_token(harness, user["email"])

    first = harness.client.post(
        "/auth/password/reset", json={"token": token, "password": "N3w-Passw0rd!"}
    )
    second = harness.client.post(
        "/auth/password/reset", json={"token": token, "password": "Th1rd-Passw0rd!"}
    )

    assert first.status_code == 204
    assert second.status_code == 403
    assert second.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert harness.login(user["email"], "N3w-Passw0rd!").status_code == 200
    assert (
        harness.client.post("/auth/refresh", json={"refresh_token": old_refresh}).status_code == 401
    )


def test_expired_and_forged_tokens(harness: Harness) -> None:
    user = harness.create_user()
    harness.client.post("/auth/password/request", json={"email": user["email"]})
    _, token = _last_mail_token(harness, user["email"])
    harness.clock.advance(86_401)

    expired = harness.client.post(
        "/auth/password/reset", json={"token": token, "password": "N3w-Passw0rd!"}
    )
    garbage = harness.client.post(
        "/auth/password/reset", json={"token": "garbage", "password": "N3w-Passw0rd!"}
    )

    assert (expired.status_code, expired.json()["errors"][0]["extensions"]["code"]) == (
        401,
        "TOKEN_EXPIRED",
    )
    assert (garbage.status_code, garbage.json()["errors"][0]["extensions"]["code"]) == (
        403,
        "INVALID_TOKEN",
    )


def test_missing_fields(harness: Harness) -> None:
    no_email = harness.client.post("/auth/password/request", json={})
    no_token = harness.client.post("/auth/password/reset", json={"password": "x"})
    no_password = harness.client.post("/auth/password/reset", json={"token": "x"})

    assert no_email.json()["errors"][0]["message"] == 'Invalid payload. "email" field is required.'
    assert no_token.json()["errors"][0]["message"] == 'Invalid payload. "token" field is required.'
    assert (
        no_password.json()["errors"][0]["message"]
        == 'Invalid payload. "password" field is required.'
    )


def test_the_password_policy_applies_and_is_never_echoed(harness: Harness) -> None:
    user = harness.create_user()
    harness.client.patch(
        "/settings", json={"auth_password_policy": "/^.{12,}$/"}, headers=harness.admin
    )
    try:
        harness.client.post("/auth/password/request", json={"email": user["email"]})
        _, token = _last_mail_token(harness, user["email"])

        response = harness.client.post(
            "/auth/password/reset", json={"token": token, "password": "short-pw"}
        )
    finally:
        harness.client.patch(
            "/settings", json={"auth_password_policy": None}, headers=harness.admin
        )

    assert response.status_code == 400
    assert response.json()["errors"][0] == {
        "message": 'Validation failed for field "password". Value doesn\'t have the correct format.',
        "extensions": {
            "field": "password",
            "path": [],
            "type": "regex",
            "code": "FAILED_VALIDATION",
        },
    }
    assert "short-pw" not in response.text


def test_reset_mails_to_one_account_are_limited_silently(harness: Harness) -> None:
    flooded, other = harness.create_user(), harness.create_user()

    responses = [
        harness.client.post("/auth/password/request", json={"email": flooded["email"]})
        for _ in range(6)
    ]
    unaffected = harness.client.post("/auth/password/request", json={"email": other["email"]})

    assert [r.status_code for r in responses] == [204] * 6
    assert all(r.content == b"" for r in responses)
    assert len([m for m in harness.outbox.sent if m.to == flooded["email"]]) == 3
    assert unaffected.status_code == 204
    assert len([m for m in harness.outbox.sent if m.to == other["email"]]) == 1


def test_a_failing_counter_store_answers_alike_for_known_and_unknown_addresses(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Fault injection: the store that counts reset mails is down. Known and unknown addresses
    must still get the same answer (it used to be counted only for existing accounts)."""
    known = harness.create_user()
    recovery = harness.app.services.recovery

    async def down(*_args: object, **_kwargs: object) -> None:
        raise service_unavailable("counters", "Counter store is unavailable", retry_after=1)

    monkeypatch.setattr(recovery.counters, "hit", down)
    for_known = harness.client.post("/auth/password/request", json={"email": known["email"]})
    for_unknown = harness.client.post(
        "/auth/password/request", json={"email": unique_email("nobody")}
    )

    assert for_known.status_code == for_unknown.status_code
    assert for_known.json() == for_unknown.json()
    assert not [m for m in harness.outbox.sent if m.to == known["email"]]
