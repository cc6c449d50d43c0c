"""Keep Slack calls inside Slack's rate limits: token buckets per method and channel."""

from __future__ import annotations

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


@dataclass
class TokenBucket:
    rate: float
    burst: float
    tokens: float = field(default=-1.0)
    stamp: datetime | None = None
    blocked_until: datetime | None = None
    # the latest moment promised to a caller told to wait: the next one waits one slot more,
    # so a queue of deferred sends wakes one per token instead of all at once
    promised: datetime | None = None

    def reserve(self, now: datetime) -> float:
        """Take a token now (returns 0) or say how many seconds until one is free."""
        if self.blocked_until is not None and now < self.blocked_until:
            return (self.blocked_until - now).total_seconds()
        if self.tokens < 0:
            self.tokens = self.burst
        elif self.stamp is not None:
            elapsed = max(0.0, (now - self.stamp).total_seconds())
            self.tokens = min(self.burst, self.tokens + elapsed * self.rate)
        self.stamp = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return 0.0
        wait = (1.0 - self.tokens) / self.rate
        if self.promised is not None and self.promised > now:
            wait = max(wait, (self.promised - now).total_seconds() + 1.0 / self.rate)
        self.promised = now + timedelta(seconds=wait)
        return wait


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

    def reserve(self, method: str, channel: str | None, now: datetime) -> float:
        return self._bucket(method, channel).reserve(now)

    def block(self, method: str, channel: str | None, until: datetime) -> None:
        """Slack said 429: nothing more on this bucket until `until`."""
        bucket = self._bucket(method, channel)
        bucket.blocked_until = until
        bucket.tokens = 0.0
        bucket.stamp = until
