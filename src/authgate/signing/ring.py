"""The signing keys of one process, and the operations on the stored ones.

* First start: when the newest stored key is not of ``AUTH_JWT_ALGORITHM`` (or there is
  none), one is generated and inserted with the next ``sequence``. The column is unique, so of
  several instances starting at once exactly one insert succeeds; the others read its key.
* Rotation (``authgate keys rotate``): a new key is published at once and signs from
  ``now + AUTH_JWT_KEY_PUBLISH_DELAY``; every older key retires when the last token it can
  have signed has expired (the new key's start plus ``retention``: the longest token
  lifetime, and one ``REFRESH_INTERVAL`` for an instance that switches that much late).
* A process loads the keys once (``start``), then again every ``REFRESH_INTERVAL`` (so a
  rotation made elsewhere is known before it signs), and when a token names a ``kid`` it does
  not know, at most once per ``UNKNOWN_KID_PAUSE`` (a stream of made-up ``kid`` values costs
  one read per pause, not one per request). Time is always the caller's ``now``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from jwt.algorithms import ECAlgorithm, OKPAlgorithm, RSAAlgorithm
from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError

from authgate.config.settings import Settings
from authgate.errors import AuthError
from authgate.signing import SigningKeysError, repo
from authgate.signing.repo import KeyRow
from authgate.signing.sealing import SealError, seal, unseal
from authgate.storage.db import Database
from authgate.tokens.keyset import (
    HMAC,
    KeySet,
    PrivateKey,
    PublicKey,
    SigningKey,
    generate_private_key,
    load_private_pem,
    private_pem,
    public_jwk,
    thumbprint,
    unverified_kid,
)

log = logging.getLogger("authgate.signing")

REFRESH_INTERVAL = timedelta(seconds=30)
UNKNOWN_KID_PAUSE = timedelta(seconds=5)
_ALWAYS = datetime(1970, 1, 1, tzinfo=UTC)


def retention(settings: Settings) -> timedelta:
    """How long a key stays published after it stops signing: the longest a token it signed
    can live (an access token, or the session-mode JWT, ``SESSION_COOKIE_TTL``), plus one
    ``REFRESH_INTERVAL`` (an instance may go on signing with it until it reads the keys)."""
    return max(settings.access_token_ttl, settings.session_cookie_ttl) + REFRESH_INTERVAL


def uses_stored_keys(settings: Settings) -> bool:
    signing = settings.signing
    return signing.algorithm != HMAC and signing.private_key is None


def _new_row(
    algorithm: str, secret: str, *, sequence: int, now: datetime, signs_from: datetime
) -> KeyRow:
    private = generate_private_key(algorithm)
    jwk = public_jwk(private.public_key())
    kid = thumbprint(jwk)
    sealed = seal(secret, kid, private_pem(private))
    return KeyRow(kid, sequence, algorithm, jwk, sealed, now, signs_from, None)


def _ensure(
    conn: Connection, algorithm: str, secret: str, now: datetime, lifetime: timedelta
) -> None:
    rows = repo.load_keys(conn)
    latest = rows[-1] if rows else None
    if latest is not None and latest.algorithm == algorithm:
        return
    if latest is None:  # the first key: nothing signed before it, it signs from the start
        sequence, signs_from = 1, _ALWAYS
    else:
        # Another algorithm before (AUTH_JWT_ALGORITHM changed): its keys stay published until
        # what they signed has expired, and the new key signs at once.
        sequence, signs_from = latest.sequence + 1, now
        repo.schedule_retirement(conn, before=sequence, retires_at=now + lifetime)
    row = _new_row(algorithm, secret, sequence=sequence, now=now, signs_from=signs_from)
    repo.insert_key(conn, row)
    log.info("signing key %s (%s) created; it signs access tokens from now on", row.kid, algorithm)


def ensure_key(db: Database, settings: Settings, now: datetime) -> None:
    """Insert the first key of the configured algorithm unless it is there; race-free."""
    if not uses_stored_keys(settings):
        return
    try:
        db.write_sync(
            _ensure,
            settings.signing.algorithm,
            settings.secret.reveal(),
            now,
            retention(settings),
        )
    except IntegrityError:
        log.debug("another instance created the signing key first; using its key")


def rotate_keys(db: Database, settings: Settings, now: datetime) -> KeyRow:
    """A new key, published now, signing after the publish delay.

    Raises:
        SigningKeysError: the keys are not stored ones (HS256, or a key file), or another
            rotation committed the same sequence first.
    """
    signing = settings.signing
    if signing.algorithm == HMAC:
        raise SigningKeysError(
            "AUTH_JWT_ALGORITHM is HS256: tokens are signed with SECRET, there is no key to rotate"
        )
    if signing.private_key is not None:
        raise SigningKeysError(
            "the signing key comes from AUTH_JWT_PRIVATE_KEY(_FILE): replace the key there"
            " to rotate it"
        )
    secret, lifetime = settings.secret.reveal(), retention(settings)

    def work(conn: Connection) -> KeyRow:
        rows = repo.load_keys(conn)
        sequence = rows[-1].sequence + 1 if rows else 1
        signs_from = now + signing.publish_delay
        repo.schedule_retirement(conn, before=sequence, retires_at=signs_from + lifetime)
        row = _new_row(signing.algorithm, secret, sequence=sequence, now=now, signs_from=signs_from)
        repo.insert_key(conn, row)
        log.info(
            "signing key %s (%s) published; it signs from %s", row.kid, row.algorithm, signs_from
        )
        return row

    try:
        return db.write_sync(work)
    except IntegrityError:
        raise SigningKeysError(
            "another rotation ran at the same moment; see `authgate keys list`"
        ) from None


@dataclass(frozen=True)
class KeyStatus:
    kid: str
    algorithm: str
    state: str  # pending, signing, verifying, retired
    signs_from: datetime
    retires_at: datetime | None


def key_states(
    rows: list[KeyRow], now: datetime, *, algorithm: str, secret: str
) -> list[KeyStatus]:
    """What each stored key is doing at ``now`` (``authgate keys list``)."""
    keys = KeySet(algorithm, secret, tuple(_public_only(row) for row in rows))
    signer = keys.signer(now)
    states = []
    for key in keys.keys:
        if not key.is_published(now):
            state = "retired"
        elif signer is not None and key.kid == signer.kid:
            state = "signing"
        elif key.signs_from > now:
            state = "pending"
        else:
            state = "verifying"
        states.append(KeyStatus(key.kid, key.algorithm, state, key.signs_from, key.retires_at))
    return states


def _public_only(row: KeyRow) -> SigningKey:
    """A stored key without opening its sealed half (enough to tell what it is doing)."""
    kty = row.public_key["kty"]
    if kty == "OKP":
        public: PublicKey = OKPAlgorithm.from_jwk(row.public_key)  # type: ignore[assignment]
    elif kty == "EC":
        public = ECAlgorithm.from_jwk(row.public_key)  # type: ignore[assignment]
    else:
        public = RSAAlgorithm.from_jwk(row.public_key)  # type: ignore[assignment]
    return SigningKey(
        row.kid, row.algorithm, public, None, row.signs_from, row.retires_at, row.sequence
    )


class KeyRing:
    """The process's view of the keys; ``keys`` is the snapshot to sign and verify with."""

    def __init__(self, db: Database, settings: Settings) -> None:
        self._db = db
        self._algorithm = settings.signing.algorithm
        self._secret = settings.secret.reveal()
        self._file_key = settings.signing.private_key
        self._settings = settings
        self._keys = KeySet(self._algorithm, self._secret)
        self._private: dict[str, PrivateKey] = {}
        self._loaded_at: datetime | None = None
        self._unknown_at: datetime | None = None
        # Bumped whenever the set changes: whoever caches what a key verified drops it then.
        self.generation = 0

    @property
    def keys(self) -> KeySet:
        return self._keys

    @property
    def is_static(self) -> bool:
        """HS256 or a key file: nothing in the database to follow."""
        return self._algorithm == HMAC or self._file_key is not None

    def start(self, now: datetime) -> None:
        """Raises ``SigningKeysError`` when the stored keys cannot be opened with ``SECRET``."""
        if self._algorithm == HMAC:
            return
        if self._file_key is not None:
            key = SigningKey.of(self._file_key, self._algorithm, _ALWAYS)
            self._keys = KeySet(self._algorithm, self._secret, (key,))
            return
        ensure_key(self._db, self._settings, now)
        self._install(self._db.read_sync(repo.load_keys), now)

    async def refresh_if_due(self, now: datetime) -> None:
        loaded = self._loaded_at
        if self.is_static or (loaded is not None and loaded <= now < loaded + REFRESH_INTERVAL):
            return
        await self._reload(now)

    async def refresh_for(self, token: str, now: datetime) -> None:
        """Reload when ``token`` names a ``kid`` this process does not know (bounded)."""
        if self.is_static:
            return
        kid = unverified_kid(token)
        if kid is None or self._keys.knows(kid):
            return
        last = self._unknown_at
        if last is not None and last <= now < last + UNKNOWN_KID_PAUSE:
            return
        self._unknown_at = now
        await self._reload(now)

    async def _reload(self, now: datetime) -> None:
        self._loaded_at = now  # first: concurrent requests do not all read again
        try:
            rows = await self._db.read(repo.load_keys)
            self._install(rows, now)
        except (AuthError, SigningKeysError) as error:
            log.warning("signing keys not reloaded (%s); the known ones stay in use", error)

    def _install(self, rows: list[KeyRow], now: datetime) -> None:
        keys = tuple(self._key(row) for row in rows)
        before = [(key.kid, key.signs_from, key.retires_at) for key in self._keys.keys]
        if before != [(key.kid, key.signs_from, key.retires_at) for key in keys]:
            self.generation += 1
        self._keys = KeySet(self._algorithm, self._secret, keys)
        self._private = {key.kid: key.private for key in keys if key.private is not None}
        self._loaded_at = now

    def _key(self, row: KeyRow) -> SigningKey:
        private = self._private.get(row.kid)
        if private is None:
            try:
                private = load_private_pem(
                    unseal(self._secret, row.kid, row.private_key), row.algorithm
                )
            except (SealError, ValueError):
                raise SigningKeysError(
                    f"signing key {row.kid} in the database cannot be opened with this SECRET"
                    " (it was sealed under another one)"
                ) from None
        return SigningKey(
            row.kid,
            row.algorithm,
            private.public_key(),
            private,
            row.signs_from,
            row.retires_at,
            row.sequence,
        )
