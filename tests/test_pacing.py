"""The token buckets that keep Slack calls inside Slack's limits (pure, fixed clock)."""

from __future__ import annotations

import heapq
import itertools
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.clock import from_db, stored_ceiling, to_db
from bot.pacing import TokenBucket

T0 = datetime(2026, 11, 16, 12, 0, tzinfo=UTC)


def test_a_burst_then_one_per_token() -> None:
    bucket = TokenBucket(rate=1.0, burst=2.0)
    assert bucket.reserve(T0, "a") == 0.0
    assert bucket.reserve(T0, "b") == 0.0
    assert bucket.reserve(T0, "c") == 1.0


def test_callers_told_to_wait_are_spread_one_per_token() -> None:
    """A queue of deferred sends wakes one per slot, not all at the same instant."""
    bucket = TokenBucket(rate=2.0, burst=1.0)
    assert bucket.reserve(T0, "first") == 0.0
    waits = [bucket.reserve(T0, key) for key in range(4)]
    assert waits == [0.5, 1.0, 1.5, 2.0]
    # each comes back at its slot and gets a token
    for key, wait in enumerate(waits):
        assert bucket.reserve(T0 + timedelta(seconds=wait), key) == 0.0


def test_a_429_blocks_the_bucket_until_slack_says() -> None:
    bucket = TokenBucket(rate=1.0, burst=3.0)
    bucket.blocked_until = T0 + timedelta(seconds=30)
    assert bucket.reserve(T0, "a") == 30.0


def test_a_caller_told_to_wait_keeps_its_turn_when_it_comes_back_late() -> None:
    """A newcomer does not take the token owed to a caller whose wake-up ran late."""
    bucket = TokenBucket(rate=1.0, burst=1.0)
    assert bucket.reserve(T0, "a") == 0.0
    assert bucket.reserve(T0, "b") == 1.0
    at = T0 + timedelta(seconds=1.3)  # a token is free, but it is b's
    wait_c = bucket.reserve(at, "c")
    assert wait_c > 0.0
    assert bucket.reserve(T0 + timedelta(seconds=1.4), "b") == 0.0
    back = at + timedelta(seconds=wait_c)
    again = bucket.reserve(back, "c")
    assert bucket.reserve(back + timedelta(seconds=again), "c") == 0.0


def test_a_caller_that_never_comes_back_stops_holding_the_line() -> None:
    bucket = TokenBucket(rate=1.0, burst=1.0)
    assert bucket.reserve(T0, "a") == 0.0
    assert bucket.reserve(T0, "folded") == 1.0  # its send was folded into another: gone
    now = T0 + timedelta(seconds=2.0)
    waits = []
    while (wait := bucket.reserve(now, "c")) > 0.0:  # c comes back whenever it is told to
        waits.append(wait)
        now += timedelta(seconds=wait)
    assert waits  # at first the folded one might only be late
    assert now <= T0 + timedelta(seconds=1.0 + 2.5 + 1.0)  # its slot, the grace, one token


def simulate(
    rate: float, burst: float, callers: list[tuple[float, float]], *, late_once: bool = False
) -> list[tuple[datetime, int]]:
    """Callers arrive (gaps in slots of 1/rate) and, told to wait, come back that many
    seconds later plus their lateness (in slots; only the first time if `late_once`): the
    sends, as (moment, caller)."""
    was_late: set[int] = set()
    bucket = TokenBucket(rate=rate, burst=burst)
    events: list[tuple[datetime, int, int]] = []
    arrival, sequence = T0, 0
    for key, (gap, _) in enumerate(callers):
        arrival += timedelta(seconds=gap / rate)
        heapq.heappush(events, (arrival, sequence, key))
        sequence += 1
    served: list[tuple[datetime, int]] = []
    while events:
        now, _, key = heapq.heappop(events)
        wait = bucket.reserve(now, key)
        if wait == 0.0:
            served.append((now, key))
            continue
        assert wait > 0.0
        lateness = 0.0 if late_once and key in was_late else callers[key][1] / rate
        was_late.add(key)
        late = timedelta(seconds=wait + lateness)
        heapq.heappush(events, (now + late, sequence, key))
        sequence += 1
        assert sequence < 100 * len(callers), "callers keep being sent away"
    assert sorted(key for _, key in served) == list(range(len(callers)))  # each once
    for i, (start, _) in enumerate(served):
        for j in range(i, len(served)):
            window = (served[j][0] - start).total_seconds()
            assert j - i + 1 <= burst + rate * (window + 1e-6)  # times are in microseconds
    return served


RATES = st.sampled_from([0.95, 2.0, 19.0])
BURSTS = st.sampled_from([1.0, 2.0, 5.0])


@settings(max_examples=200, deadline=None)
@given(
    rate=RATES,
    burst=BURSTS,
    callers=st.lists(st.tuples(st.floats(0.0, 3.0), st.floats(0.0, 0.9)), min_size=1, max_size=40),
)
def test_sends_leave_in_the_order_they_were_paced_and_never_above_the_rate(
    rate: float, burst: float, callers: list[tuple[float, float]]
) -> None:
    """A wake-up late by less than a slot (the deliverer under load): each caller is served
    once, first come first served, and no window holds more sends than burst + rate allow.
    (Late again and again, a caller can lose its place to the next; see the test below.)"""
    served = simulate(rate, burst, callers, late_once=True)
    assert [key for _, key in served] == list(range(len(callers)))


@settings(max_examples=100, deadline=None)
@given(
    rate=RATES,
    burst=BURSTS,
    callers=st.lists(st.tuples(st.floats(0.0, 3.0), st.floats(0.0, 40.0)), min_size=1, max_size=40),
)
def test_callers_very_late_or_gone_never_push_the_rate_over(
    rate: float, burst: float, callers: list[tuple[float, float]]
) -> None:
    """Wake-ups late by up to 40 slots: order may change, but each caller is still served
    once and the rate holds (checked inside `simulate`)."""
    assert len(simulate(rate, burst, callers)) == len(callers)


@pytest.mark.parametrize(
    ("callers", "retry_after_s", "refused_after"), [(100, 30, 5), (100, 30, 6), (300, 120, 6)]
)
def test_after_a_429_those_owed_come_back_one_per_token_in_their_order(
    callers: int, retry_after_s: int, refused_after: int
) -> None:
    """Slack answers 429 after the burst: the owed callers wait out Retry-After, then go one
    token apart in their order. Each asks at most three times (told to wait, back during
    the block and told its new slot, then served), not on every token."""
    bucket = TokenBucket(rate=0.8, burst=5.0)
    events = [(T0, key, key) for key in range(callers)]
    heapq.heapify(events)
    asked, sequence, served = 0, callers, []
    while events:
        now, _, key = heapq.heappop(events)
        asked += 1
        wait = bucket.reserve(now, key)
        if wait == 0.0:
            served.append((now, key))
            if len(served) == refused_after:  # the next send is refused with a 429
                bucket.block(now + timedelta(seconds=retry_after_s), now)
            continue
        heapq.heappush(events, (now + timedelta(seconds=wait), sequence, key))
        sequence += 1
    assert [key for _, key in served] == list(range(callers))
    after = [at for at, _ in served[refused_after:]]
    assert after[0] >= T0 + timedelta(seconds=retry_after_s)
    gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(after)]
    assert min(gaps) >= 1 / 0.8 - 1e-6
    assert asked <= 3 * callers, asked


def test_the_send_refused_with_a_429_goes_first_when_the_block_ends() -> None:
    """It had taken its token already, so it is owed none: without this it would queue
    behind everyone else (and its lane, cards and thread replies, with it)."""
    bucket = TokenBucket(rate=1.0, burst=1.0)
    assert bucket.reserve(T0, "sent") == 0.0
    waits = {key: bucket.reserve(T0, key) for key in ("b", "c")}
    assert waits == {"b": 1.0, "c": 2.0}
    until = T0 + timedelta(seconds=30)
    turn = bucket.block(until, T0, refused="sent")
    assert turn == until + timedelta(seconds=1)
    assert bucket.reserve(T0 + timedelta(seconds=1), "b") == 31.0  # told its new slot
    assert bucket.reserve(turn, "sent") == 0.0
    assert bucket.reserve(turn, "b") > 0.0
    assert bucket.reserve(turn + timedelta(seconds=1), "b") == 0.0
    # a second 429 with a shorter Retry-After does not shorten the block
    bucket.block(T0 + timedelta(seconds=5), turn)
    assert bucket.blocked_until == until


def test_claims_given_up_are_not_brought_back_by_a_429() -> None:
    bucket = TokenBucket(rate=1.0, burst=1.0)
    assert bucket.reserve(T0, "a") == 0.0
    for key in range(50):  # told to wait, then never came back (folded into other sends)
        bucket.reserve(T0, f"gone{key}")
    later = T0 + timedelta(hours=1)
    assert bucket.reserve(later, "fresh") == 0.0
    bucket.block(later + timedelta(seconds=30), later)
    assert bucket.owed == {}
    assert bucket.reserve(later + timedelta(seconds=31), "newcomer") == 0.0


def test_a_stored_not_before_time_never_comes_out_earlier() -> None:
    """to_db keeps milliseconds: a deferral is stored rounded up, or the item would be
    claimed just before its token and deferred again for the microseconds left."""
    moment = datetime(2026, 11, 16, 12, 0, 0, 123_401, tzinfo=UTC)
    assert from_db(to_db(stored_ceiling(moment))) == moment.replace(microsecond=124_000)
    exact = moment.replace(microsecond=123_000)
    assert stored_ceiling(exact) == exact
