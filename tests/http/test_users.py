"""/users and /users/me: reads, writes, concealed secrets, session side effects."""

from __future__ import annotations

from tests.conftest import ADMIN_EMAIL, PASSWORD, Harness, unique_email

USER_FIELDS = [
    "id",
    "first_name",
    "last_name",
    "email",
    "password",
    "location",
    "title",
    "description",
    "tags",
    "avatar",
    "language",
    "tfa_secret",
    "status",
    "role",
    "token",
    "last_access",
    "last_page",
    "provider",
    "external_identifier",
    "auth_data",
    "email_notifications",
    "appearance",
    "theme_dark",
    "theme_light",
    "theme_light_overrides",
    "theme_dark_overrides",
    "text_direction",
    "policies",
]


def test_admin_reads_every_field_in_directus_order(harness: Harness) -> None:
    response = harness.client.get("/users/me", headers=harness.admin)

    data = response.json()["data"]
    assert list(data) == USER_FIELDS
    assert data["email"] == ADMIN_EMAIL
    assert data["password"] == "**********"
    assert data["token"] == "**********"
    assert data["tfa_secret"] is None
    assert data["policies"] == []


def test_fields_selects(harness: Harness) -> None:
    response = harness.client.get("/users/me", params={"fields": "id,email"}, headers=harness.admin)

    assert list(response.json()["data"]) == ["id", "email"]


def test_unknown_fields_are_forbidden_even_to_admins(harness: Harness) -> None:
    listing = harness.client.get(
        "/users", params={"fields": "id,nonexistent"}, headers=harness.admin
    )
    me = harness.client.get("/users/me", params={"fields": "id,nonexistent"}, headers=harness.admin)

    message = (
        'You don\'t have permission to access field "nonexistent" in collection "directus_users" '
        "or it does not exist. Queried in root."
    )
    assert listing.status_code == 403
    assert listing.json()["errors"][0]["message"] == message
    # /users/me degrades to the id instead (as Directus does).
    assert list(me.json()["data"]) == ["id"]


def test_relational_fields_read_through_to_the_role(harness: Harness) -> None:
    response = harness.client.get(
        "/users/me", params={"fields": "email,role.name,role.id"}, headers=harness.admin
    )

    data = response.json()["data"]
    assert data["role"]["name"] == "Administrator"
    assert set(data["role"]) == {"name", "id"}


def test_anonymous_me_is_invalid_credentials(harness: Harness) -> None:
    response = harness.client.get("/users/me")

    assert response.status_code == 401


def test_a_user_without_read_permission_gets_only_their_id(harness: Harness) -> None:
    user = harness.create_user()

    response = harness.client.get("/users/me", headers=harness.bearer(user["email"]))

    assert response.json() == {"data": {"id": user["id"]}}


def test_an_app_user_reads_the_app_minimal_fields_of_themselves(harness: Harness) -> None:
    role = harness.create_role("App users", app=True)
    user = harness.create_user(role=role, first_name="Ada")

    response = harness.client.get("/users/me", headers=harness.bearer(user["email"]))

    data = response.json()["data"]
    assert data["first_name"] == "Ada"
    assert "token" not in data
    assert "auth_data" not in data
    assert (
        harness.client.get(
            f"/users/{harness.create_user()['id']}", headers=harness.bearer(user["email"])
        ).status_code
        == 403
    )


def test_list_with_meta_filter_sort_and_search(harness: Harness) -> None:
    marker = unique_email("listing").split("@")[0]
    for name in ("b", "a", "c"):
        harness.create_user(f"{marker}-{name}@example.com", first_name=name.upper())

    response = harness.client.get(
        "/users",
        params={
            "filter[email][_starts_with]": marker,
            "sort": "-first_name",
            "fields": "first_name",
            "meta": "*",
        },
        headers=harness.admin,
    )

    body = response.json()
    assert body["data"] == [{"first_name": "C"}, {"first_name": "B"}, {"first_name": "A"}]
    assert body["meta"]["filter_count"] == 3
    assert body["meta"]["total_count"] >= 4
    searched = harness.client.get(
        "/users", params={"search": f"{marker}-b", "fields": "first_name"}, headers=harness.admin
    )
    assert searched.json()["data"] == [{"first_name": "B"}]


def test_limit_offset_and_page(harness: Harness) -> None:
    marker = unique_email("paging").split("@")[0]
    for index in range(5):
        harness.create_user(f"{marker}-{index}@example.com", first_name=str(index))
    base = {"filter[email][_starts_with]": marker, "sort": "first_name", "fields": "first_name"}

    page2 = harness.client.get(
        "/users", params={**base, "limit": "2", "page": "2"}, headers=harness.admin
    )
    offset = harness.client.get(
        "/users", params={**base, "limit": "2", "offset": "4"}, headers=harness.admin
    )

    assert [u["first_name"] for u in page2.json()["data"]] == ["2", "3"]
    assert [u["first_name"] for u in offset.json()["data"]] == ["4"]


def test_search_verb_reads_the_query_from_the_body(harness: Harness) -> None:
    response = harness.client.request(
        "SEARCH",
        "/users",
        json={"query": {"filter": {"email": {"_eq": ADMIN_EMAIL}}, "fields": ["email"]}},
        headers=harness.admin,
    )

    assert response.json() == {"data": [{"email": ADMIN_EMAIL}]}


def test_create_returns_the_item_and_hashes_the_password(harness: Harness) -> None:
    email = unique_email()

    user = harness.create_user(email)

    assert user["email"] == email
    assert user["password"] == "**********"
    assert user["status"] == "active"
    stored = harness.sql("SELECT password FROM directus_users WHERE id = :id", id=user["id"])[0][0]
    assert stored.startswith("$argon2id$")
    assert harness.login(email).status_code == 200


def test_create_many_keeps_the_input_order(harness: Harness) -> None:
    emails = [unique_email(), unique_email()]

    response = harness.client.post(
        "/users", json=[{"email": e} for e in emails], headers=harness.admin
    )

    assert [u["email"] for u in response.json()["data"]] == emails


def test_duplicate_email_is_not_unique_case_insensitively(harness: Harness) -> None:
    email = unique_email()
    harness.create_user(email)

    response = harness.client.post("/users", json={"email": email.upper()}, headers=harness.admin)

    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"] == {
        "collection": "directus_users",
        "field": "email",
        "value": f"[{email}]",
        "code": "RECORD_NOT_UNIQUE",
    }


def test_invalid_email_fails_validation(harness: Harness) -> None:
    response = harness.client.post("/users", json={"email": "x"}, headers=harness.admin)

    assert response.status_code == 400
    assert response.json()["errors"][0] == {
        "message": 'Validation failed for field "email". Value has to be a valid email address.',
        "extensions": {"field": "email", "type": "email", "path": [], "code": "FAILED_VALIDATION"},
    }


def test_static_token_is_stored_hashed_and_never_echoed(harness: Harness) -> None:
    user = harness.create_user(token="my-static-token-123")
    duplicate = harness.client.post(
        "/users",
        json={"email": unique_email(), "token": "my-static-token-123"},
        headers=harness.admin,
    )

    me = harness.client.get(
        "/users/me",
        params={"fields": "id"},
        headers={"Authorization": "Bearer my-static-token-123"},
    )

    assert user["token"] == "**********"
    assert me.json() == {"data": {"id": user["id"]}}
    stored = harness.sql("SELECT token FROM directus_users WHERE id = :id", id=user["id"])[0][0]
    assert stored != "my-static-token-123"
    assert len(stored) == 64
    assert duplicate.status_code == 400
    assert "my-static-token-123" not in duplicate.text


def test_tfa_secret_cannot_be_set_directly(harness: Harness) -> None:
    user = harness.create_user()

    response = harness.client.patch(
        f"/users/{user['id']}", json={"tfa_secret": "x"}, headers=harness.admin
    )

    assert response.status_code == 400
    assert (
        response.json()["errors"][0]["message"]
        == 'Invalid payload. You can\'t change the "tfa_secret" value manually.'
    )


def test_suspending_a_user_ends_their_sessions(harness: Harness) -> None:
    user = harness.create_user()
    harness.login(user["email"], mode="session")
    session_jwt = harness.client.cookies["directus_session_token"]

    harness.client.patch(
        f"/users/{user['id']}", json={"status": "suspended"}, headers=harness.admin
    )

    harness.client.cookies.clear()
    assert (
        harness.client.get(
            "/users/me", headers={"Authorization": f"Bearer {session_jwt}"}
        ).status_code
        == 401
    )


def test_a_password_change_keeps_the_session_it_was_made_from(harness: Harness) -> None:
    role = harness.create_role("Self editors", app=True)
    harness.grant(
        role,
        "directus_users",
        "update",
        fields="password,first_name",
        rule={"id": {"_eq": "$CURRENT_USER"}},
    )
    user = harness.create_user(role=role)
    other = harness.tokens(user["email"])["refresh_token"]
    harness.login(user["email"], mode="session")
    mine = harness.client.cookies["directus_session_token"]

    response = harness.client.patch(
        "/users/me",
        json={"password": "An0ther-Passw0rd!"},
        headers={"Authorization": f"Bearer {mine}"},
    )

    assert response.status_code == 200
    harness.client.cookies.clear()
    assert (
        harness.client.get("/users/me", headers={"Authorization": f"Bearer {mine}"}).status_code
        == 200
    )
    assert harness.client.post("/auth/refresh", json={"refresh_token": other}).status_code == 401
    assert harness.login(user["email"], "An0ther-Passw0rd!").status_code == 200


def test_update_me_without_permission_is_forbidden(harness: Harness) -> None:
    user = harness.create_user()

    response = harness.client.patch(
        "/users/me", json={"first_name": "X"}, headers=harness.bearer(user["email"])
    )

    assert response.status_code == 403


def test_update_me_outside_the_permitted_fields_is_forbidden(harness: Harness) -> None:
    role = harness.create_role("Name editors", app=True)
    harness.grant(
        role, "directus_users", "update", fields="first_name", rule={"id": {"_eq": "$CURRENT_USER"}}
    )
    user = harness.create_user(role=role)
    headers = harness.bearer(user["email"])

    allowed = harness.client.patch("/users/me", json={"first_name": "Grace"}, headers=headers)
    refused = harness.client.patch("/users/me", json={"role": None}, headers=headers)

    assert allowed.json()["data"]["first_name"] == "Grace"
    assert refused.status_code == 403


def test_the_last_admin_cannot_be_suspended_or_deleted(harness: Harness) -> None:
    admin_id = harness.client.get("/users/me", headers=harness.admin).json()["data"]["id"]
    others = harness.client.get(
        "/users",
        params={"filter[role][_nnull]": "true", "fields": "id,role"},
        headers=harness.admin,
    ).json()["data"]
    admin_role = next(u["role"] for u in others if u["id"] == admin_id)
    extra_admins = [u["id"] for u in others if u["role"] == admin_role and u["id"] != admin_id]
    if extra_admins:
        harness.client.request("DELETE", "/users", json=extra_admins, headers=harness.admin)

    suspend = harness.client.patch(
        f"/users/{admin_id}", json={"status": "suspended"}, headers=harness.admin
    )
    delete = harness.client.delete(f"/users/{admin_id}", headers=harness.admin)

    for response in (suspend, delete):
        assert response.status_code == 422
        assert response.json()["errors"][0] == {
            "message": "Can't process content. Cannot remove the last admin user from the system.",
            "extensions": {"code": "UNPROCESSABLE_CONTENT"},
        }
    assert harness.client.get("/users/me", headers=harness.admin).status_code == 200


def test_delete_one_and_many(harness: Harness) -> None:
    one, two, three = (harness.create_user()["id"] for _ in range(3))

    assert harness.client.delete(f"/users/{one}", headers=harness.admin).status_code == 204
    assert (
        harness.client.request(
            "DELETE", "/users", json=[two, three], headers=harness.admin
        ).status_code
        == 204
    )
    assert harness.client.get(f"/users/{two}", headers=harness.admin).status_code == 403
    assert harness.client.delete(f"/users/{one}", headers=harness.admin).status_code == 204


def test_batch_update_by_keys_and_by_query(harness: Harness) -> None:
    marker = unique_email("batch").split("@")[0]
    ids = [harness.create_user(f"{marker}-{i}@example.com")["id"] for i in range(2)]

    by_keys = harness.client.patch(
        "/users", json={"keys": ids, "data": {"title": "K"}}, headers=harness.admin
    )
    by_query = harness.client.patch(
        "/users",
        json={"query": {"filter": {"email": {"_starts_with": marker}}}, "data": {"location": "Q"}},
        headers=harness.admin,
    )

    assert {u["title"] for u in by_keys.json()["data"]} == {"K"}
    assert {u["location"] for u in by_query.json()["data"]} == {"Q"}


def test_unknown_and_malformed_ids_are_forbidden(harness: Harness) -> None:
    for key in ("not-a-uuid", "11111111-1111-4111-8111-111111111111"):
        response = harness.client.get(f"/users/{key}", headers=harness.admin)

        assert response.status_code == 403
        assert response.json()["errors"][0] == {
            "message": "You don't have permission to access this.",
            "extensions": {"code": "FORBIDDEN"},
        }


def test_track_page(harness: Harness) -> None:
    user = harness.create_user()
    headers = harness.bearer(user["email"])

    ok = harness.client.patch(
        "/users/me/track/page", json={"last_page": "/content"}, headers=headers
    )
    missing = harness.client.patch("/users/me/track/page", json={}, headers=headers)
    anonymous = harness.client.patch("/users/me/track/page", json={"last_page": "/x"})

    assert ok.status_code == 204
    assert missing.json()["errors"][0]["message"] == 'Invalid payload. "last_page" key is required.'
    assert anonymous.status_code == 401
    read = harness.client.get(
        f"/users/{user['id']}", params={"fields": "last_page"}, headers=harness.admin
    )
    assert read.json()["data"]["last_page"] == "/content"


def test_user_writes_record_activity_with_concealed_revisions(harness: Harness) -> None:
    user = harness.create_user(token="revision-token-abc", password=PASSWORD)

    rows = harness.sql(
        "SELECT r.data FROM directus_revisions r JOIN directus_activity a ON a.id = r.activity "
        "WHERE a.item = :id AND a.action = 'create'",
        id=user["id"],
    )

    text = str(rows)
    assert rows
    assert "revision-token-abc" not in text
    assert "$argon2" not in text
