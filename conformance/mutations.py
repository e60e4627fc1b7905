"""Generated cases: every field of every public body, mutated one way at a time, and the
transport-level mutations (encodings, charsets, headers, paths, hand-made tokens).

Deterministic: the only "random" choices come from a seeded SHA-256 stream, so a run is
reproducible and both servers get byte-identical requests.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from typing import Any

from conformance import transport
from conformance.cases import Case

SEED = "authgate-conformance-1"
MISSING = object()


def stream(label: str, count: int) -> list[int]:
    """``count`` deterministic bytes for ``label``."""
    out: list[int] = []
    block = 0
    while len(out) < count:
        out += hashlib.sha256(f"{SEED}:{label}:{block}".encode()).digest()
        block += 1
    return out[:count]


def unicode_text(label: str) -> str:
    alphabet = "aé€𝄞中\u202eß Ωz"
    return "".join(alphabet[b % len(alphabet)] for b in stream(label, 24))


def variants(label: str) -> list[tuple[str, Any]]:
    return [
        ("missing", MISSING),
        ("null", None),
        ("int", 1 + stream(label, 1)[0]),
        ("bool", True),
        ("list", ["a"]),
        ("object", {"a": 1}),
        ("empty", ""),
        ("spaces", "   "),
        ("huge", "x" * 20000),
        ("unicode", unicode_text(label)),
    ]


# endpoint label -> (method, path, actor, base body, fields to mutate). Login bodies use an
# address nobody has (or the victim's, with too few failures to lock it: < 25 in all).
ENDPOINTS: dict[str, tuple[str, str, str, dict[str, Any], tuple[str, ...]]] = {
    "login": (
        "POST",
        "/auth/login",
        "anon",
        {"email": "nobody@example.com", "password": "Wrong-Passw0rd!", "mode": "json"},
        ("email", "password", "mode", "otp"),
    ),
    "login victim": (
        "POST",
        "/auth/login",
        "anon",
        {"email": "<<email_victim>>", "password": "Wrong-Passw0rd!"},
        ("password",),
    ),
    "refresh": (
        "POST",
        "/auth/refresh",
        "anon",
        {"refresh_token": "bogus", "mode": "json"},
        ("refresh_token", "mode"),
    ),
    "logout": (
        "POST",
        "/auth/logout",
        "anon",
        {"refresh_token": "bogus", "mode": "json"},
        ("refresh_token", "mode"),
    ),
    "password request": (
        "POST",
        "/auth/password/request",
        "anon",
        {"email": "nobody@example.com", "reset_url": "http://example.com/reset-password"},
        ("email", "reset_url"),
    ),
    "password reset": (
        "POST",
        "/auth/password/reset",
        "anon",
        {"token": "bogus", "password": "New-Passw0rd!"},
        ("token", "password"),
    ),
    "register": (
        "POST",
        "/users/register",
        "anon",
        {"email": "conformance-new@example.invalid", "password": "x"},
        ("email", "password", "verification_url", "first_name"),
    ),
    "invite": (
        "POST",
        "/users/invite",
        "admin",
        {"email": "bad", "role": "<<role_api>>"},
        ("email", "role", "invite_url"),
    ),
    "invite accept": (
        "POST",
        "/users/invite/accept",
        "anon",
        {"token": "bogus", "password": "New-Passw0rd!"},
        ("token", "password"),
    ),
    "patch me": (
        "PATCH",
        "/users/me",
        "api",
        {"first_name": "api"},
        ("first_name", "language", "appearance", "token"),
    ),
    "graphql": (
        "POST",
        "/graphql/system",
        "api",
        {"query": "{ server_ping }"},
        ("query", "variables", "operationName"),
    ),
    "tfa generate": ("POST", "/users/me/tfa/generate", "api", {"password": "bogus"}, ("password",)),
}
# Values that would change state for real if accepted; only refusals are generated for them.
SKIP = {("register", "email", "unicode"), ("patch me", "token", "huge")}


def field_cases() -> list[Case]:
    cases: list[Case] = []
    victim_failures = 0
    for label, (method, path, actor, body, fields) in ENDPOINTS.items():
        cases.append(Case(f"MUT {label} base", method, path, actor, json=body))
        cases.append(Case(f"MUT {label} extra key", method, path, actor, json=body | {"extra": 1}))
        cases.append(Case(f"MUT {label} empty object", method, path, actor, json={}))
        cases.append(Case(f"MUT {label} array body", method, path, actor, json=[body]))
        for field in fields:
            for name, value in variants(f"{label}/{field}"):
                if (label, field, name) in SKIP:
                    continue
                if label == "login victim":
                    victim_failures += 1
                mutated = {k: v for k, v in body.items() if k != field}
                if value is not MISSING:
                    mutated[field] = value
                cases.append(Case(f"MUT {label} {field}={name}", method, path, actor, json=mutated))
        if method == "PATCH":  # put the user back as it was for what follows
            cases.append(
                Case(
                    f"MUT {label} restore",
                    method,
                    path,
                    actor,
                    json=body | {"language": None, "appearance": None, "token": None},
                )
            )
    assert victim_failures < 20, "would lock the victim out"
    return cases


LOGIN = json.dumps({"email": "nobody@example.com", "password": "Wrong-Passw0rd!"}).encode()
PING_QUERY = json.dumps({"query": "{ server_ping }"}).encode()


def _nested(depth: int) -> bytes:
    return (
        b'{"query":"{ server_ping }","variables":' + b'{"a":' * depth + b"1" + b"}" * depth + b"}"
    )


def body_cases() -> list[Case]:
    ct = ("Content-Type", "application/json")
    raw: list[tuple[str, tuple[tuple[str, str], ...], bytes]] = [
        ("invalid utf-8", (ct,), b'{"email":"\xff\xfe@example.com","password":"x"}'),
        ("bom", (ct,), b"\xef\xbb\xbf" + LOGIN),
        ("charset latin1", (("Content-Type", "application/json; charset=latin1"),), LOGIN),
        ("charset utf-16", (("Content-Type", "application/json; charset=utf-16"),), LOGIN),
        ("gzip", (ct, ("Content-Encoding", "gzip")), gzip.compress(LOGIN, mtime=0)),
        ("unknown encoding", (ct, ("Content-Encoding", "bogus")), LOGIN),
        ("identity encoding", (ct, ("Content-Encoding", "identity")), LOGIN),
        ("text/plain", (("Content-Type", "text/plain"),), LOGIN),
        ("vnd+json", (("Content-Type", "application/vnd.api+json"),), LOGIN),
        ("no content-type", (), LOGIN),
        (
            "form",
            (("Content-Type", "application/x-www-form-urlencoded"),),
            b"email=nobody%40example.com&password=x",
        ),
        ("empty body", (ct,), b""),
        ("malformed json", (ct,), b'{"email": '),
        ("json null", (ct,), b"null"),
        ("json string", (ct,), b'"x"'),
        ("1e999", (ct,), b'{"email":"nobody@example.com","password":"x","otp":1e999}'),
        (
            "duplicate keys",
            (ct,),
            b'{"email":"a@example.com","email":"nobody@example.com","password":"x"}',
        ),
        (
            "huge body",
            (ct,),
            b'{"email":"nobody@example.com","password":"' + b"x" * 1_100_000 + b'"}',
        ),
        (
            "long local part",
            (ct,),
            json.dumps({"email": "a" * 65 + "@example.com", "password": "x"}).encode(),
        ),
        ("nul in email", (ct,), b'{"email":"nobody\\u0000@example.com","password":"x"}'),
    ]
    raw.append(("deeply nested", (ct,), b'{"email":' + b'{"a":' * 2000 + b"1" + b"}" * 2001))
    raw.append(("deeply nested array", (ct,), b"[" * 5000 + b"]" * 5000))
    cases = [
        Case(f"RAW login {name}", "POST", "/auth/login", headers=h, raw=b) for name, h, b in raw
    ]
    for depth in (64, 2000):
        cases.append(
            Case(
                f"RAW graphql nested {depth}",
                "POST",
                "/graphql/system",
                "api",
                headers=(ct,),
                raw=_nested(depth),
            )
        )
    cases.append(
        Case("RAW graphql non-string query", "POST", "/graphql/system", "api", json={"query": 1})
    )
    cases.append(
        Case("RAW graphql over PUT", "PUT", "/graphql/system", "api", headers=(ct,), raw=PING_QUERY)
    )
    cases.append(
        Case(
            "RAW graphql bom",
            "POST",
            "/graphql/system",
            "api",
            headers=(ct,),
            raw=b"\xef\xbb\xbf" + PING_QUERY,
        )
    )
    cases.append(
        Case(
            "RAW patch me gzip",
            "PATCH",
            "/users/me",
            "api",
            headers=(ct, ("Content-Encoding", "gzip")),
            raw=gzip.compress(b'{"first_name":"api"}', mtime=0),
        )
    )
    return cases


def cases() -> list[Case]:
    return field_cases() + body_cases() + transport.cases()
