"""``/admin/users``, ``/admin/roles`` and ``/admin/settings``: administrators only, each
change made by the API's own services."""

from __future__ import annotations

import re
from typing import Any

import pytest

from authgate.pages import messages
from tests.conftest import PASSWORD, Harness, unique_email
from tests.pages.conftest import Pages, notice_of, problem_of, title_of

ADMIN_PAGES = ["/admin/users", "/admin/roles", "/admin/settings"]


@pytest.fixture
def admin(pages: Pages) -> Pages:
    pages.sign_in()
    return pages


def _user(harness: Harness, key: str) -> dict[str, Any]:
    response = harness.client.get(
        f"/users/{key}", params={"fields": "status,role,tfa_secret"}, headers=harness.admin
    )
    data: dict[str, Any] = response.json()["data"]
    return data


@pytest.mark.parametrize("path", ADMIN_PAGES)
def test_members_get_a_403_page(pages: Pages, member_role: str, path: str) -> None:
    user = pages.user(role=member_role)
    pages.sign_in(user["email"], PASSWORD)

    response = pages.get(path)

    assert response.status_code == 403
    assert title_of(response.text) == "Administrators only"


def test_members_cannot_post_admin_forms(pages: Pages, harness: Harness, member_role: str) -> None:
    user = pages.user(role=member_role)
    pages.sign_in(user["email"], PASSWORD)
    victim = pages.user()

    response = pages.post(
        f"/admin/users/{victim['id']}/status", {"status": "suspended"}, on="/admin/account"
    )

    assert response.status_code == 403
    assert _user(harness, victim["id"])["status"] == "active"


@pytest.mark.parametrize("path", ADMIN_PAGES)
def test_administrators_see_the_admin_pages(admin: Pages, path: str) -> None:
    response = admin.get(path)

    assert response.status_code == 200
    assert f'href="{path}" aria-current="page"' in response.text


class TestUsers:
    def test_search_and_pages(self, admin: Pages, harness: Harness) -> None:
        tag = unique_email("pager").split("@")[0]
        for index in range(27):
            harness.create_user(f"{tag}-{index:02d}@example.com")

        first = admin.get("/admin/users", params={"search": tag})
        second = admin.get("/admin/users", params={"search": tag, "page": "2"})

        assert '<span class="count">27</span>' in first.text
        assert len(re.findall(rf"{tag}-\d\d@example.com</a>", first.text)) == 25
        assert "Page 1 of 2" in first.text
        assert 'rel="next"' in first.text
        assert re.findall(rf"{tag}-\d\d@example.com</a>", second.text) == [
            f"{tag}-25@example.com</a>",
            f"{tag}-26@example.com</a>",
        ]

    def test_creating_a_user(self, admin: Pages, harness: Harness) -> None:
        role = harness.create_role("Created here", app=True)
        email = unique_email("created")

        response = admin.post(
            "/admin/users",
            {"email": email, "first_name": "Grace", "password": PASSWORD, "role": role},
        )

        assert response.headers["location"] == "/admin/users?notice=user-created"
        assert harness.login(email, PASSWORD).status_code == 200

    def test_a_duplicate_email_is_explained(self, admin: Pages) -> None:
        email = admin.user()["email"]

        response = admin.post("/admin/users", {"email": email.upper(), "first_name": "Dup"})

        assert response.status_code == 400
        assert problem_of(response.text) == "That email address can't be used. Choose another one."
        assert 'value="Dup"' in response.text

    def test_inviting_mails_a_link(self, admin: Pages, harness: Harness) -> None:
        role = harness.create_role("Invitees", app=True)
        email = unique_email("invited")
        sent = len(harness.outbox.sent)

        response = admin.post("/admin/users/invite", {"email": email, "role": role})

        assert response.headers["location"] == "/admin/users?notice=user-invited"
        assert [m.to for m in harness.outbox.sent[sent:]] == [email]

    def test_an_invitation_needs_a_role(self, admin: Pages) -> None:
        response = admin.post("/admin/users/invite", {"email": unique_email(), "role": ""})

        assert response.status_code == 400
        assert problem_of(response.text) == "Enter an email address and a role."

    def test_suspending_and_reactivating(self, admin: Pages, harness: Harness) -> None:
        user = admin.user()
        session = harness.tokens(user["email"])["refresh_token"]
        admin.sign_in()
        page = admin.get(f"/admin/users/{user['id']}")
        assert title_of(page.text).startswith(user["email"])

        suspended = admin.post(
            f"/admin/users/{user['id']}/status", {"status": "suspended"}, on=page
        )

        assert suspended.headers["location"] == f"/admin/users/{user['id']}?notice=user-updated"
        assert _user(harness, user["id"])["status"] == "suspended"
        assert (
            harness.client.post("/auth/refresh", json={"refresh_token": session}).status_code == 401
        )
        admin.sign_in()
        again = admin.post(
            f"/admin/users/{user['id']}/status",
            {"status": "active"},
            on=f"/admin/users/{user['id']}",
        )
        assert again.status_code == 303
        assert _user(harness, user["id"])["status"] == "active"

    def test_the_last_administrator_cannot_suspend_themselves(
        self, admin: Pages, harness: Harness
    ) -> None:
        me = harness.client.get("/users/me", params={"fields": "id"}).json()["data"]["id"]

        response = admin.post(
            f"/admin/users/{me}/status", {"status": "suspended"}, on=f"/admin/users/{me}"
        )

        assert response.status_code == 422
        assert problem_of(response.text) == (
            "This change would leave the project without an active administrator."
        )

    def test_assigning_a_role_and_policies(self, admin: Pages, harness: Harness) -> None:
        role = harness.create_role("Assigned", app=True)
        policy = harness.client.post(
            "/policies", json={"name": "Extra reports"}, headers=harness.admin
        ).json()["data"]["id"]
        user = admin.user()
        page = f"/admin/users/{user['id']}"

        admin.post(f"{page}/role", {"role": role}, on=page)
        admin.post(f"{page}/policies", {"policy": policy}, on=page)

        assert _user(harness, user["id"])["role"] == role
        shown = admin.get(page)
        assert "Extra reports" in shown.text
        access = re.search(r'name="access" value="([0-9a-f-]+)"', shown.text)
        assert access is not None
        removed = admin.post(f"{page}/policies/remove", {"access": access.group(1)}, on=shown)
        assert removed.status_code == 303
        rows = harness.client.get(
            "/access", params={"filter[user][_eq]": user["id"]}, headers=harness.admin
        ).json()["data"]
        assert rows == []

    def test_removing_another_users_access_row_is_refused(
        self, admin: Pages, harness: Harness
    ) -> None:
        policy = harness.client.post(
            "/policies", json={"name": "Kept"}, headers=harness.admin
        ).json()["data"]["id"]
        owner, other = admin.user(), admin.user()
        row = harness.client.post(
            "/access", json={"user": owner["id"], "policy": policy}, headers=harness.admin
        ).json()["data"]["id"]
        page = f"/admin/users/{other['id']}"

        response = admin.post(f"{page}/policies/remove", {"access": row}, on=page)

        assert response.status_code == 403
        assert harness.client.get(f"/access/{row}", headers=harness.admin).status_code == 200

    def test_resetting_two_factor(self, admin: Pages, harness: Harness, member_role: str) -> None:
        from tests.pages.conftest import enable_tfa_by_api

        user = admin.user(role=member_role)
        enable_tfa_by_api(harness, user["email"])
        admin.sign_in()
        page = f"/admin/users/{user['id']}"
        assert "Reset two-factor" in admin.get(page).text

        admin.post(f"{page}/tfa-reset", {}, on=page)

        assert _user(harness, user["id"])["tfa_secret"] is None


class TestRoles:
    def test_creating_a_role_and_giving_it_a_policy(self, admin: Pages, harness: Harness) -> None:
        created = admin.post("/admin/roles", {"name": "Editors", "description": "Write things"})

        location = created.headers["location"]
        assert re.fullmatch(r"/admin/roles/[0-9a-f-]{36}\?notice=role-created", location)
        key = location.split("/")[3].split("?")[0]
        admin.post("/admin/policies", {"name": "Editing", "app_access": "on"}, on="/admin/roles")
        policies = harness.client.get(
            "/policies", params={"filter[name][_eq]": "Editing"}, headers=harness.admin
        ).json()["data"]
        assert policies[0]["app_access"] is True
        assert policies[0]["admin_access"] is False
        admin.post(
            f"/admin/roles/{key}/policies", {"policy": policies[0]["id"]}, on=f"/admin/roles/{key}"
        )
        role_page = admin.get(f"/admin/roles/{key}")
        assert "Editing" in role_page.text
        renamed = admin.post(
            f"/admin/roles/{key}", {"name": "Writers", "description": ""}, on=role_page
        )
        assert renamed.status_code == 303
        role = harness.client.get(f"/roles/{key}", headers=harness.admin).json()["data"]
        assert (role["name"], role["description"]) == ("Writers", None)

    def test_a_role_needs_a_name(self, admin: Pages) -> None:
        response = admin.post("/admin/roles", {"name": ""})

        assert response.status_code == 400
        assert problem_of(response.text) == "Give the role a name."


class TestSettings:
    def test_saving_the_registration_and_security_settings(
        self, admin: Pages, harness: Harness
    ) -> None:
        role = harness.create_role("Self-registered")

        response = admin.post(
            "/admin/settings",
            {
                "public_registration": "on",
                "public_registration_verify_email": "on",
                "public_registration_role": role,
                "email_filter": '{"email": {"_ends_with": "@example.com"}}',
                "auth_login_attempts": "7",
                "policy_choice": "strong",
            },
        )
        try:
            stored = harness.client.get("/settings", headers=harness.admin).json()["data"]
            page = admin.get("/admin/settings")
        finally:
            harness.client.patch(
                "/settings",
                json={
                    "public_registration": False,
                    "public_registration_email_filter": None,
                    "auth_login_attempts": 25,
                    "auth_password_policy": None,
                },
                headers=harness.admin,
            )

        assert response.headers["location"] == "/admin/settings?notice=settings-saved"
        assert stored["public_registration"] is True
        assert stored["public_registration_role"] == role
        assert stored["public_registration_email_filter"] == {
            "email": {"_ends_with": "@example.com"}
        }
        assert stored["auth_login_attempts"] == 7
        assert stored["auth_password_policy"] == messages.STRONG_POLICY
        assert '<option value="strong" selected>' in page.text
        assert 'value="7"' in page.text

    @pytest.mark.parametrize(
        ("form", "problem"),
        [
            (
                {"policy_choice": "custom", "custom_policy": "([a-z"},
                "not a valid regular expression",
            ),
            ({"email_filter": "{not json"}, "The email filter is not valid JSON"),
            ({"auth_login_attempts": "-3"}, "Login attempts must be a whole number"),
            ({"auth_login_attempts": "0"}, "positive number"),
        ],
    )
    def test_unusable_values_are_explained(
        self, admin: Pages, form: dict[str, str], problem: str
    ) -> None:
        response = admin.post("/admin/settings", form)

        assert response.status_code == 400
        assert problem in problem_of(response.text)

    def test_no_limit_and_no_policy(self, admin: Pages, harness: Harness) -> None:
        response = admin.post(
            "/admin/settings", {"auth_login_attempts": "", "policy_choice": "none"}
        )
        try:
            stored = harness.client.get("/settings", headers=harness.admin).json()["data"]
        finally:
            harness.client.patch(
                "/settings", json={"auth_login_attempts": 25}, headers=harness.admin
            )

        assert response.status_code == 303
        assert notice_of(admin.follow(response).text) == "The settings are saved."
        assert (stored["auth_login_attempts"], stored["auth_password_policy"]) == (None, None)
