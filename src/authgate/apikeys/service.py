"""Listing, creating and revoking API keys (``/users/me/keys``, ``/users/:id/keys``), and
the access a key gives (``key_access``, read by ``access/authenticate.py``).

Who may manage whose keys is ``access.targets.target_user``'s rule. A key is limited only
to policies its user has when it is made; the limit is applied again on every request, to
what the user has then (``model.limit_facts``).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection

from authgate.access.model import AccessFacts, Accountability
from authgate.access.repo import load_access_facts
from authgate.access.targets import target_user
from authgate.apikeys import model, repo
from authgate.clock import Clock
from authgate.crypto import Keys
from authgate.errors import forbidden, invalid_payload
from authgate.storage.db import Database
from authgate.users import repo as users_repo
from authgate.users.lock import lock_user
from authgate.users.notices import SecurityNotices
from authgate.uuids import is_uuid


@dataclass(frozen=True)
class KeyAccess:
    """What a request made with a key may do, and whether its ``last_used`` is stale."""

    key: str
    user: str
    role: str | None
    facts: AccessFacts
    stale: bool
    user_facts: AccessFacts  # the user's own, unlimited: two-factor enforcement reads these


def key_access(conn: Connection, token_hash: str, now: datetime) -> KeyAccess | None:
    """The key with this hash, when it exists, has not expired and its user is active."""
    found = repo.find_by_hash(conn, token_hash)
    if found is None or (found.expires is not None and found.expires <= now):
        return None
    user_facts = load_access_facts(conn, user=found.user, role=found.role)
    facts = user_facts
    if found.limited:
        facts = model.limit_facts(facts, repo.policies_of(conn, found.id))
    stale = found.last_used is None or found.last_used <= now - model.TOUCH_EVERY
    return KeyAccess(found.id, found.user, found.role, facts, stale, user_facts)


def touch(conn: Connection, key: str, now: datetime) -> None:
    """Record a use (at most once a minute: the condition is checked again in the update)."""
    repo.touch(conn, key, now=now, before=now - model.TOUCH_EVERY)


class ApiKeys:
    def __init__(
        self,
        *,
        db: Database,
        clock: Clock,
        keys: Keys,
        random_token: Callable[[], str],
        max_keys: int,
        notices: SecurityNotices | None = None,
    ) -> None:
        self.db = db
        self.max_keys = max_keys  # AUTH_API_KEYS_MAX: live keys per user
        self.clock = clock
        self.keys = keys
        self.random_token = random_token
        self.notices = notices  # a new key mails its user (whoever made it)

    async def listed(
        self, accountability: Accountability, key: str | None
    ) -> list[model.KeyRecord]:
        user = target_user(accountability, key)
        return await self.db.read(self._list, user, key is not None)

    def _list(self, conn: Connection, user: str, named: bool) -> list[model.KeyRecord]:
        if named and users_repo.get(conn, user) is None:
            raise forbidden()
        return repo.list_for(conn, user)

    async def create(
        self, accountability: Accountability, key: str | None, body: object
    ) -> tuple[model.KeyRecord, str]:
        """The new key's record and its secret (returned this once, never stored)."""
        user = target_user(accountability, key)
        now = self.clock.now()
        wanted = model.read_new_key(body, now=now, is_uuid=is_uuid)
        secret = model.secret_from(self.random_token())
        record = model.KeyRecord(
            id=str(uuid.uuid4()),
            name=wanted.name,
            created=now,
            expires=wanted.expires,
            last_used=None,
            policies=wanted.policies,
        )
        await self.db.write(self._create, user, record, self.keys.hash_token(secret))
        return record, secret

    def _create(
        self,
        conn: Connection,
        user: str,
        record: model.KeyRecord,
        token_hash: str,
    ) -> None:
        """One transaction: the key and its policy rows, counted against the cap under a lock
        on the user's row (concurrent creations queue: none goes past the cap)."""
        if not lock_user(conn, user):
            raise forbidden()
        owner = users_repo.get(conn, user)
        if owner is None:
            raise forbidden()
        if repo.count_live(conn, user, record.created) >= self.max_keys:
            raise invalid_payload(model.too_many_keys(self.max_keys))
        if record.policies is not None:
            facts = load_access_facts(conn, user=owner.id, role=owner.role)
            if not set(record.policies) <= model.owned_policies(facts):
                raise invalid_payload('"policies" must be policies the user has')
        repo.insert_key(
            conn,
            key_id=record.id,
            user=user,
            name=record.name,
            token_hash=token_hash,
            created=record.created,
            expires=record.expires,
            policies=record.policies,
        )
        if self.notices is not None:
            self.notices.api_key_added(conn, user, record.name)

    async def revoke(self, accountability: Accountability, key: str | None, key_id: str) -> None:
        user = target_user(accountability, key)
        if not is_uuid(key_id) or not await self.db.write(repo.delete_key, user, key_id.lower()):
            raise forbidden()
