"""The pages and second factors: the account page counts and remakes recovery codes (shown
once), the sign-in's code page takes a recovery code, and a person whose policies enforce
two-factor without having it is led to the enrolment first (the API's own rule, decided per
request: a policy attached to the user directly counts too)."""

from __future__ import annotations

import re
import uuid
from typing import Any

from authgate.storage.tables import access
from tests.conftest import PASSWORD, Harness
from tests.pages.conftest import Pages, code_for, enable_tfa_by_api, problem_of, title_of

_CODES = re.compile(r'<code class="secret">([a-z2-9]{5}-[a-z2-9]{5})</code>')


def _signed_in_with_tfa(pages: Pages, harness: Harness, role: str) -> tuple[dict[str, Any], str]:
    user = pages.user(role=role)
    secret = enable_tfa_by_api(harness, user["email"])
    page = pages.post(
        "/admin/login", {"email": user["email"], "password": PASSWORD, "redirect": ""}
    )
    assert page.status_code == 200  # the code page
    done = pages.post("/admin/login/code", {"otp": code_for(harness, secret)}, on=page)
    assert done.status_code == 303, problem_of(done.text)
    harness.clock.advance(60)
    return user, secret


def test_the_account_page_counts_and_remakes_recovery_codes(
    pages: Pages, harness: Harness, member_role: str
) -> None:
    _, secret = _signed_in_with_tfa(pages, harness, member_role)
    before = pages.get("/admin/account")
    assert "You have no recovery codes." in before.text

    made = pages.post(
        "/admin/account/recovery-codes",
        {"password": PASSWORD, "otp": code_for(harness, secret)},
        on=before,
    )

    assert made.status_code == 200
    assert title_of(made.text) == "Your recovery codes"
    codes = _CODES.findall(made.text)
    assert len(codes) == 10
    after = pages.get("/admin/account")
    assert "10 of 10 recovery codes left." in after.text
    assert not any(c in after.text for c in codes)  # shown once


def test_a_wrong_code_makes_no_recovery_codes(
    pages: Pages, harness: Harness, member_role: str
) -> None:
    _, secret = _signed_in_with_tfa(pages, harness, member_role)
    wrong = "000000" if code_for(harness, secret) != "000000" else "111111"

    page = pages.post(
        "/admin/account/recovery-codes",
        {"password": PASSWORD, "otp": wrong},
        on="/admin/account",
    )

    assert page.status_code == 400
    assert problem_of(page.text)
    assert "You have no recovery codes." in page.text


def test_the_sign_in_code_page_takes_a_recovery_code(
    pages: Pages, harness: Harness, member_role: str
) -> None:
    user, secret = _signed_in_with_tfa(pages, harness, member_role)
    made = pages.post(
        "/admin/account/recovery-codes",
        {"password": PASSWORD, "otp": code_for(harness, secret)},
        on="/admin/account",
    )
    first = _CODES.findall(made.text)[0]
    harness.client.cookies.clear()

    page = pages.post(
        "/admin/login", {"email": user["email"], "password": PASSWORD, "redirect": ""}
    )
    assert 'maxlength="16"' in page.text
    done = pages.post("/admin/login/code", {"otp": first}, on=page)

    assert done.status_code == 303, problem_of(done.text)
    assert "9 of 10 recovery codes left." in pages.get("/admin/account").text


def test_a_policy_of_the_user_that_enforces_two_factor_leads_to_the_enrolment(
    pages: Pages, harness: Harness, member_role: str
) -> None:
    user = pages.user(role=member_role)
    policy = harness.client.post(
        "/policies",
        json={"name": f"Strict {uuid.uuid4()}", "enforce_tfa": True},
        headers=harness.admin,
    ).json()["data"]["id"]
    harness.db.write_sync(
        lambda conn: conn.execute(
            access.insert().values(id=str(uuid.uuid4()), user=user["id"], policy=policy)
        )
    )

    signed_in = pages.sign_in(user["email"], PASSWORD)
    profile = pages.post("/admin/account/profile", {"first_name": "x"}, on="/admin/account")
    enrol = pages.get("/admin/account/two-factor")

    assert signed_in.headers["location"] == "/admin/account/two-factor?notice=tfa-required"
    assert profile.headers["location"] == "/admin/account/two-factor?notice=tfa-required"
    assert enrol.status_code == 200
    assert pages.get("/admin/account").status_code == 200
