"""``/admin/...``: where mailed links and verification redirects land.

The account pages themselves (sign-in, reset, invitation, two-factor) are not built yet; until
they are, these routes answer with a small, static page instead of an error, so that a browser
(or a client such as ``@directus/sdk`` that follows the verification redirect) lands somewhere.
"""

from __future__ import annotations

import html

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title></head>
<body><main><h1>{title}</h1><p>{text}</p></main></body></html>
"""


def _page(title: str, text: str) -> Response:
    body = _PAGE.format(title=html.escape(title), text=html.escape(text))
    return HTMLResponse(body, headers={"Cache-Control": "no-store"})


async def admin(request: Request) -> Response:
    path = request.path_params.get("path", "")
    if path.startswith("users/"):
        return _page("Email address verified", "Your account is active. You can sign in now.")
    if path in ("reset-password", "accept-invite"):
        return _page(
            "authgate",
            "Open this link in the application that sent it, or use the API: "
            "POST /auth/password/reset or POST /users/invite/accept with the token.",
        )
    return _page("authgate", "The authentication server is running.")


routes = [
    Route("/admin", admin, methods=["GET"]),
    Route("/admin/{path:path}", admin, methods=["GET"]),
]
