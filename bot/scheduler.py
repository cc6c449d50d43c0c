"""APScheduler in the bot's process: the digest at its local time, and a minute tick for
report notifications, hold follow-ups and a digest missed while jobgate was down. Jobs are
re-added at start-up with fixed ids; what they did is recorded in the database."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bot import jobs
from bot.clock import Clock, to_db
from storage.repository import Repository

log = logging.getLogger(__name__)

DIGEST_JOB = "jobgate-digest"
TICK_JOB = "jobgate-minute"
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class Scheduler:
    def __init__(
        self, repo: Repository, place: jobs.DigestPlace, clock: Clock, *, tick_seconds: float = 60
    ) -> None:
        self._repo = repo
        self._place = place
        self._clock = clock
        self._tick_seconds = tick_seconds
        self._scheduler = AsyncIOScheduler(timezone=place.zone)
        self.last_runs: dict[str, str] = {}
        self.failures = 0

    async def start(self) -> None:
        """Add the jobs (replacing any of the same id) and catch up on a missed digest."""
        workspace = await self._repo.get_workspace_settings()
        at = self._place.time_for(workspace)
        days = ",".join(WEEKDAYS[d] for d in sorted(set(workspace.digest_days))) or "mon"
        self._scheduler.add_job(
            self._run,
            CronTrigger(
                day_of_week=days, hour=at.hour, minute=at.minute, timezone=self._place.zone
            ),
            args=["digest", self.digest],
            id=DIGEST_JOB,
            replace_existing=True,
            coalesce=True,
            max_instances=1,
            misfire_grace_time=3600,
        )
        self._scheduler.add_job(
            self._run,
            IntervalTrigger(seconds=self._tick_seconds),
            args=["minute", self.minute],
            id=TICK_JOB,
            replace_existing=True,
            coalesce=True,
            max_instances=1,
        )
        self._scheduler.start()
        await self._run("startup", self.minute)

    async def stop(self) -> None:
        if self._scheduler.running:
            self._scheduler.shutdown(wait=False)

    async def _run(self, name: str, job: Callable[[datetime], Awaitable[Any]]) -> None:
        now = self._clock.now()
        try:
            await job(now)
        except Exception:
            self.failures += 1
            log.exception("scheduled job %s failed; it runs again at its next time", name)
        self.last_runs[name] = to_db(now)

    async def digest(self, now: datetime) -> jobs.DigestOutcome:
        outcome = await jobs.send_digest_if_due(self._repo, self._place, now)
        if outcome.result is not jobs.DigestResult.NOT_DUE:
            log.info("digest: %s", outcome.detail)
        return outcome

    async def minute(self, now: datetime) -> None:
        """Report notifications, hold follow-ups, and the digest if it is due and not sent."""
        await jobs.flush_report_notifications(self._repo, self._place.channel, now)
        await jobs.follow_up_holds(self._repo, now)
        await self.digest(now)

    def state(self) -> dict[str, Any]:
        """For /healthz."""
        return {
            "running": self._scheduler.running,
            "jobs": {
                job.id: job.next_run_time.isoformat() if job.next_run_time else None
                for job in self._scheduler.get_jobs()
            },
            "last_runs": dict(self.last_runs),
            "failures": self.failures,
        }
