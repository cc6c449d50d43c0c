"""Keep Slack calls inside Slack's rate limits: token buckets per method and channel."""

from __future__ import annotations

import heapq
import math
from collections.abc import Hashable
from dataclasses import dataclass, field
from datetime import datetime, timedelta


@dataclass(frozen=True)
class SlackPacing:
    """Rates in calls per second. Slack: chat.postMessage about 1/s per channel with short
    bursts; chat.update and views.* are Tier 3 (50+ per minute) per workspace."""

    # a little under Slack's limits, so the two clocks never disagree into a 429
    post_per_channel: float = 0.95
    post_burst: float = 2.0
    update_per_workspace: float = 0.8
    update_burst: float = 5.0
    other_per_workspace: float = 0.8
    other_burst: float = 5.0

    def scaled(self, factor: float) -> SlackPacing:
        """The same shape, `factor` times faster (tests and the sandbox)."""
        return SlackPacing(
            self.post_per_channel * factor,
            self.post_burst,
            self.update_per_workspace * factor,
            self.update_burst,
            self.other_per_workspace * factor,
            self.other_burst,
        )


MAX_OWED = 10_000
STALE_CLAIM = timedelta(minutes=10)


@dataclass
class TokenBucket:
    """Tokens at `rate` per second, at most `burst` saved. A caller told to wait is owed a
    token at the moment it was given: newcomers queue behind everyone owed, so a caller whose
    wake-up runs late still finds its token, and sends leave in the order they were paced
    (unless a wake-up runs more than a slot late). Every send takes a token, so the rate is
    never exceeded however late callers come back."""

    rate: float
    burst: float
    tokens: float = field(default=-1.0)
    stamp: datetime | None = None
    blocked_until: datetime | None = None
    owed: dict[Hashable, datetime] = field(default_factory=dict)  # key -> the slot it was given
    _slots: list[tuple[datetime, int, Hashable]] = field(default_factory=list)  # heap
    _serial: int = 0
    _last_slot: datetime | None = None
    _prune_above: int = MAX_OWED

    @property
    def _interval(self) -> timedelta:
        """One token's time."""
        return timedelta(seconds=1.0 / self.rate)

    @property
    def _grace(self) -> timedelta:
        """How long past its slot a claim still holds the line."""
        return timedelta(seconds=2.0 / self.rate + 0.5)

    def reserve(self, now: datetime, key: Hashable) -> float:
        """Take a token now (returns 0) or say how many seconds until the turn of `key` (the
        send asking: it is told the same slot when it comes back)."""
        if self.blocked_until is not None and now < self.blocked_until:
            owed = self.owed.get(key)
            return (max(owed or self.blocked_until, self.blocked_until) - now).total_seconds()
        self._refill(now)
        # rounded up to the clock's microsecond, so a caller back on time finds its token
        to_token = timedelta(microseconds=math.ceil(max(0.0, 1.0 - self.tokens) / self.rate * 1e6))
        interval = self._interval
        if key in self.owed:
            slot = self.owed[key]
            if now < slot:  # back before its slot (the slots moved after a 429): wait for it
                return self._promise(key, now, slot)
            if self.tokens >= 1.0:
                return self._take(key)
            return self._promise(key, now, now + to_token)  # beaten to it: the next token
        someone_owed = self._someone_owed(now)
        if not someone_owed and self.tokens >= 1.0:
            return self._take(key)
        slot = now + to_token
        last = self._last_slot
        if last is not None and (last > now or someone_owed):
            slot = max(slot, last + interval)  # behind the last one told to wait
        if someone_owed:
            slot = max(slot, now + interval)
        return self._promise(key, now, slot)

    def release(self, key: Hashable) -> None:
        self.owed.pop(key, None)

    def block(self, until: datetime, now: datetime, refused: Hashable = None) -> datetime:
        """Slack said 429: nothing until `until` (or a later block already known), then the
        refused send first and those owed a token, in their order and one token apart (not
        all at once when the block ends). Claims already given up are left out. Returns the
        refused send's slot."""
        if self.blocked_until is None or until > self.blocked_until:
            self.blocked_until = until
        until = self.blocked_until
        self.tokens = 0.0
        self.stamp = until
        waiting = sorted(
            (slot, key)
            for key, slot in self.owed.items()
            if slot + self._grace >= now and key != refused
        )
        # every claim still held is promised again below (the old heap entries are all stale)
        self.owed, self._slots = {}, []
        if refused is not None:
            waiting.insert(0, (until, refused))
        slot = until
        for owed, key in waiting:
            slot = max(owed, slot + self._interval)
            self._promise(key, until, slot)
        # no token is left at `until`: the refused send's is the first one after it
        return until + self._interval if refused is not None else until

    def _refill(self, now: datetime) -> None:
        if self.tokens < 0:
            self.tokens = self.burst
        elif self.stamp is not None:
            elapsed = max(0.0, (now - self.stamp).total_seconds())
            self.tokens = min(self.burst, self.tokens + elapsed * self.rate)
        self.stamp = now

    def _take(self, key: Hashable) -> float:
        self.tokens -= 1.0
        self.owed.pop(key, None)
        return 0.0

    def _promise(self, key: Hashable, now: datetime, slot: datetime) -> float:
        self.owed[key] = slot
        self._serial += 1
        heapq.heappush(self._slots, (slot, self._serial, key))
        if len(self.owed) > self._prune_above:  # claims of sends that never came back
            self.owed = {k: v for k, v in self.owed.items() if v + STALE_CLAIM >= now}
            self._prune_above = max(MAX_OWED, 2 * len(self.owed))
        if self._last_slot is None or slot > self._last_slot:
            self._last_slot = slot
        return max((slot - now).total_seconds(), 1e-6)  # never 0: no token was taken

    def _someone_owed(self, now: datetime) -> bool:
        """Whether a caller is owed a token and due back. One that has not come back well
        after its slot (its wake-up ran very late, or its send was folded into another)
        stops holding up newcomers, but keeps its claim for when it does come back."""
        while self._slots:
            slot, _, key = self._slots[0]
            if self.owed.get(key) == slot and slot + self._grace >= now:
                return True
            heapq.heappop(self._slots)
        return False


class Pacer:
    """One bucket per (method family, channel)."""

    def __init__(self, pacing: SlackPacing) -> None:
        self.pacing = pacing
        self._buckets: dict[str, TokenBucket] = {}

    def _bucket(self, method: str, channel: str | None) -> TokenBucket:
        if method in ("chat.postMessage", "chat.postEphemeral"):
            key, rate, burst = (
                f"post:{channel}",
                self.pacing.post_per_channel,
                self.pacing.post_burst,
            )
        elif method == "chat.update":
            key, rate, burst = "update", self.pacing.update_per_workspace, self.pacing.update_burst
        else:
            key, rate, burst = (
                f"other:{method}",
                self.pacing.other_per_workspace,
                self.pacing.other_burst,
            )
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = TokenBucket(rate, burst)
        return bucket

    def reserve(self, method: str, channel: str | None, now: datetime, key: Hashable) -> float:
        """Seconds until `key` may call `method` in `channel` (0: go ahead, token taken)."""
        return self._bucket(method, channel).reserve(now, key)

    def release(self, key: Hashable) -> None:
        """`key` will not come back for the turn it was owed (sent some other way, or done)."""
        for bucket in self._buckets.values():
            bucket.release(key)

    def block(
        self,
        method: str,
        channel: str | None,
        until: datetime,
        now: datetime,
        refused: Hashable = None,
    ) -> datetime:
        """Slack said 429: nothing more on this bucket until `until`; the `refused` send goes
        first after it (returns its slot)."""
        return self._bucket(method, channel).block(until, now, refused)
