"""The token buckets that keep Slack calls inside Slack's limits (pure, fixed clock)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.pacing import TokenBucket

T0 = datetime(2026, 11, 16, 12, 0, tzinfo=UTC)


def test_a_burst_then_one_per_token() -> None:
    bucket = TokenBucket(rate=1.0, burst=2.0)
    assert bucket.reserve(T0) == 0.0
    assert bucket.reserve(T0) == 0.0
    assert bucket.reserve(T0) == 1.0


def test_callers_told_to_wait_are_spread_one_per_token() -> None:
    """A queue of deferred sends wakes one per slot, not all at the same instant."""
    bucket = TokenBucket(rate=2.0, burst=1.0)
    assert bucket.reserve(T0) == 0.0
    waits = [bucket.reserve(T0) for _ in range(4)]
    assert waits == [0.5, 1.0, 1.5, 2.0]
    # each comes back at its slot and gets a token
    for wait in waits:
        assert bucket.reserve(T0 + timedelta(seconds=wait)) == 0.0


def test_a_429_blocks_the_bucket_until_slack_says() -> None:
    bucket = TokenBucket(rate=1.0, burst=3.0)
    bucket.blocked_until = T0 + timedelta(seconds=30)
    assert bucket.reserve(T0) == 30.0
