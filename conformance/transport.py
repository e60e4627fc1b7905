"""Generated cases at the transport level: hand-made and malformed credentials in every place
a token can go (JWTs wrong in one way each, empty or repeated credentials, duplicate cookies,
oversized headers), odd paths and methods, and CORS."""

from __future__ import annotations

from conformance.cases import Case


def token_cases() -> list[Case]:
    """Hand-made and malformed credentials on /users/me, in every place a token can go."""
    cases: list[Case] = []
    jwts = (
        "valid",
        "wrong_secret",
        "expired",
        "nbf_future",
        "no_exp",
        "foreign_iss",
        "alg_none",
        "unknown_user",
        "admin_claims",
    )
    for kind in jwts:
        token = f"<<jwt_{kind}>>"
        cases += [
            Case(
                f"JWT {kind} header",
                "GET",
                "/users/me?fields=email",
                headers=(("Authorization", f"Bearer {token}"),),
            ),
            Case(
                f"JWT {kind} query",
                "GET",
                "/users/me?fields=email",
                query=(("access_token", token),),
            ),
            Case(
                f"JWT {kind} cookie",
                "GET",
                "/users/me?fields=email",
                headers=(("Cookie", f"directus_session_token={token}"),),
            ),
        ]
    me = "/users/me?fields=email"
    bearer = ("Authorization", "Bearer <<token_api>>")
    cases += [
        Case("TOK empty bearer", "GET", me, headers=(("Authorization", "Bearer "),)),
        Case("TOK bearer only", "GET", me, headers=(("Authorization", "Bearer"),)),
        Case("TOK basic scheme", "GET", me, headers=(("Authorization", "Basic YTpi"),)),
        Case(
            "TOK lower-case bearer", "GET", me, headers=(("Authorization", "bearer <<token_api>>"),)
        ),
        Case("TOK garbage", "GET", me, headers=(("Authorization", "Bearer garbage"),)),
        Case(
            "TOK empty bearer + cookie",
            "GET",
            me,
            headers=(
                ("Authorization", "Bearer "),
                ("Cookie", "directus_session_token=<<session_api>>"),
            ),
        ),
        Case(
            "TOK duplicate cookies",
            "GET",
            me,
            headers=(
                (
                    "Cookie",
                    "directus_session_token=<<session_api>>; "
                    "directus_session_token=<<session_app>>",
                ),
            ),
        ),
        Case(
            "TOK duplicate cookie headers",
            "GET",
            me,
            headers=(
                ("Cookie", "directus_session_token=<<session_app>>"),
                ("Cookie", "directus_session_token=<<session_api>>"),
            ),
        ),
        Case(
            "TOK header and query differ",
            "GET",
            me,
            headers=(bearer,),
            query=(("access_token", "<<token_app>>"),),
        ),
        Case(
            "TOK repeated access_token",
            "GET",
            me,
            query=(("access_token", "<<token_api>>"), ("access_token", "<<token_app>>")),
        ),
        Case("TOK empty access_token", "GET", me, query=(("access_token", ""),)),
        Case(
            "TOK refresh token as bearer",
            "GET",
            me,
            headers=(("Authorization", "Bearer <<refresh_api>>"),),
        ),
        Case(
            "TOK session token as bearer",
            "GET",
            me,
            headers=(("Authorization", "Bearer <<session_api>>"),),
        ),
        Case(
            "TOK access token as session cookie",
            "GET",
            me,
            headers=(("Cookie", "directus_session_token=<<token_api>>"),),
        ),
        Case("TOK 40KB header", "GET", me, headers=(bearer, ("X-Padding", "a" * 40_000))),
        Case("TOK 10KB header", "GET", me, headers=(bearer, ("X-Padding", "a" * 10_000))),
    ]
    return cases


def path_cases() -> list[Case]:
    bearer = (("Authorization", "Bearer <<token_api>>"),)
    origin = ("Origin", "http://example.com")
    paths = [
        "/AUTH/LOGIN",
        "/Users/me",
        "/%75sers/me",
        "/users/me/",
        "//users/me",
        "/users/me?",
        "/users/me?fields=",
        "/users/me?fields[]=email",
        "/users/me?fields=email&fields=id",
        "/users/me?fields=email,nope",
        "/users?limit=-2&fields=email&sort=email",
        "/users?limit=abc",
        "/users?filter={bad",
        "/users?sort=nope",
        "/users?filter[email][_bogus]=1",
        "/users?offset=-1&fields=email&sort=email",
        "/users/register/verify-email?token=a&token=b",
        "/users/register/verify-email",
        "/server/ping?x=1",
        "/auth/login/nope",
        "/auth/login/default",
    ]
    cases = [Case(f"PATH GET {p}", "GET", p, headers=bearer) for p in paths]
    cases += [
        Case(
            "PATH POST /AUTH/LOGIN",
            "POST",
            "/AUTH/LOGIN",
            json={"email": "nobody@example.com", "password": "x"},
        ),
        Case(
            "CORS preflight login",
            "OPTIONS",
            "/auth/login",
            headers=(
                origin,
                ("Access-Control-Request-Method", "POST"),
                ("Access-Control-Request-Headers", "content-type,authorization"),
            ),
        ),
        Case(
            "CORS preflight users me",
            "OPTIONS",
            "/users/me",
            headers=(origin, ("Access-Control-Request-Method", "PATCH")),
        ),
        Case("CORS simple GET", "GET", "/users/me?fields=email", headers=(origin, *bearer)),
        Case("CORS simple error", "GET", "/users/me", headers=(origin,)),
        Case(
            "OPTIONS with body",
            "OPTIONS",
            "/users/me",
            headers=(("Content-Type", "application/json"),),
            raw=b"{}",
        ),
        Case("HEAD ping", "HEAD", "/server/ping"),
        Case("HEAD users me", "HEAD", "/users/me", headers=bearer),
        Case("DELETE ping", "DELETE", "/server/ping"),
        Case("PUT users me", "PUT", "/users/me", headers=bearer, json={"first_name": "api"}),
        Case("GET root", "GET", "/"),
    ]
    return cases


def cases() -> list[Case]:
    return token_cases() + path_cases()
