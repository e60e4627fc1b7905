from __future__ import annotations

from tests.conftest import PASSWORD, Harness
from tests.support.factors import code, enrolled_user, make_codes, tfa_role

ENV = {"IP_TRUST_PROXY": "true"}


def test_probe(harness: Harness) -> None:
    who = enrolled_user(harness)
    r = harness.client.patch("/users/me", json={"tfa_secret": None}, headers=who.headers)
    print("ME NULL", r.status_code, r.text[:300])
    r = harness.client.patch(
        f"/users/{who.user['id']}", json={"tfa_secret": None}, headers=harness.admin
    )
    print("ADMIN NULL", r.status_code, r.text[:300])
    r = harness.client.post(
        "/graphql/system",
        json={"query": "mutation { update_users_me(data: {tfa_secret: null}) { id } }"},
        headers=who.headers,
    )
    print("GQL NULL", r.status_code, r.text[:300])
    print(
        harness.sql("select tfa_secret is null from directus_users where id = :i", i=who.user["id"])
    )
    print([m.template for m in harness.outbox.sent if m.to == who.email])
