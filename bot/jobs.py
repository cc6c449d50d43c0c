"""The scheduler's jobs: plain functions of explicit arguments, `now` passed in. What was
done is recorded in the database, so a restart or a second process never repeats it."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from bot.clock import add_business_days
from bot.config import Settings, parse_clock_time
from bot.digest import (
    DigestFacts,
    DigestTiming,
    business_days_before,
    digest_lines,
    digest_timing,
    has_news,
    local_day_bounds,
    next_scheduled,
)
from bot.workspace import WorkspaceSettings
from handlers.blocks.digest import render_digest
from handlers.blocks.reports import render_report_notice
from storage.digest import DigestWindow
from storage.holds import HoldRound
from storage.repository import Repository

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DigestPlace:
    """Where and by which clock digests go: from the environment (SPEC section 7)."""

    channel: str
    zone: ZoneInfo
    default_time: time

    @classmethod
    def from_settings(cls, settings: Settings) -> DigestPlace:
        assert settings.review_channel is not None
        return cls(settings.review_channel, settings.zone, settings.digest_clock_time)

    def time_for(self, workspace: WorkspaceSettings) -> time:
        """An admin's digest time (App Home, /jobgate settings) wins over the environment's."""
        return (
            parse_clock_time(workspace.digest_time) if workspace.digest_time else self.default_time
        )


class DigestResult(StrEnum):
    SENT = "sent"
    FORCED = "forced"
    ALREADY_SENT = "already_sent"
    QUIET = "quiet"
    SKIPPED_MISSED = "skipped_missed"
    NOT_DUE = "not_due"


@dataclass(frozen=True)
class DigestOutcome:
    result: DigestResult
    detail: str
    facts: DigestFacts | None = None


def digest_window(now: datetime, place: DigestPlace, workspace: WorkspaceSettings) -> DigestWindow:
    today = now.astimezone(place.zone).date()
    yesterday_start, yesterday_end = local_day_bounds(today - timedelta(days=1), place.zone)
    return DigestWindow(
        now=now,
        local_date=today,
        yesterday_start=yesterday_start,
        yesterday_end=yesterday_end,
        sla_cutoff=business_days_before(now, workspace.sla_business_days),
        expiring_before=add_business_days(now, 1),
        sla_business_days=workspace.sla_business_days,
    )


async def build_digest(repo: Repository, place: DigestPlace, now: datetime) -> DigestFacts:
    workspace = await repo.get_workspace_settings()
    return await repo.gather_digest_facts(digest_window(now, place, workspace), place.channel)


async def _skip_missed(
    repo: Repository,
    place: DigestPlace,
    workspace: WorkspaceSettings,
    now: datetime,
    *,
    today: date,
    due_at: datetime,
) -> DigestOutcome:
    """Record today's digest as skipped, past its grace period. A channel with no digest
    before (a new install, a new digest channel) was not down: it just started late, which
    is said calmly, with when the first digest comes."""
    grace = workspace.digest_grace_hours
    first_start = not await repo.has_digest_history(place.channel)
    claimed = await repo.claim_digest(
        digest_date=today,
        channel=place.channel,
        kind="skipped",
        due_at=due_at,
        now=now,
        message=None,
        summary=(
            "first started after the grace period"
            if first_start
            else "missed while jobgate was down"
        ),
    )
    if not claimed:
        return DigestOutcome(DigestResult.ALREADY_SENT, "another process handled today's digest")
    if not first_start:
        log.warning(
            "the digest for %s was due at %s; jobgate was down until %s, past the %d-hour grace"
            " period, so it is skipped",
            today,
            due_at.isoformat(),
            now.isoformat(),
            grace,
        )
        return DigestOutcome(DigestResult.SKIPPED_MISSED, f"missed the {today} digest; skipped")
    upcoming = next_scheduled(
        today, at=place.time_for(workspace), zone=place.zone, days=workspace.digest_days
    )
    first = f"{upcoming:%a %Y-%m-%d %H:%M %Z}" if upcoming else "never (no digest days are set)"
    log.info(
        "no digest today (%s): jobgate started after its %s time and %d-hour grace period,"
        " and has posted no digest in this channel yet; the first goes out %s",
        today,
        f"{due_at:%H:%M %Z}",
        grace,
        first,
    )
    return DigestOutcome(
        DigestResult.SKIPPED_MISSED,
        f"no digest on {today} (started after it); the first goes out {first}",
    )


async def send_digest_if_due(
    repo: Repository, place: DigestPlace, now: datetime, *, force: bool = False
) -> DigestOutcome:
    """Post today's digest once: due at the configured local time on the configured days,
    sent late within the grace period, skipped (and logged) after it."""
    workspace = await repo.get_workspace_settings()
    timing, today, due_at = digest_timing(
        now,
        at=place.time_for(workspace),
        zone=place.zone,
        days=workspace.digest_days,
        grace=timedelta(hours=workspace.digest_grace_hours),
    )
    if force:
        facts = await build_digest(repo, place, now)
        await repo.claim_digest(
            digest_date=today,
            channel=place.channel,
            kind="forced",
            due_at=None,
            now=now,
            message=render_digest(facts),
            summary="\n".join(digest_lines(facts)),
        )
        return DigestOutcome(DigestResult.FORCED, f"queued an extra digest for {today}", facts)
    if timing in (DigestTiming.NOT_TODAY, DigestTiming.NOT_YET):
        return DigestOutcome(
            DigestResult.NOT_DUE, f"not due ({timing.value}, due {due_at:%Y-%m-%d %H:%M %Z})"
        )
    sent = await repo.digest_sent_on(today, place.channel)
    if sent:
        return DigestOutcome(
            DigestResult.ALREADY_SENT, f"today's digest was already handled ({sent})"
        )
    if timing is DigestTiming.MISSED:
        return await _skip_missed(repo, place, workspace, now, today=today, due_at=due_at)
    facts = await build_digest(repo, place, now)
    quiet = workspace.quiet_digest and not has_news(facts)
    claimed = await repo.claim_digest(
        digest_date=today,
        channel=place.channel,
        kind="quiet" if quiet else "scheduled",
        due_at=due_at,
        now=now,
        message=None if quiet else render_digest(facts),
        summary="\n".join(digest_lines(facts)),
    )
    if not claimed:
        return DigestOutcome(DigestResult.ALREADY_SENT, "another process sent today's digest")
    if quiet:
        return DigestOutcome(DigestResult.QUIET, "nothing to say today; no digest posted", facts)
    return DigestOutcome(DigestResult.SENT, f"queued the digest for {today}", facts)


async def flush_report_notifications(repo: Repository, channel: str, now: datetime) -> int:
    """One message per channel and one DM per person for everything since the last run."""
    return await repo.flush_notifications(
        channel=channel,
        now=now,
        compose=lambda events, personal: render_report_notice(events, personal=personal),
    )


async def follow_up_holds(repo: Repository, now: datetime) -> HoldRound:
    """Remind employers on their follow-up day; expire holds past their expiry."""
    return await repo.follow_up_holds(now)


async def post_digest_now(
    repo: Repository, place: DigestPlace, now: datetime, *, force: bool
) -> DigestOutcome:
    """`jobgate digest`: today's digest now, whatever the hour, unless today's was already
    handled or there is nothing to say and the quiet setting is on (then nothing is claimed:
    the scheduled digest still goes out if something comes in); `force` posts one anyway and
    says so."""
    facts = await build_digest(repo, place, now)
    today = now.astimezone(place.zone).date()
    quiet = not has_news(facts) and (await repo.get_workspace_settings()).quiet_digest
    if not force and quiet and not await repo.digest_sent_on(today, place.channel):
        return DigestOutcome(
            DigestResult.QUIET,
            "nothing to say today and the quiet-digest setting is on, so nothing was posted;"
            " the scheduled digest still runs. --force posts one anyway",
            facts,
        )
    message = render_digest(facts)
    summary = "\n".join(digest_lines(facts))
    if force:
        await repo.claim_digest(
            digest_date=today,
            channel=place.channel,
            kind="forced",
            due_at=None,
            now=now,
            message=message,
            summary=summary,
        )
        return DigestOutcome(
            DigestResult.FORCED, f"queued an extra digest for {today} (--force)", facts
        )
    claimed = await repo.claim_digest(
        digest_date=today,
        channel=place.channel,
        kind="scheduled",
        due_at=None,
        now=now,
        message=message,
        summary=summary,
    )
    if not claimed:
        sent = await repo.digest_sent_on(today, place.channel)
        return DigestOutcome(
            DigestResult.ALREADY_SENT,
            f"today's digest was already handled ({sent}); use --force to post another",
            facts,
        )
    return DigestOutcome(DigestResult.SENT, f"queued the digest for {today}", facts)
