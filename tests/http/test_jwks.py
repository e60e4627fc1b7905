"""Tokens other services can verify (issue 15): with ``AUTH_JWT_ALGORITHM`` EdDSA, ES256 or
RS256 every access token and session JWT is signed with a private key, and a service holding
only ``GET /.well-known/jwks.json`` verifies it (with joserfc, an independent library), before
and after a rotation. HS256 (the default) publishes an empty set.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from typing import Any

import jwt as pyjwt
import pytest
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from authgate.signing.ring import (
    REFRESH_INTERVAL,
    UNKNOWN_KID_PAUSE,
    retention,
    rotate_keys,
)
from authgate.signing.sealing import unseal
from authgate.tokens.keyset import load_private_pem
from authgate.upkeep.purge import purge_batch
from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, PASSWORD, Harness, unique_email
from tests.support.backends import BACKENDS
from tests.support.signing import (
    ASYMMETRIC,
    JWKS_PATH,
    code_of,
    header_of,
    me,
    published,
    published_kids,
    segment,
    signing_harness,
    started,
    verify_elsewhere,
)

WORLDS = [(backend, algorithm) for backend in BACKENDS for algorithm in ASYMMETRIC]
IDS = [f"{backend}-{algorithm}" for backend, algorithm in WORLDS]
ACCESS_CLAIMS = {"id", "role", "app_access", "admin_access", "sid", "iat", "exp", "iss"}


@pytest.fixture(scope="module", params=WORLDS, ids=IDS)
def signer(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Harness]:
    backend, algorithm = request.param
    folder = tmp_path_factory.mktemp(f"jwks-{backend}-{algorithm}")
    with signing_harness(backend, folder, {"AUTH_JWT_ALGORITHM": algorithm}) as harness:
        yield harness


@pytest.fixture(params=WORLDS, ids=IDS)
def fresh(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Harness]:
    """A world of its own for a test that rotates keys and moves the clock."""
    backend, algorithm = request.param
    folder = tmp_path_factory.mktemp(f"rotation-{backend}-{algorithm}")
    with signing_harness(backend, folder, {"AUTH_JWT_ALGORITHM": algorithm}) as harness:
        yield harness


@pytest.fixture(scope="module")
def people(signer: Harness) -> dict[str, tuple[str, str]]:
    """email and password of the users that exist: admin, a user with a custom policy and no
    app access, an app user, a role-less user."""
    member_role = signer.create_role("JWKS readers")
    signer.grant(member_role, "directus_users", "read")
    app_role = signer.create_role("JWKS app users", app=True)
    found = {"admin": (ADMIN_EMAIL, ADMIN_PASSWORD)}
    for who, role in (("member", member_role), ("app", app_role), ("roleless", None)):
        email = unique_email(who)
        signer.create_user(email, role=role)
        found[who] = (email, PASSWORD)
    return found


def algorithm(harness: Harness) -> str:
    return harness.settings.signing.algorithm


def test_the_key_set_is_public_briefly_cacheable_and_names_each_key(signer: Harness) -> None:
    response = signer.client.get(JWKS_PATH, headers={"Cookie": ""})

    keys = response.json()["keys"]
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert response.headers["cache-control"] == "public, max-age=60"
    assert [(key["alg"], key["use"]) for key in keys] == [(algorithm(signer), "sig")]
    # the kid is the RFC 7638 thumbprint, as an independent library computes it
    assert keys[0]["kid"] == KeySet.import_key_set({"keys": keys}).keys[0].thumbprint()
    assert not {"d", "p", "q", "dp", "dq", "qi"} & set(keys[0])
    assert signer.settings.secret.reveal() not in response.text


@pytest.mark.parametrize("who", ["admin", "member", "app", "roleless"])
def test_an_issued_access_token_verifies_with_the_key_set_alone(
    signer: Harness, people: dict[str, tuple[str, str]], who: str
) -> None:
    email, password = people[who]
    tokens = signer.tokens(email, password)

    token = verify_elsewhere(
        tokens["access_token"], published(signer.client), algorithm(signer), signer.clock
    )

    assert token.header["alg"] == algorithm(signer)
    assert token.header["kid"] in published_kids(signer.client)
    assert set(token.claims) == ACCESS_CLAIMS
    assert token.claims["iss"] == "directus"
    assert token.claims["exp"] - token.claims["iat"] == 900
    assert me(signer.client, tokens["access_token"]).json()["data"]["id"] == token.claims["id"]


@pytest.mark.parametrize("transport", ["header", "query", "cookie"])
def test_every_transport_takes_the_signed_token(
    signer: Harness, people: dict[str, tuple[str, str]], transport: str
) -> None:
    token = signer.tokens(*people["member"])["access_token"]
    signer.client.cookies.clear()
    params, headers = {"fields": "email"}, {}
    if transport == "header":
        headers["Authorization"] = f"Bearer {token}"
    elif transport == "query":
        params["access_token"] = token
    else:
        headers["Cookie"] = f"directus_session_token={token}"

    response = signer.client.get("/users/me", params=params, headers=headers)

    assert response.status_code == 200, response.text
    assert response.json()["data"]["email"] == people["member"][0]


def test_the_session_mode_jwt_and_its_refresh_are_signed_with_the_key(
    signer: Harness, people: dict[str, tuple[str, str]]
) -> None:
    signer.login(*people["app"], mode="session")
    cookie = signer.client.cookies["directus_session_token"]

    first = verify_elsewhere(cookie, published(signer.client), algorithm(signer), signer.clock)
    refreshed = signer.client.post("/auth/refresh", json={"mode": "session"})
    second_cookie = signer.client.cookies["directus_session_token"]
    second = verify_elsewhere(
        second_cookie, published(signer.client), algorithm(signer), signer.clock
    )

    assert "session" in first.claims
    assert first.claims["exp"] - first.claims["iat"] == 86400  # SESSION_COOKIE_TTL
    assert refreshed.status_code == 200, refreshed.text
    assert second.claims["id"] == first.claims["id"]
    assert signer.client.get("/users/me", params={"fields": "id"}).status_code == 200


def test_hs256_publishes_an_empty_set_and_its_tokens_name_no_key(harness: Harness) -> None:
    """The default, as Directus: signed with SECRET, which is never published."""
    response = harness.client.get(JWKS_PATH)
    token = harness.tokens(ADMIN_EMAIL, ADMIN_PASSWORD)["access_token"]

    assert response.json() == {"keys": []}
    assert response.headers["cache-control"] == "public, max-age=60"
    assert harness.settings.secret.reveal() not in response.text
    assert header_of(token) == {"alg": "HS256", "typ": "JWT"}
    assert harness.sql("SELECT count(*) FROM authgate_signing_keys") == [(0,)]


def _stored_private_key(harness: Harness, kid: str) -> Any:
    [(sealed,)] = harness.sql(
        "SELECT private_key FROM authgate_signing_keys WHERE kid = :kid", kid=kid
    )
    return load_private_pem(
        unseal(harness.settings.secret.reveal(), kid, sealed), algorithm(harness)
    )


def test_a_rotation_publishes_first_signs_later_and_retires_the_old_key_last(
    fresh: Harness,
) -> None:
    alg, clock = algorithm(fresh), fresh.clock
    old = fresh.tokens(ADMIN_EMAIL, ADMIN_PASSWORD)["access_token"]
    old_kid = header_of(old)["kid"]
    assert published_kids(fresh.client) == [old_kid]

    new_key = rotate_keys(fresh.db, fresh.settings, clock.now())  # `authgate keys rotate`
    clock.advance(REFRESH_INTERVAL.total_seconds() + 1)  # every instance reads the keys again
    during_delay = fresh.tokens(ADMIN_EMAIL, ADMIN_PASSWORD)["access_token"]
    both = published(fresh.client)

    assert [key["kid"] for key in both["keys"]] == [old_kid, new_key.kid]
    assert header_of(during_delay)["kid"] == old_kid  # published, not signing yet
    verify_elsewhere(old, both, alg, clock)
    verify_elsewhere(during_delay, both, alg, clock)

    clock.at = new_key.signs_from  # AUTH_JWT_KEY_PUBLISH_DELAY (5 min) later
    new = fresh.tokens(ADMIN_EMAIL, ADMIN_PASSWORD)["access_token"]

    assert header_of(new)["kid"] == new_key.kid
    verify_elsewhere(new, published(fresh.client), alg, clock)
    verify_elsewhere(old, published(fresh.client), alg, clock)  # kept while its tokens live
    assert me(fresh.client, old).status_code == 200

    # A token of the old key that would outlive its retirement (only authgate could make one).
    claims = pyjwt.decode(old, options={"verify_signature": False})
    lasting = pyjwt.encode(
        {**claims, "exp": claims["exp"] + 30 * 86400},
        _stored_private_key(fresh, old_kid),
        algorithm=alg,
        headers={"kid": old_kid},
    )
    retires_at = new_key.signs_from + retention(fresh.settings)
    clock.at = retires_at - timedelta(seconds=1)
    assert me(fresh.client, lasting).status_code == 200
    assert published_kids(fresh.client) == [old_kid, new_key.kid]

    clock.at = retires_at
    refused = me(fresh.client, lasting)

    assert (refused.status_code, code_of(refused)) == (403, "INVALID_TOKEN")
    assert published_kids(fresh.client) == [new_key.kid]
    with pytest.raises(JoseError):
        verify_elsewhere(lasting, published(fresh.client), alg, clock)
    assert code_of(me(fresh.client, old)) == "INVALID_TOKEN"  # its key is gone

    fresh.db.write_sync(
        lambda conn: purge_batch(
            conn,
            dialect=fresh.db.dialect,
            now=clock.now(),
            batch=100,
            tombstone_retention=fresh.settings.refresh_token_ttl,
            activity_retention=None,
        )
    )
    assert fresh.sql("SELECT kid FROM authgate_signing_keys") == [(new_key.kid,)]


def test_another_instance_learns_a_rotation_made_elsewhere(fresh: Harness) -> None:
    """Instance ``other`` read the keys just before the rotation; a token of the new key
    makes it read them again at once (and a made-up kid only once per pause)."""
    clock = fresh.clock
    with started(fresh.settings, clock, fresh.backend) as other:
        clock.advance(REFRESH_INTERVAL.total_seconds() + 1)
        published(other.client)  # other reads the keys now, fresh does not
        at_once = replace(
            fresh.settings, signing=replace(fresh.settings.signing, publish_delay=timedelta(0))
        )
        new_key = rotate_keys(fresh.db, at_once, clock.now())

        token = fresh.tokens(ADMIN_EMAIL, ADMIN_PASSWORD)["access_token"]
        unknown_before = not other.app.services.sessions.signing.keys.knows(new_key.kid)
        answer = me(other.client, token)

        assert header_of(token)["kid"] == new_key.kid
        assert unknown_before
        assert answer.status_code == 200, answer.text
        assert new_key.kid in published_kids(other.client)

        pause = UNKNOWN_KID_PAUSE.total_seconds()
        counts = []
        for kid, wait in (("made-up-1", pause), ("made-up-2", 0), ("made-up-3", 1), ("x", pause)):
            clock.advance(wait)
            forged = ".".join([segment({**header_of(token), "kid": kid}), *token.split(".")[1:]])
            before = other.db.statements
            assert code_of(me(other.client, forged)) == "INVALID_TOKEN"
            counts.append(other.db.statements - before)

        # one read of the keys, then none until the pause is over
        assert counts == [1, 0, 0, 1]


def test_signing_in_on_the_pages_sets_a_session_cookie_signed_with_the_key(
    signer: Harness, people: dict[str, tuple[str, str]]
) -> None:
    from tests.pages.conftest import Pages

    pages = Pages(signer)
    signed_in = pages.sign_in(*people["app"])
    cookie = signer.client.cookies["directus_session_token"]
    account = pages.get("/admin/account")

    token = verify_elsewhere(cookie, published(signer.client), algorithm(signer), signer.clock)
    assert signed_in.headers["location"] == "/admin/account"
    assert token.header["kid"] in published_kids(signer.client)
    assert "session" in token.claims
    assert account.status_code == 200
