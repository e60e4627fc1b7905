"""What an OpenID sign-in stores with its session (``identities.service.Identities.binder``):
a provider's ``sid`` longer than the column holds is dropped (the session then ends by the
logout token's ``sub``), never a failed sign-in. The provider is driven by hand here: the
suite's real provider never makes such a ``sid``."""

from __future__ import annotations

from authgate.identities.service import Identities
from tests.conftest import PASSWORD, Harness, unique_email


def test_an_overlong_sid_is_dropped_not_a_failed_sign_in(harness: Harness) -> None:
    user = harness.create_user(unique_email("sid"))
    refresh = harness.tokens(user["email"], PASSWORD)["refresh_token"]
    services = harness.app.services
    identities = Identities(db=services.db, keys=services.keys, clock=services.clock)
    bind = identities.binder(
        user=user["id"], provider="op", subject="subject-1", sid="s" * 300, id_token=None
    )
    key = services.keys.hash_token(refresh)

    harness.db.write_sync(lambda conn: bind(conn, key))

    stored = harness.sql("SELECT subject, sid FROM authgate_sso_sessions WHERE token = :t", t=key)
    assert [tuple(row) for row in stored] == [("subject-1", None)]
