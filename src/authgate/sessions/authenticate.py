"""From the token of a request to its accountability (Directus ``getAccountabilityForToken``).

A token whose unverified issuer is ``directus`` is a JWT and must verify; anything else is an
API key (``agk_…``, ``apikeys/``) or a static token, looked up by its keyed hash. One unit
of work reads what the database knows (the session row a JWT names, the key's or static
token's user, the role tree and grants).
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection

from authgate.access import enforcement, policy
from authgate.access.model import AccessFacts, Accountability
from authgate.access.repo import load_access_facts, load_token_facts
from authgate.apikeys import model as api_keys
from authgate.apikeys.service import KeyAccess, key_access
from authgate.apikeys.service import touch as touch_key
from authgate.clock import Clock
from authgate.crypto import Keys
from authgate.errors import AuthError, Code
from authgate.requester import RequestOrigin
from authgate.signing.ring import KeyRing
from authgate.storage.db import Database
from authgate.tokens import jwt
from authgate.users import repo as users_repo
from authgate.users.factors import has_second_factor
from authgate.users.model import Status

_ANY_TIME = datetime(1970, 1, 1, tzinfo=UTC)


class Authenticator:
    # Verified signatures, by token: a client sends the same access token with every request
    # until it expires, and checking an HMAC signature costs more than the rest of a request's
    # token work. Only tokens that verified are kept (one that is not valid yet, ``nbf``, or
    # has expired is verified again on every request), and expiry is still checked against the
    # clock on every request, in whole seconds as ``jwt.verify`` does. The cache is emptied
    # whenever the signing keys change (a key retired or replaced verifies nothing more).
    _VERIFIED_SIZE = 8192

    def __init__(self, *, db: Database, clock: Clock, keys: Keys, signing: KeyRing) -> None:
        self.db = db
        self.clock = clock
        self.keys = keys
        self.signing = signing
        # token -> (claims, when the key that signed it retires)
        self._verified: OrderedDict[str, tuple[dict[str, Any], datetime | None]] = OrderedDict()
        self._generation = signing.generation
        # API key id -> when this process last wrote its ``last_used``: of the requests in
        # flight when a key's ``last_used`` turns stale, one writes it, not each (the update's
        # own condition still decides between instances). Bounded as ``_verified`` is.
        self._touched: OrderedDict[str, datetime] = OrderedDict()

    async def _claims(self, token: str, now: datetime) -> dict[str, Any]:
        if self._generation != self.signing.generation:
            self._verified.clear()
            self._generation = self.signing.generation
        cached = self._verified.get(token)
        if cached is None or (cached[1] is not None and now >= cached[1]):
            await self.signing.refresh_for(token, now)
            verified = self.signing.keys.verified(token, now=now)
            self._verified[token] = verified
            if len(self._verified) > self._VERIFIED_SIZE:
                self._verified.popitem(last=False)
            return verified[0]
        claims = cached[0]
        if int(now.timestamp()) >= claims["exp"]:
            del self._verified[token]
            raise AuthError(Code.TOKEN_EXPIRED)
        return claims

    def _claim_touch(self, key: str, now: datetime) -> bool:
        """True when this request is the one (in this process) to record the key's use."""
        last = self._touched.get(key)
        if last is not None and last <= now < last + api_keys.TOUCH_EVERY:
            return False
        self._touched[key] = now
        self._touched.move_to_end(key)
        if len(self._touched) > self._VERIFIED_SIZE:
            self._touched.popitem(last=False)
        return True

    def anonymous(self, source: RequestOrigin) -> Accountability:
        return Accountability(ip=source.ip, user_agent=source.user_agent, origin=source.origin)

    async def authenticate(self, token: str | None, source: RequestOrigin) -> Accountability:
        """Raises ``INVALID_TOKEN``, ``TOKEN_EXPIRED`` or ``INVALID_CREDENTIALS``."""
        base = self.anonymous(source)
        if not self.signing.is_static:
            # every request, with or without a token: whatever verifies a token later in the
            # request (a session cookie, a refresh) sees keys at most REFRESH_INTERVAL old
            await self.signing.refresh_if_due(self.clock.now())
        if not token:
            return base
        now = self.clock.now()
        api_key = None
        if jwt.is_directus_jwt(token):
            claims = jwt.read_access_claims(await self._claims(token, now))
            facts, required = await self.db.read(self._jwt_facts, claims, now)
            user, role, session, share = claims.user, claims.role, claims.session, claims.share
            sid = claims.session or claims.sid
        else:
            token_hash = self.keys.hash_token(token)
            key = None
            if api_keys.is_key(token):  # an API key, else (not found) a static token
                key = await self.db.read(self._key_facts, token_hash, now)
            if key is not None:
                access, required = key
                user, role, facts, api_key = access.user, access.role, access.facts, access.key
                if access.stale and self._claim_touch(access.key, now):
                    await self.db.write(touch_key, access.key, now)
            else:
                found = await self.db.read(self._static_facts, token_hash)
                user, role, facts, required = found
            session = share = sid = None
        admin, app = policy.global_flags(facts, source.ip)
        return replace(
            base,
            user=user,
            role=role,
            roles=facts.roles,
            admin=admin,
            app=app,
            session=session,
            sid=sid,
            share=share,
            policies=policy.applicable_policies(facts, source.ip),
            epoch=facts.epoch,
            tfa_setup_required=required,
            api_key=api_key,
        )

    def _jwt_facts(
        self, conn: Connection, claims: jwt.AccessClaims, now: datetime
    ) -> tuple[AccessFacts, bool]:
        """The facts of a token, read with what may have revoked it since it was issued
        (decision 16): its user must still be active with the role it names, and the session
        it names must still stand. Nothing is cached per process, so a revocation counts on
        every instance and worker from its commit on."""
        if claims.session is not None and (claims.user is None or claims.share is not None):
            raise AuthError(Code.INVALID_CREDENTIALS)  # share sessions are out of scope
        if claims.user is None:
            return load_access_facts(conn, user=None, role=claims.role), False
        # A session-mode token lives while its session does (Directus); a json or cookie
        # token while its session row exists, tombstone or not: a refresh does not end the
        # access token it replaces, a logout or a revocation of the chain does.
        key = claims.session or claims.sid
        live_after = now if claims.session is not None else _ANY_TIME
        facts, state = load_token_facts(
            conn, user=claims.user, role=claims.role, session=key, live_after=live_after
        )
        if state.user_status != Status.ACTIVE.value or (
            key is not None and not state.session_stands
        ):
            raise AuthError(Code.INVALID_CREDENTIALS)
        if state.user_role != claims.role:
            # Issued under another role: a refresh issues one with the current role.
            raise AuthError(Code.TOKEN_EXPIRED)
        # A session whose SSO provider asserted multi-factor (and is trusted to) is exempt.
        return facts, not state.session_mfa and _setup_required(conn, claims.user, facts)

    def _key_facts(
        self, conn: Connection, token_hash: str, now: datetime
    ) -> tuple[KeyAccess, bool] | None:
        """An API key's access, and whether two-factor enforcement holds it back: decided
        on the user's own policies, not the key's limit (a key limited to a policy that does
        not enforce two-factor must not escape the one that does)."""
        access = key_access(conn, token_hash, now)
        if access is None:
            return None
        return access, _setup_required(conn, access.user, access.user_facts)

    def _static_facts(
        self, conn: Connection, token_hash: str
    ) -> tuple[str, str | None, AccessFacts, bool]:
        found = users_repo.find_active_by_token_hash(conn, token_hash)
        if found is None:
            raise AuthError(Code.INVALID_CREDENTIALS)
        user, role = found
        facts = load_access_facts(conn, user=user, role=role)
        return user, role, facts, _setup_required(conn, user, facts)


def _setup_required(conn: Connection, user: str, facts: AccessFacts) -> bool:
    """Two-factor enforced and not set up (``access/enforcement.py``); the factor is looked
    up only for a user a policy enforces it on."""
    return enforcement.enforced(facts) and not has_second_factor(conn, user)
