"""What a resolver gets: the services REST uses, the caller, and a place for the cookies the
HTTP answer must set or clear (the GraphQL package never touches a response itself)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal, TypeAlias

from graphql import GraphQLResolveInfo

from authgate.access.model import Accountability
from authgate.clock import Clock
from authgate.config.settings import Settings
from authgate.items.service import ItemsService
from authgate.project.service import ProjectService
from authgate.ratelimit.requests import RequestLimits
from authgate.requester import Client
from authgate.sessions.service import SessionService
from authgate.storage.db import Database
from authgate.users.invites import Invitations
from authgate.users.recovery import PasswordRecovery
from authgate.users.registration import Registration
from authgate.users.service import UserService
from authgate.users.tfa import TwoFactor

CookieKind = Literal["refresh", "session"]
# What a resolver is handed: its ``context`` is the RequestContext below.
Info: TypeAlias = "GraphQLResolveInfo[RequestContext]"


@dataclass(frozen=True)
class ServiceBundle:
    """The services GraphQL's resolvers use, and no others (built in ``app.py``)."""

    settings: Settings
    clock: Clock
    db: Database
    items: ItemsService
    users: UserService
    sessions: SessionService
    recovery: PasswordRecovery
    registration: Registration
    invitations: Invitations
    tfa: TwoFactor
    project: ProjectService
    limits: RequestLimits


@dataclass
class RequestContext:
    services: ServiceBundle
    accountability: Accountability
    client: Client
    cookies: Mapping[str, str]  # the request's cookies
    set_cookies: list[tuple[CookieKind, str]] = field(default_factory=list)
    cleared_cookies: list[CookieKind] = field(default_factory=list)

    def set_cookie(self, kind: CookieKind, value: str) -> None:
        self.set_cookies.append((kind, value))

    def clear_present_cookies(self) -> None:
        """Logout clears each of the two cookies the request carried."""
        settings = self.services.settings
        for kind, config in (
            ("refresh", settings.refresh_cookie),
            ("session", settings.session_cookie),
        ):
            if config.name in self.cookies:
                self.cleared_cookies.append(kind)  # type: ignore[arg-type]
