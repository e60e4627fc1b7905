"""The lockout's pure rules: reservations, locks that double up to 24 h, forgetting."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from authgate.lockout import model
from authgate.lockout.model import Counter

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
BASE = timedelta(minutes=15)


def test_locks_double_and_stop_at_a_day() -> None:
    lengths = [model.lock_duration(BASE, n) for n in range(8)]

    assert lengths[:4] == [BASE, BASE * 2, BASE * 4, BASE * 8]
    assert lengths[7] == timedelta(hours=24)
    assert model.lock_duration(BASE, 10_000) == timedelta(hours=24)


def test_reservations_in_flight_count_toward_the_limit() -> None:
    counter = Counter(failures=1)
    for _ in range(2):
        assert model.may_check(counter, 3, NOW)
        counter = model.reserved(counter, NOW)

    assert not model.may_check(counter, 3, NOW)
    assert model.may_check(model.released(counter), 3, NOW)


def test_the_failure_that_reaches_the_limit_locks_and_starts_the_count_again() -> None:
    counter, locked = model.failed(model.reserved(Counter(failures=2), NOW), 3, BASE, NOW)

    assert locked
    assert counter == Counter(
        failures=0, pending=0, locks=1, locked_until=NOW + BASE, last_failure=NOW
    )
    assert not model.may_check(counter, 3, NOW + BASE - timedelta(seconds=1))
    assert model.may_check(model.current(counter, NOW + BASE), 3, NOW + BASE)


def test_stale_reservations_and_old_failures_are_forgotten() -> None:
    stale = Counter(pending=3, pending_at=NOW - model.STALE_PENDING)
    old = Counter(failures=2, locks=3, last_failure=NOW - model.QUIET)

    assert model.current(stale, NOW) == Counter()
    assert model.current(old, NOW) == Counter()
    recent = Counter(failures=2, locks=3, last_failure=NOW - timedelta(hours=1))
    assert model.current(recent, NOW) == recent
