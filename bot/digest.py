"""The daily digest (SPEC section 5): what it says, and when it is due (pure, `now` passed in)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

MAX_LISTED = 10
MAX_AUTO_LISTED = 5  # auto-approvals named in the digest; the rest are counted


@dataclass(frozen=True)
class DigestItem:
    request_id: int
    kind: str
    title: str
    employer: str
    received_at: datetime
    permalink: str | None
    over_sla: bool
    flagged: bool


@dataclass(frozen=True)
class ReviewerTally:
    actor: str
    approved: int
    declined: int
    on_hold: int

    @property
    def total(self) -> int:
        return self.approved + self.declined + self.on_hold


@dataclass(frozen=True)
class AutoApproval:
    """A job approved yesterday by jobgate itself (a trusted employer's), named in the digest."""

    request_id: int
    title: str
    employer: str
    approved_at: datetime
    permalink: str | None


@dataclass(frozen=True)
class SearchSection:
    name: str
    filter_text: str
    count: int
    items: tuple[DigestItem, ...]


@dataclass(frozen=True)
class DigestFacts:
    """Everything the digest says, gathered with SQL aggregates."""

    local_date: date
    sla_business_days: int
    pending_by_kind: dict[str, int]
    new_since_last: dict[str, int]
    last_digest_at: datetime | None
    oldest_waiting: DigestItem | None
    over_sla: int
    flagged: int
    unassigned: int
    holds_waiting: int
    holds_expiring: int
    yesterday: tuple[ReviewerTally, ...]
    auto_approved_yesterday: int
    auto_declined_yesterday: int
    open_reports: int
    items: tuple[DigestItem, ...]
    sections: tuple[SearchSection, ...] = field(default_factory=tuple)
    # the first MAX_AUTO_LISTED of auto_approved_yesterday, oldest first
    auto_approvals: tuple[AutoApproval, ...] = field(default_factory=tuple)

    @property
    def pending_total(self) -> int:
        return sum(self.pending_by_kind.values())

    @property
    def more(self) -> int:
        """Pending requests not listed."""
        return max(0, self.pending_total - len(self.items))


def has_news(facts: DigestFacts) -> bool:
    """Something to say: a queue, holds, reports, or yesterday's work."""
    return bool(
        facts.pending_total
        or facts.holds_waiting
        or facts.open_reports
        or any(t.total for t in facts.yesterday)
        or facts.auto_approved_yesterday
        or facts.auto_declined_yesterday
    )


def _count(n: int, one: str, many: str | None = None) -> str:
    return f"{n:,} {one if n == 1 else (many or one + 's')}"


def digest_lines(facts: DigestFacts) -> list[str]:
    """The digest as plain lines (for `jobgate digest --print` and the notification text)."""
    lines = [f"jobgate digest for {facts.local_date:%A %d %B %Y}"]
    kinds = (
        ", ".join(_count(n, k) for k, n in sorted(facts.pending_by_kind.items()) if n) or "nothing"
    )
    new = sum(facts.new_since_last.values())
    lines.append(f"Pending: {kinds} ({_count(new, 'new')} since the last digest)")
    if facts.oldest_waiting is not None:
        lines.append(
            f"Oldest waiting: {facts.oldest_waiting.title} ({facts.oldest_waiting.employer})"
        )
    lines.append(
        f"Over the {facts.sla_business_days}-business-day SLA: {facts.over_sla:,} · "
        f"flagged or risky: {facts.flagged:,} · unassigned: {facts.unassigned:,}"
    )
    lines.append(
        f"Holds waiting on employers: {facts.holds_waiting:,} ({facts.holds_expiring:,} expiring soon)"
    )
    if facts.yesterday:
        done = "; ".join(
            f"{t.actor}: {t.approved} approved, {t.declined} declined, {t.on_hold} held"
            for t in facts.yesterday
        )
        lines.append(f"Yesterday: {done}")
    lines.append(
        f"Automatic yesterday: {facts.auto_approved_yesterday:,} approved, "
        f"{facts.auto_declined_yesterday:,} declined (employer not approved, or a hold"
        " left unanswered)"
    )
    for approval in facts.auto_approvals:
        lines.append(f"  - auto-approved: {approval.title} ({approval.employer})")
    if facts.auto_approved_yesterday > len(facts.auto_approvals) and facts.auto_approvals:
        lines.append(f"  …and {facts.auto_approved_yesterday - len(facts.auto_approvals):,} more")
    lines.append(f"Open reports: {facts.open_reports:,}")
    for item in facts.items:
        tags = [t for t, on in (("over SLA", item.over_sla), ("flagged", item.flagged)) if on]
        suffix = f" [{', '.join(tags)}]" if tags else ""
        lines.append(f"  - {item.kind}: {item.title} ({item.employer}){suffix}")
    if facts.more:
        lines.append(f"  …and {facts.more:,} more")
    for section in facts.sections:
        lines.append(f"Saved search {section.name}: {section.count:,} matching")
    return lines


class DigestTiming(StrEnum):
    NOT_TODAY = "not_today"
    NOT_YET = "not_yet"
    DUE = "due"
    MISSED = "missed"


def scheduled_instant(day: date, at: time, zone: ZoneInfo) -> datetime:
    """The digest time on `day` in `zone`, as an aware instant. A time that does not exist
    (spring forward) moves to the first valid minute after the gap; a time that happens twice
    (fall back) is its first occurrence."""
    local = datetime.combine(day, at, tzinfo=zone)  # fold=0: the first of two
    round_trip = local.astimezone(ZoneInfo("UTC")).astimezone(zone)
    if round_trip.replace(tzinfo=None) != local.replace(tzinfo=None):
        # inside a gap: walk forward minute by minute to the first real local time
        probe = local
        for _ in range(24 * 60):
            probe = (probe.replace(tzinfo=None) + timedelta(minutes=1)).replace(tzinfo=zone)
            back = probe.astimezone(ZoneInfo("UTC")).astimezone(zone)
            if back.replace(tzinfo=None) == probe.replace(tzinfo=None):
                return probe
    return local


def digest_timing(
    now: datetime, *, at: time, zone: ZoneInfo, days: tuple[int, ...], grace: timedelta
) -> tuple[DigestTiming, date, datetime]:
    """Whether today's digest (local date of `now`) is due, not yet, missed, or not today."""
    today = now.astimezone(zone).date()
    due_at = scheduled_instant(today, at, zone)
    if today.weekday() not in days:
        return DigestTiming.NOT_TODAY, today, due_at
    if now < due_at:
        return DigestTiming.NOT_YET, today, due_at
    if now - due_at <= grace:
        return DigestTiming.DUE, today, due_at
    return DigestTiming.MISSED, today, due_at


def next_scheduled(
    after: date, *, at: time, zone: ZoneInfo, days: tuple[int, ...]
) -> datetime | None:
    """The digest instant of the first scheduled day after `after`; None when no weekday is
    scheduled."""
    for ahead in range(1, 8):
        day = after + timedelta(days=ahead)
        if day.weekday() in days:
            return scheduled_instant(day, at, zone)
    return None


def local_day_bounds(day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """[start, end) of a local calendar day as aware instants (23 or 25 hours on DST days)."""
    start = datetime.combine(day, time(0), tzinfo=zone)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)
    return start, end


def business_days_before(moment: datetime, days: int) -> datetime:
    """The instant `days` weekdays before `moment` (the SLA cutoff)."""
    current = moment
    remaining = days
    while remaining > 0:
        current -= timedelta(days=1)
        if current.weekday() < 5:
            remaining -= 1
    return current
