"""The digest is sent exactly once per day and channel: across processes, restarts, late
starts and DST changes. Job functions are called with an explicit now on a real database."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.digest import DigestTiming, digest_timing, next_scheduled, scheduled_instant
from bot.jobs import DigestPlace, DigestResult, send_digest_if_due
from bot.models import Kind, Via
from bot.submissions import JobSubmission
from storage.db import Database
from storage.deliveries import StoredAnswer
from storage.repository import Repository
from tests.harness import job

NEW_YORK = ZoneInfo("America/New_York")
PLACE = DigestPlace("C0REVIEW", NEW_YORK, time(9, 0))
WEDNESDAY_9AM = datetime(2026, 11, 25, 14, 0, tzinfo=UTC)  # 09:00 in New York


async def open_repo(path: Path) -> Repository:
    return Repository(await Database.open(path))


async def seed_one_job(repo: Repository, now: datetime) -> None:
    await repo.ingest_submissions(
        Kind.JOB,
        [JobSubmission.model_validate(job())],
        webhook_id=None,
        endpoint="t",
        respond=lambda _: StoredAnswer(200, {}),
        now=now,
    )


async def digest_messages(repo: Repository) -> int:
    return await repo.db.read(
        lambda conn: conn.execute(
            "SELECT COUNT(*) FROM outbox WHERE kind = 'message' AND lane LIKE 'digest:%'"
        ).fetchone()[0]
    )


@pytest.fixture
async def repo(tmp_path: Path) -> AsyncIterator[Repository]:
    repository = await open_repo(tmp_path / "j.db")
    await seed_one_job(repository, WEDNESDAY_9AM - timedelta(days=1))
    try:
        yield repository
    finally:
        await repository.db.close()


async def test_due_at_the_local_time_and_not_before(repo: Repository) -> None:
    early = await send_digest_if_due(repo, PLACE, WEDNESDAY_9AM - timedelta(minutes=1))
    assert early.result is DigestResult.NOT_DUE
    sent = await send_digest_if_due(repo, PLACE, WEDNESDAY_9AM)
    assert sent.result is DigestResult.SENT
    again = await send_digest_if_due(repo, PLACE, WEDNESDAY_9AM + timedelta(minutes=1))
    assert again.result is DigestResult.ALREADY_SENT
    assert await digest_messages(repo) == 1


async def test_two_processes_firing_at_the_same_minute_send_one(tmp_path: Path) -> None:
    first = await open_repo(tmp_path / "j.db")
    second = await open_repo(tmp_path / "j.db")
    try:
        await seed_one_job(first, WEDNESDAY_9AM - timedelta(days=1))
        results = await asyncio.gather(
            *(send_digest_if_due(r, PLACE, WEDNESDAY_9AM) for r in (first, second, first, second))
        )
        assert sorted(r.result.value for r in results).count("sent") == 1
        assert await digest_messages(first) == 1
    finally:
        await first.db.close()
        await second.db.close()


async def test_a_restart_after_the_send_sends_nothing(tmp_path: Path) -> None:
    repo = await open_repo(tmp_path / "j.db")
    await seed_one_job(repo, WEDNESDAY_9AM - timedelta(days=1))
    assert (await send_digest_if_due(repo, PLACE, WEDNESDAY_9AM)).result is DigestResult.SENT
    await repo.db.close()
    restarted = await open_repo(tmp_path / "j.db")
    try:
        later = await send_digest_if_due(restarted, PLACE, WEDNESDAY_9AM + timedelta(minutes=30))
        assert later.result is DigestResult.ALREADY_SENT
        assert await digest_messages(restarted) == 1
    finally:
        await restarted.db.close()


async def test_two_hours_late_still_sends_one(repo: Repository) -> None:
    late = await send_digest_if_due(repo, PLACE, WEDNESDAY_9AM + timedelta(hours=2))
    assert late.result is DigestResult.SENT
    assert await digest_messages(repo) == 1


async def test_four_hours_late_is_skipped_and_logged(
    repo: Repository, caplog: pytest.LogCaptureFixture
) -> None:
    # yesterday's digest went out, so today's missing one means jobgate was down
    assert (await send_digest_if_due(repo, PLACE, WEDNESDAY_9AM - timedelta(days=1))).result in (
        DigestResult.SENT,
        DigestResult.QUIET,
    )
    with caplog.at_level(logging.WARNING, logger="bot.jobs"):
        late = await send_digest_if_due(repo, PLACE, WEDNESDAY_9AM + timedelta(hours=4))
    assert late.result is DigestResult.SKIPPED_MISSED
    assert "skipped" in caplog.text and "grace" in caplog.text and "was down" in caplog.text
    assert await digest_messages(repo) == 1  # yesterday's only
    again = await send_digest_if_due(repo, PLACE, WEDNESDAY_9AM + timedelta(hours=5))
    assert again.result is DigestResult.ALREADY_SENT


async def test_a_first_start_after_the_grace_period_is_no_outage(
    repo: Repository, caplog: pytest.LogCaptureFixture
) -> None:
    # a new install started at 13:00 on a Wednesday: no digest was ever handled here
    with caplog.at_level(logging.INFO, logger="bot.jobs"):
        late = await send_digest_if_due(repo, PLACE, WEDNESDAY_9AM + timedelta(hours=4))
    assert late.result is DigestResult.SKIPPED_MISSED
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert "was down" not in caplog.text
    assert "the first goes out Thu 2026-11-26 09:00 EST" in late.detail
    assert await digest_messages(repo) == 0
    again = await send_digest_if_due(repo, PLACE, WEDNESDAY_9AM + timedelta(hours=5))
    assert again.result is DigestResult.ALREADY_SENT
    thursday = await send_digest_if_due(repo, PLACE, WEDNESDAY_9AM + timedelta(days=1))
    assert thursday.result is DigestResult.SENT


def test_the_next_digest_skips_days_off_and_crosses_dst() -> None:
    friday = date(2026, 10, 30)  # New York leaves daylight time on Sunday, November 1
    monday = next_scheduled(friday, at=time(9, 0), zone=NEW_YORK, days=(0, 1, 2, 3, 4))
    assert monday == datetime(2026, 11, 2, 14, 0, tzinfo=UTC)  # 09:00 EST
    saturday_only = next_scheduled(friday, at=time(9, 0), zone=NEW_YORK, days=(5,))
    assert saturday_only == datetime(2026, 10, 31, 13, 0, tzinfo=UTC)  # 09:00 EDT
    assert next_scheduled(friday, at=time(9, 0), zone=NEW_YORK, days=()) is None


async def test_force_sends_another_and_says_so(repo: Repository) -> None:
    await send_digest_if_due(repo, PLACE, WEDNESDAY_9AM)
    forced = await send_digest_if_due(repo, PLACE, WEDNESDAY_9AM + timedelta(hours=1), force=True)
    assert forced.result is DigestResult.FORCED and "extra" in forced.detail
    assert await digest_messages(repo) == 2


async def test_weekends_are_skipped_by_default(repo: Repository) -> None:
    saturday = datetime(2026, 11, 28, 14, 0, tzinfo=UTC)
    assert (await send_digest_if_due(repo, PLACE, saturday)).result is DigestResult.NOT_DUE


async def test_quiet_days_post_nothing(tmp_path: Path) -> None:
    repo = await open_repo(tmp_path / "j.db")
    try:
        quiet = await send_digest_if_due(repo, PLACE, WEDNESDAY_9AM)
        assert quiet.result is DigestResult.QUIET and await digest_messages(repo) == 0
        await repo.save_workspace_setting(
            "quiet_digest", False, actor="UADMIN", via=Via.COMMAND, now=WEDNESDAY_9AM
        )
        nextday = await send_digest_if_due(repo, PLACE, WEDNESDAY_9AM + timedelta(days=1))
        assert nextday.result is DigestResult.SENT
    finally:
        await repo.db.close()


@pytest.mark.parametrize(
    ("day", "at"),
    [
        (date(2026, 3, 8), time(2, 30)),  # spring forward: 02:30 does not exist
        (date(2026, 3, 8), time(9, 0)),
        (date(2026, 11, 1), time(1, 30)),  # fall back: 01:30 happens twice
        (date(2026, 11, 1), time(9, 0)),
    ],
)
async def test_dst_days_get_exactly_one_digest(tmp_path: Path, day: date, at: time) -> None:
    repo = await open_repo(tmp_path / "j.db")
    place = DigestPlace("C0REVIEW", NEW_YORK, at)
    try:
        await seed_one_job(repo, datetime(2026, 1, 1, tzinfo=UTC))
        await repo.save_workspace_setting(
            "digest_days",
            [0, 1, 2, 3, 4, 5, 6],
            actor="UADMIN",
            via=Via.COMMAND,
            now=datetime(2026, 1, 1, tzinfo=UTC),
        )
        start = datetime.combine(day, time(0), tzinfo=NEW_YORK).astimezone(UTC)
        results = []
        for minute in range(0, 12 * 60, 1):
            outcome = await send_digest_if_due(repo, place, start + timedelta(minutes=minute))
            results.append(outcome.result)
        assert results.count(DigestResult.SENT) == 1
        assert await digest_messages(repo) == 1
    finally:
        await repo.db.close()


def test_scheduled_instants_on_dst_days() -> None:
    gap = scheduled_instant(date(2026, 3, 8), time(2, 30), NEW_YORK)
    assert gap.astimezone(NEW_YORK).hour == 3  # moved past the missing hour
    twice = scheduled_instant(date(2026, 11, 1), time(1, 30), NEW_YORK)
    assert twice.astimezone(UTC).hour == 5  # the first 01:30 (EDT, UTC-4)
    timing, _, _ = digest_timing(
        datetime(2026, 11, 1, 6, 31, tzinfo=UTC),
        at=time(1, 30),
        zone=NEW_YORK,
        days=(6,),
        grace=timedelta(hours=3),
    )
    assert timing is DigestTiming.DUE
