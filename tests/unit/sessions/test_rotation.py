"""sessions/rotation.py, the pure core of a refresh: expiry, the grace period, reuse detection,
the user's refusal, and the successor chain. Every test sets its own ``now``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from authgate.crypto import Keys
from authgate.errors import Code
from authgate.sessions.rotation import (
    Rejected,
    Repeat,
    Rotate,
    RotationPolicy,
    SessionFacts,
    Verdict,
    is_reused,
    judge,
    next_step,
    refusal_for_user,
)
from authgate.users.model import Status, User

TICK = timedelta(microseconds=1)
POLICY = RotationPolicy(
    grace_period=timedelta(seconds=10),
    refresh_ttl=timedelta(days=7),
    session_ttl=timedelta(days=1),
)


def live(expires: datetime, *, user: str | None = "user-1") -> SessionFacts:
    return SessionFacts(user=user, expires=expires, next_token=None)


def tombstone(grace_end: datetime, successor_hash: str = "b" * 64) -> SessionFacts:
    return SessionFacts(user="user-1", expires=grace_end, next_token=successor_hash)


def user(status: Status) -> User:
    return User(
        id="user-1",
        email="someone@example.com",
        password=None,
        status=status,
        role=None,
        tfa_secret=None,
        provider="default",
        external_identifier=None,
    )


# ------------------------------------------------------------------------------ judge


def test_no_row_or_a_row_of_no_user_is_unknown() -> None:
    now = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)

    assert judge(None, now) is Verdict.UNKNOWN
    assert judge(live(now + timedelta(hours=1), user=None), now) is Verdict.UNKNOWN
    oauth = SessionFacts("user-1", now + timedelta(hours=1), None, oauth_client="client-1")
    assert judge(oauth, now) is Verdict.UNKNOWN


def test_an_unknown_row_stays_unknown_even_when_expired_and_rotated() -> None:
    """A share or OAuth session is refused as it is: never taken for a reuse (its chain is
    not ours to revoke)."""
    now = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
    rotated_share = SessionFacts(None, now - timedelta(hours=1), "c" * 64)

    assert judge(rotated_share, now) is Verdict.UNKNOWN


def test_a_row_is_live_up_to_and_at_its_expiry_and_expired_just_after() -> None:
    now = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
    row = live(now)

    assert judge(row, now - TICK) is Verdict.LIVE
    assert judge(row, now) is Verdict.LIVE
    assert judge(row, now + TICK) is Verdict.EXPIRED


def test_a_rotated_row_is_live_through_the_grace_period_and_reused_after() -> None:
    rotated_at = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
    row = tombstone(rotated_at + POLICY.grace_period)

    assert judge(row, rotated_at) is Verdict.LIVE
    assert judge(row, rotated_at + POLICY.grace_period) is Verdict.LIVE  # exactly at its end
    assert judge(row, rotated_at + POLICY.grace_period + TICK) is Verdict.REUSED
    assert judge(row, rotated_at + timedelta(days=30)) is Verdict.REUSED


def test_is_reused_needs_both_a_rotation_and_the_grace_period_over() -> None:
    now = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)

    assert is_reused(tombstone(now - TICK), now)
    assert not is_reused(tombstone(now), now)
    assert not is_reused(live(now - timedelta(days=1)), now)  # expired, never rotated


@given(
    grace=st.integers(min_value=0, max_value=3600),
    offset=st.integers(min_value=-10_000, max_value=10_000),
)
def test_a_rotated_token_is_a_reuse_exactly_when_presented_after_the_grace_end(
    grace: int, offset: int
) -> None:
    rotated_at = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
    policy = RotationPolicy(timedelta(seconds=grace), timedelta(days=7), timedelta(days=1))
    step = next_step(
        live(rotated_at + timedelta(days=1)),
        "b" * 64,
        policy=policy,
        session_mode=False,
        now=rotated_at,
    )
    assert isinstance(step, Rotate)
    presented_at = rotated_at + timedelta(seconds=offset)

    verdict = judge(tombstone(step.grace_end), presented_at)

    assert (verdict is Verdict.REUSED) == (offset > grace)
    assert verdict in (Verdict.REUSED, Verdict.LIVE)


# -------------------------------------------------------------------------- the user


def test_a_missing_user_is_refused_without_touching_the_chain() -> None:
    assert refusal_for_user(None) == Rejected(Code.INVALID_CREDENTIALS)


def test_an_active_user_may_refresh() -> None:
    assert refusal_for_user(user(Status.ACTIVE)) is None


def test_a_suspended_user_is_told_so_stalled_and_the_chain_revoked() -> None:
    assert refusal_for_user(user(Status.SUSPENDED)) == Rejected(
        Code.USER_SUSPENDED, stall=True, revoke_chain=True
    )


@pytest.mark.parametrize(
    "status", [Status.DRAFT, Status.INVITED, Status.UNVERIFIED, Status.ARCHIVED]
)
def test_any_other_inactive_user_gets_invalid_credentials_and_loses_the_chain(
    status: Status,
) -> None:
    assert refusal_for_user(user(status)) == Rejected(
        Code.INVALID_CREDENTIALS, stall=True, revoke_chain=True
    )


# ------------------------------------------------------------------------- next step


def test_the_first_refresh_rotates_with_the_grace_end_and_the_successors_lifetime() -> None:
    now = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)

    step = next_step(
        live(now + timedelta(days=3)), "b" * 64, policy=POLICY, session_mode=False, now=now
    )

    assert step == Rotate(
        successor_hash="b" * 64,
        grace_end=now + timedelta(seconds=10),
        successor_expires=now + timedelta(days=7),
    )


def test_in_session_mode_the_successor_lives_as_long_as_the_session_cookie() -> None:
    now = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)

    step = next_step(
        live(now + timedelta(hours=1)), "b" * 64, policy=POLICY, session_mode=True, now=now
    )

    assert isinstance(step, Rotate)
    assert step.successor_expires == now + timedelta(days=1)
    assert step.grace_end == now + timedelta(seconds=10)


def test_the_successors_lifetime_starts_now_not_at_the_old_expiry() -> None:
    now = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)

    step = next_step(live(now + TICK), "b" * 64, policy=POLICY, session_mode=False, now=now)

    assert isinstance(step, Rotate)
    assert step.successor_expires == now + POLICY.refresh_ttl


def test_a_repeat_within_the_grace_period_names_the_same_successor() -> None:
    now = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
    row = tombstone(now + timedelta(seconds=4), successor_hash="b" * 64)

    assert next_step(row, "b" * 64, policy=POLICY, session_mode=False, now=now) == Repeat("b" * 64)


def test_a_rotated_row_naming_another_successor_is_refused() -> None:
    now = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
    row = tombstone(now + timedelta(seconds=4), successor_hash="b" * 64)

    step = next_step(row, "c" * 64, policy=POLICY, session_mode=False, now=now)

    assert step == Rejected(Code.INVALID_CREDENTIALS)


def test_a_zero_grace_period_allows_a_repeat_only_at_the_same_instant() -> None:
    now = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
    policy = RotationPolicy(timedelta(0), timedelta(days=7), timedelta(days=1))

    step = next_step(
        live(now + timedelta(days=1)), "b" * 64, policy=policy, session_mode=False, now=now
    )
    assert isinstance(step, Rotate)
    row = tombstone(step.grace_end, step.successor_hash)

    assert judge(row, now) is Verdict.LIVE
    assert judge(row, now + TICK) is Verdict.REUSED


# ----------------------------------------------------------------- the successor chain


def test_a_chain_of_refreshes_with_derived_successors() -> None:
    """Three refreshes as service.py does them (successor derived from the presented token,
    stored by its keyed hash): a repeat of an old token within its grace period gets the same
    successor, after it the old token is a reuse, and the newest token still rotates."""
    keys = Keys.from_secret("a-secret-for-the-rotation-tests-0123456")
    now = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
    rows: dict[str, SessionFacts] = {keys.hash_token("token-a"): live(now + timedelta(days=7))}

    def refresh(token: str, at: datetime) -> Rotate | Repeat | Rejected | Verdict:
        row = rows.get(keys.hash_token(token))
        verdict = judge(row, at)
        if verdict is not Verdict.LIVE:
            return verdict
        assert row is not None
        step = next_step(
            row,
            keys.hash_token(keys.successor_of(token)),
            policy=POLICY,
            session_mode=False,
            now=at,
        )
        if isinstance(step, Rotate):
            rows[keys.hash_token(token)] = tombstone(step.grace_end, step.successor_hash)
            rows[step.successor_hash] = live(step.successor_expires)
        return step

    first = refresh("token-a", now)
    token_b = keys.successor_of("token-a")
    repeat = refresh("token-a", now + timedelta(seconds=5))
    second = refresh(token_b, now + timedelta(seconds=6))
    token_c = keys.successor_of(token_b)
    reused = refresh("token-a", now + timedelta(seconds=11))
    third = refresh(token_c, now + timedelta(minutes=1))

    assert isinstance(first, Rotate)
    assert first.successor_hash == keys.hash_token(token_b)
    assert repeat == Repeat(keys.hash_token(token_b))
    assert isinstance(second, Rotate)
    assert second.successor_hash == keys.hash_token(token_c)
    assert reused is Verdict.REUSED
    assert isinstance(third, Rotate)
    assert len({"token-a", token_b, token_c}) == 3
