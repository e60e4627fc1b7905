"""The conformance harness's normaliser, differ and documented-differences matcher
(conformance/): what legitimately differs is hidden, everything else is reported."""

from __future__ import annotations

from pathlib import Path

import pytest
from conformance.client import Response
from conformance.diff import Difference, compare
from conformance.documented import Documented, explain, load
from conformance.normalise import Context, normalise

OURS = Context("http://127.0.0.1:1111", {"11111111-1111-4111-8111-111111111111": "<user:api>"})
THEIRS = Context("http://127.0.0.1:2222", {"22222222-2222-4222-8222-222222222222": "<user:api>"})
JSON = ("content-type", "application/json; charset=utf-8")


def answer(body: bytes, *headers: tuple[str, str], status: int = 200) -> Response:
    return Response(status, [JSON, *headers], body)


def diff(a: Response, b: Response, cors: bool = True) -> list[Difference]:
    return compare("case", normalise(a, OURS, cors), normalise(b, THEIRS, cors))


def test_generated_values_and_addresses_are_normalised() -> None:
    a = answer(
        b'{"data":{"id":"11111111-1111-4111-8111-111111111111","other":"0a0b0c0d-0000-4000-8000-000000000001",'
        b'"url":"http://127.0.0.1:1111/admin","access_token":"eyJa.eyJb.c","refresh_token":"abc",'
        b'"last_access":"2026-11-28T05:18:48.000Z","expires":900000}}',
        ("x-powered-by", "authgate"),
    )
    b = answer(
        b'{"data":{"id":"22222222-2222-4222-8222-222222222222","other":"ffffffff-0000-4000-8000-000000000009",'
        b'"url":"http://127.0.0.1:2222/admin","access_token":"eyJx.eyJy.z","refresh_token":"zyx",'
        b'"last_access":"2026-12-01 10:00:00","expires":900000}}',
        ("x-powered-by", "Directus"),
        ("etag", 'W/"1"'),
    )
    assert diff(a, b) == []


def test_status_values_and_missing_keys_are_reported() -> None:
    a = answer(b'{"data":{"id":"11111111-1111-4111-8111-111111111111"}}', status=200)
    b = answer(
        b'{"data":{"id":"22222222-2222-4222-8222-222222222222","email":"a@example.com"}}',
        status=201,
    )
    found = {(d.aspect, d.authgate, d.directus) for d in diff(a, b)}
    assert found == {("status", "200", "201"), ("body.data.email", "<absent>", '"a@example.com"')}


def test_the_wrong_user_is_not_hidden_by_the_id_placeholders() -> None:
    a = answer(b'{"data":{"id":"33333333-3333-4333-8333-333333333333"}}')
    b = answer(b'{"data":{"id":"22222222-2222-4222-8222-222222222222"}}')
    assert [d.aspect for d in diff(a, b)] == ["body.data.id"]


def test_cookie_attributes_are_compared_but_not_values_or_dates() -> None:
    a = answer(
        b"",
        (
            "set-cookie",
            "directus_session_token=abc; Max-Age=0; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; SameSite=Lax",
        ),
    )
    b = answer(
        b"",
        (
            "set-cookie",
            "directus_session_token=; Max-Age=86400; Path=/; Expires=Sun, 06 Dec 2026 10:00:00 GMT; HttpOnly; SameSite=Lax",
        ),
    )
    found = {d.aspect: (d.authgate, d.directus) for d in diff(a, b)}
    assert found == {
        "cookie:directus_session_token.value": ('"<value>"', '""'),
        "cookie:directus_session_token.max-age": ('"0"', '"86400"'),
        "cookie:directus_session_token.expires": ('"<epoch>"', '"<date>"'),
    }


def test_headers_clients_read_are_compared_cors_only_when_origin_was_sent() -> None:
    a = answer(b"{}", ("cache-control", "no-cache"))
    b = answer(b"{}", ("access-control-allow-credentials", "true"))
    assert [d.aspect for d in diff(a, b, cors=False)] == ["header:cache-control"]
    assert [d.aspect for d in diff(a, b, cors=True)] == [
        "header:access-control-allow-credentials",
        "header:cache-control",
    ]
    c = Response(200, [("content-type", "text/plain")], b"{}")
    assert "header:content-type" in [d.aspect for d in diff(a, c, cors=False)]


def test_lists_of_generated_ids_are_compared_as_sets_other_lists_in_order() -> None:
    ids = (
        b'{"data":["11111111-1111-4111-8111-111111111111","0a0b0c0d-0000-4000-8000-000000000001"]}'
    )
    rev = (
        b'{"data":["0a0b0c0d-0000-4000-8000-000000000001","22222222-2222-4222-8222-222222222222"]}'
    )
    assert diff(answer(ids), answer(rev)) == []
    assert len(diff(answer(b'{"data":["a","b"]}'), answer(b'{"data":["b","a"]}'))) == 2


def test_documented_entries_match_case_aspect_and_values(tmp_path: Path) -> None:
    path = tmp_path / "d.toml"
    path.write_text(
        '[[difference]]\nitem = 11\ncase = "FLOW *"\naspect = "cookie:*.max-age"\n'
        'authgate = \'"0"\'\nwhy = "x"\n'
        '[[difference]]\nitem = 23\naspect = "body.errors*.message"\n'
        'same_after = [["\'", \'\\"\']]\nwhy = "quotes"\n'
    )
    entries = load(path)
    cleared = Difference("FLOW x", "cookie:a.max-age", '"0"', '"86400"')
    assert explain(cleared, entries) == entries[0]
    assert explain(Difference("GET x", "cookie:a.max-age", '"0"', '"1"'), entries) is None
    assert explain(Difference("FLOW x", "cookie:a.max-age", '"5"', '"1"'), entries) is None
    quoted = Difference("G", "body.errors[0].message", "\"field 'x'\"", '"field \\"x\\""')
    assert explain(quoted, entries) == entries[1]
    other = Difference("G", "body.errors[0].message", "\"field 'y'\"", '"field \\"x\\""')
    assert explain(other, entries) is None


def test_every_documented_entry_names_a_readme_item() -> None:
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    section = readme.split("## Differences from Directus", 1)[1].split("\n## ", 1)[0]
    numbers = {int(line.split(".", 1)[0]) for line in section.splitlines() if line[:1].isdigit()}
    entries = load()
    assert entries
    assert all(isinstance(e, Documented) and e.item in numbers for e in entries)


def test_a_subtree_only_one_server_has_is_one_difference() -> None:
    a = answer(b'{"data":{"id":1,"license":{"source":null,"entitlements":{"a":true,"b":false}}}}')
    b = answer(b'{"data":{"id":1}}')
    found = [(d.aspect, d.directus) for d in diff(a, b)]
    assert found == [("body.data.license", "<absent>")]


def test_unordered_rows_are_matched_by_identity_not_position() -> None:
    ours = b'{"data":[{"collection":"a","field":"x","type":"string"},{"collection":"b","field":"y","type":"uuid"}]}'
    theirs = b'{"data":[{"collection":"b","field":"y","type":"string"},{"collection":"a","field":"x","type":"string"},{"collection":"c","field":"z","type":"json"}]}'
    found = compare(
        "case",
        normalise(answer(ours), OURS, unordered=True),
        normalise(answer(theirs), THEIRS, unordered=True),
    )
    assert [(d.aspect, d.authgate, d.directus) for d in found] == [
        ("body.data.<b/y>.type", '"uuid"', '"string"'),
        ("body.data.<c/z>", "<absent>", '{"collection": "c", "field": "z", "type": "json"}'),
    ]


def test_health_status_ok_or_warn_by_timing_is_not_a_difference_but_error_is() -> None:
    from conformance.normalise import Context, norm_json

    ctx = Context("http://127.0.0.1:1")

    def health(status: str, check: str) -> object:
        return norm_json(
            {
                "status": status,
                "checks": {
                    "db:responseTime": [{"status": check, "observedUnit": "ms", "observedValue": 3}]
                },
            },
            ctx,
        )

    assert health("ok", "ok") == health("warn", "warn")
    assert health("ok", "ok") != health("error", "error")


def test_the_reference_processes_keep_the_machines_certificate_authorities(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """setup.sh's npm fails with SELF_SIGNED_CERT_IN_CHAIN behind a TLS-inspecting proxy when
    the extra authorities are stripped from its environment (seen on a fresh machine)."""
    from bench.process import base_env as bench_env
    from conformance.servers import base_env

    monkeypatch.setenv("NODE_EXTRA_CA_CERTS", "/etc/ssl/certs/ca-certificates.crt")
    monkeypatch.setenv("AUTHGATE_SECRET_OF_THE_CALLER", "not passed")
    for env in (base_env(), bench_env()):
        assert env["NODE_EXTRA_CA_CERTS"] == "/etc/ssl/certs/ca-certificates.crt"
        assert "AUTHGATE_SECRET_OF_THE_CALLER" not in env
