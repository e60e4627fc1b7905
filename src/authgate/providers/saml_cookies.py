"""The cookies a SAML provider leaves in the browser, each sealed (AES-256-GCM under a key
derived from ``SECRET``, bound to the provider and to its purpose), so any instance opens them
and nobody else can read or forge them:

* ``saml.<name>``: the id of the ``AuthnRequest`` this browser started. The ACS accepts a
  response only with it, so a response obtained by someone else cannot be posted from a
  victim's browser (login CSRF). The IdP posts cross-site and a ``Lax`` cookie would not come
  back: over HTTPS it is ``SameSite=None; Secure``, over plain HTTP the browser's default
  applies (browsers that default to ``Lax`` send it on that POST for two minutes).
* ``saml.<name>.session``: who the SAML session of this browser is (user id, and the NameID the
  IdP gave it, which may be transient and so unknown to the user row), as long-lived as the
  session cookie; it names the subject of an SP-initiated ``LogoutRequest`` and is what an
  IdP-initiated one must match.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from authgate import crypto
from authgate.config.settings import Settings
from authgate.crypto import Keys
from authgate.providers.base import Cookie
from authgate.providers.saml_protocol import Assertion, Rejected

_REQUEST = "saml-binding"
_SESSION = "saml-session"
_MAX_VALUE = 4096


@dataclass(frozen=True)
class SignedInAs:
    user_id: str
    name_id: str | None
    name_id_format: str | None


class SamlCookies:
    def __init__(self, keys: Keys, settings: Settings, provider: str) -> None:
        self.keys = keys
        self.settings = settings
        self.provider = provider
        self.request_name = f"saml.{provider}"
        self.session_name = f"saml.{provider}.session"

    def _seal(self, value: str, purpose: str) -> str:
        sealed = self.keys.encrypt(value, context=f"{purpose}/{self.provider}")
        return sealed.removeprefix("enc1.").rstrip("=")

    def _open(self, value: str | None, purpose: str) -> str | None:
        if not value or len(value) > _MAX_VALUE:
            return None
        stored = "enc1." + value + "=" * (-len(value) % 4)
        return self.keys.decrypt(stored, context=f"{purpose}/{self.provider}")

    # ---------------------------------------------------------------- the request's browser

    def request(self, request_id: str, *, secure: bool) -> Cookie:
        """The cookie that binds ``request_id`` to this browser (``secure``: HTTPS)."""
        return self._request_cookie(self._seal(request_id, _REQUEST), secure)

    def request_cleared(self, *, secure: bool) -> Cookie:
        return self._request_cookie("", secure)

    def _request_cookie(self, value: str, secure: bool) -> Cookie:
        return Cookie(self.request_name, value, secure=secure, same_site="none" if secure else None)

    def check_request(self, cookies: Mapping[str, str], in_response_to: str) -> None:
        """
        Raises:
            Rejected: the response answers a request this browser did not start.
        """
        bound = self._open(cookies.get(self.request_name), _REQUEST)
        if bound is None or not crypto.equal(bound, in_response_to):
            raise Rejected("the response answers a request started in another browser")

    # ------------------------------------------------------------ the session's SAML subject

    def session(
        self, user_id: str, assertion: Assertion, mode: Literal["session", "cookie"]
    ) -> Cookie:
        """The record of who signed in, as long-lived as the session (or refresh) cookie;
        its domain and ``Secure`` are the session cookie's, as when it is cleared."""
        lasts = self.settings.session_cookie if mode == "session" else self.settings.refresh_cookie
        record = json.dumps(
            {"u": user_id, "n": assertion.name_id, "f": assertion.name_id_format},
            separators=(",", ":"),
        )
        return Cookie(
            self.session_name,
            self._seal(record, _SESSION),
            secure=self.settings.session_cookie.secure,
            max_age=lasts.max_age,
            domain=self.settings.session_cookie.domain,
        )

    def signed_in_as(self, cookies: Mapping[str, str]) -> SignedInAs | None:
        opened = self._open(cookies.get(self.session_name), _SESSION)
        if opened is None:
            return None
        try:
            record = json.loads(opened)
            return SignedInAs(str(record["u"]), record.get("n"), record.get("f"))
        except (ValueError, TypeError, KeyError):
            return None

    def to_clear(self) -> tuple[Cookie, ...]:
        """The session and refresh cookies and the session's record, for a logout."""
        session, refresh = self.settings.session_cookie, self.settings.refresh_cookie
        return (
            *(
                Cookie(config.name, "", secure=config.secure, domain=config.domain)
                for config in (session, refresh)
            ),
            Cookie(self.session_name, "", secure=session.secure, domain=session.domain),
        )
