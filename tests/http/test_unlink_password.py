"""With the built-in sign-in on, a password is a way in: the only linked identity of a user
with a password can be unlinked (``test_unlink_disable_default.py`` is the other side)."""

from __future__ import annotations

import secrets
import uuid

from sqlalchemy import Connection

from authgate.identities import repo as identities_repo
from tests.conftest import Harness, unique_email


def test_a_password_lets_the_only_identity_go(harness: Harness) -> None:
    user = harness.create_user(unique_email("unlink-pw"))
    identity = str(uuid.uuid4())

    def work(conn: Connection) -> None:
        identities_repo.insert_identity(
            conn,
            id=identity,
            user=user["id"],
            provider="op",
            subject="sub-" + secrets.token_hex(6),
            now=harness.clock.now(),
        )

    harness.db.write_sync(work)

    response = harness.client.delete(
        f"/users/me/identities/{identity}", headers=harness.bearer(user["email"])
    )

    assert response.status_code == 204, response.text
    rows = harness.sql('SELECT count(*) FROM authgate_identities WHERE "user" = :u', u=user["id"])
    assert rows[0][0] == 0
