"""A person's browser between authgate (in process) and the SAML IdP, for the SAML tests; and
small helpers to take a real response apart."""

from __future__ import annotations

import base64
import dataclasses
import html.parser
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx2 as httpx
import pytest
from lxml import etree
from tests.sso.conftest import APP_ORIGIN, SsoApp

NS = {
    "samlp": "urn:oasis:names:tc:SAML:2.0:protocol",
    "saml": "urn:oasis:names:tc:SAML:2.0:assertion",
    "md": "urn:oasis:names:tc:SAML:2.0:metadata",
    "ds": "http://www.w3.org/2000/09/xmldsig#",
}


class _Forms(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict[str, Any]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "form":
            self.forms.append({"action": values.get("action", ""), "fields": {}})
        elif tag == "input" and self.forms and values.get("name"):
            self.forms[-1]["fields"][values["name"]] = values.get("value", "")


def _form(page: httpx.Response) -> dict[str, Any] | None:
    parser = _Forms()
    parser.feed(page.text)
    return parser.forms[0] if parser.forms else None


@dataclasses.dataclass
class Posted:
    """The form the IdP makes the browser post to authgate's ACS."""

    action: str
    fields: dict[str, str]
    # authgate's cookies in the browser that started the login (the request binding)
    cookies: dict[str, str] = dataclasses.field(default_factory=dict)

    @property
    def xml(self) -> bytes:
        return base64.b64decode(self.fields["SAMLResponse"])

    @property
    def cookie_header(self) -> dict[str, str]:
        if not self.cookies:
            return {}
        return {"Cookie": "; ".join(f"{name}={value}" for name, value in self.cookies.items())}

    def with_xml(self, document: bytes) -> Posted:
        fields = {**self.fields, "SAMLResponse": base64.b64encode(document).decode()}
        return dataclasses.replace(self, fields=fields)


class Person:
    """A browser at the IdP (its own cookies: its own IdP session)."""

    def __init__(self, app: SsoApp, login: str, password: str) -> None:
        self.app = app
        self.login = login
        self.password = password
        self.web = httpx.Client(timeout=15.0, follow_redirects=True)

    def close(self) -> None:
        self.web.close()

    def to_idp(self, url: str) -> Posted:
        """From an IdP URL to the auto-submitted form back to authgate (signing in if asked)."""
        page = self.web.get(url)
        for _ in range(5):
            assert page.status_code == 200, page.text[-2000:]
            form = _form(page)
            assert form is not None, page.text[-2000:]
            fields: dict[str, str] = form["fields"]
            if "SAMLResponse" in fields:
                return Posted(form["action"], fields)
            assert "username" in fields, page.text[-2000:]
            fields.update(username=self.login, password=self.password)
            action = (
                str(page.url).split("?", 1)[0] if form["action"] in ("", "?") else form["action"]
            )
            page = self.web.post(str(page.url.join(action)), data=fields)
        pytest.fail("the IdP did not answer with a response form")

    def back_to_app(self, url: str) -> str:
        """Follow the IdP's redirects from ``url`` until one leads back to authgate."""
        for _ in range(10):
            response = self.web.get(url, follow_redirects=False)
            assert response.is_redirect, response.text[-2000:]
            url = str(response.url.join(response.headers["location"]))
            if url.startswith(APP_ORIGIN):
                return url
        pytest.fail("the IdP did not send the browser back")

    def start(self, provider: str, **query: str) -> Posted:
        """From authgate's start to the IdP's form; the browser keeps the cookies authgate set."""
        self.app.client.cookies.clear()
        response = self.app.client.get(f"/auth/login/{provider}", params=query)
        assert response.status_code == 302, response.text
        cookies = dict(response.cookies)
        self.app.client.cookies.clear()
        return dataclasses.replace(self.to_idp(response.headers["location"]), cookies=cookies)

    def post(self, posted: Posted) -> httpx.Response:
        """The IdP's form, posted to authgate with the cookies of the browser that started."""
        assert posted.action.startswith(APP_ORIGIN), posted.action
        self.app.client.cookies.clear()
        return self.app.client.post(
            posted.action.removeprefix(APP_ORIGIN), data=posted.fields, headers=posted.cookie_header
        )


def assertion_of(document: bytes) -> tuple[etree._Element, etree._Element]:
    root = etree.fromstring(document)
    assertion = root.find("saml:Assertion", NS)
    assert assertion is not None
    return root, assertion


def attribute_value(assertion: etree._Element, name: str) -> etree._Element:
    for attribute in assertion.iterfind("saml:AttributeStatement/saml:Attribute", NS):
        if attribute.get("Name") == name:
            value = attribute.find("saml:AttributeValue", NS)
            assert value is not None
            return value
    raise AssertionError(name)


class Later:
    """The wall clock, ``by`` ahead."""

    def __init__(self, by: timedelta) -> None:
        self.by = by

    def now(self) -> datetime:
        return datetime.now(UTC) + self.by

    def monotonic(self) -> float:
        return time.monotonic()
