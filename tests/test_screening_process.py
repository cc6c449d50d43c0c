"""Screening in its worker process (what `jobgate run` does): the same verdicts as on a
thread, and a worker that dies is replaced without losing the batch in hand."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from functools import partial
from pathlib import Path

import pytest

from bot import screener as screener_module
from bot.clock import SystemClock
from bot.models import Kind
from bot.screener import Screener
from storage.db import Database
from storage.repository import Repository
from storage.screening import LocalScreening, compute_local_screening, screen_pending
from storage.screening_process import ScreeningProcess
from tests.harness import Harness, job, start_harness, stop_harness
from tests.processes import alive, gone
from tests.reliability.support import healthz
from tests.search_data import ingest
from tests.test_moderation_flow import SCAM, card_text

LONG = (
    "Join our analytics team for the summer: build dashboards in SQL and Python, clean the "
    "data behind our weekly reports, and present what you find to the product managers."
)


def _worker(h: Harness) -> list[int]:
    process = h.jobgate.screening_process
    assert process is not None, "the harness was asked for a screening process"
    return process.worker_pids()


def nothing_to_screen(now: datetime) -> Callable[[sqlite3.Connection], list[LocalScreening]]:
    """A batch of no requests: all the worker does is answer."""
    return partial(compute_local_screening, inputs=[], now=now, url_check=False)


@asynccontextmanager
async def screening_worker(tmp_path: Path) -> AsyncIterator[tuple[Repository, ScreeningProcess]]:
    """A repository on a fresh database file, screening in its worker process; both closed
    on the way out."""
    db = await Database.open(tmp_path / "jobgate.db")
    repo = Repository(db)
    process = ScreeningProcess(db)
    repo.screen_in_process(process)
    try:
        yield repo, process
    finally:
        await process.close()
        await db.close()


async def test_the_worker_flags_risk_and_finds_duplicates(tmp_path: Path) -> None:
    h = await start_harness(tmp_path, screening_process=True)
    try:
        await h.platform.send_jobs(job("job_original", description=LONG))
        await h.settle()
        await h.platform.send_jobs(
            [
                job("job_repost", description=LONG + " "),
                job("job_scam", title="Remote Assistant", description=SCAM),
            ]
        )
        await h.settle()

        pids = _worker(h)
        assert len(pids) == 1 and pids[0] != os.getpid()
        repost = card_text(await h.card("job_repost"))
        assert "Possible duplicate" in repost and "job_original" in repost
        scam = card_text(await h.card("job_scam"))
        assert "Risk signals" in scam
        assert "Possible duplicate" not in card_text(await h.card("job_original"))
        assert await h.repo.count_unscreened() == 0
    finally:
        await stop_harness(h)
    assert await gone(pids[0]), "stop() leaves no screening process behind"


async def test_a_killed_worker_is_replaced_and_its_batch_still_screened(tmp_path: Path) -> None:
    h = await start_harness(tmp_path, screening_process=True)
    try:
        await h.platform.send_jobs(job("job_first", description=LONG))
        await h.settle()
        [first] = _worker(h)
        os.kill(first, signal.SIGKILL)
        assert await gone(first)

        await h.platform.send_jobs(job("job_scam", title="Remote Assistant", description=SCAM))
        await h.settle()
        assert "Risk signals" in card_text(await h.card("job_scam"))
        process = h.jobgate.screening_process
        assert process is not None and process.restarts == 1

        await h.platform.send_jobs(job("job_after", description=LONG + " again"))
        await h.settle()
        assert "Possible duplicate" in card_text(await h.card("job_after"))
        [second] = _worker(h)
        assert second != first
        assert await h.repo.count_unscreened() == 0
        health = await healthz(h)
        assert health["screening"] == {
            "waiting": 0,
            "runs_in": "worker process",
            "worker_restarts": 1,
        }
    finally:
        await stop_harness(h)


async def test_the_worker_exits_when_the_bot_is_killed(tmp_path: Path) -> None:
    # the bot in a process of its own, killed as the OOM killer or kill -9 would
    script = (
        "import asyncio, sys\n"
        "from storage.db import Database\n"
        "from functools import partial\n"
        "from bot.clock import SystemClock\n"
        "from storage.screening import compute_local_screening\n"
        "from storage.screening_process import ScreeningProcess\n"
        "async def main():\n"
        "    db = await Database.open(sys.argv[1])\n"
        "    process = ScreeningProcess(db)\n"
        "    now = SystemClock().now()\n"
        "    await process.run(partial(compute_local_screening, inputs=[], now=now,"
        " url_check=False))\n"
        "    print(process.worker_pids()[0], flush=True)\n"
        "    await asyncio.sleep(60)\n"
        "asyncio.run(main())\n"
    )
    bot = await asyncio.create_subprocess_exec(
        sys.executable, "-c", script, str(tmp_path / "jobgate.db"), stdout=asyncio.subprocess.PIPE
    )
    try:
        assert bot.stdout is not None
        line = await asyncio.wait_for(bot.stdout.readline(), 30)
        worker = int(line)
        assert alive(worker)
    finally:
        bot.kill()
        await bot.wait()
    assert await gone(worker), "an orphaned screening worker stays behind"


def _screen_and_say_where(conn: sqlite3.Connection, *, now: datetime) -> tuple[int, list[int]]:
    """Runs in the worker: its pid, and the ids it read and screened itself."""
    screened = screen_pending(conn, limit=10, stage="pending", now=now, url_check=False)
    return os.getpid(), [result.request_id for result in screened]


async def test_the_worker_reads_the_requests_it_screens_itself(tmp_path: Path) -> None:
    async with screening_worker(tmp_path) as (repo, process):
        now = SystemClock().now()
        await ingest(repo, Kind.JOB, [job("job_1"), job("job_2", title="Remote Assistant")])
        where, ids = await process.run(partial(_screen_and_say_where, now=now))
        assert where == process.worker_pids()[0] != os.getpid()
        assert len(ids) == 2
        # the repository's path: the same two, screened there, saved here
        local = await repo.screen_pending(10, now, url_check=False)
        assert sorted(r.request_id for r in local) == sorted(ids)
        await repo.save_local_screening(local, now, url_check=False)
        assert await repo.count_unscreened() == 0
        assert await repo.screen_pending(10, now, url_check=False) == []


async def test_batches_in_flight_when_the_worker_dies_replace_it_once(tmp_path: Path) -> None:
    # the harness's settle() and the screener's own loop can both be screening at that moment
    async with screening_worker(tmp_path) as (_, process):
        now = SystemClock().now()
        assert await process.run(nothing_to_screen(now)) == []
        [first] = process.worker_pids()
        # a frozen worker takes both batches and finishes neither: both are in flight when
        # it is killed
        os.kill(first, signal.SIGSTOP)
        batches = [asyncio.ensure_future(process.run(nothing_to_screen(now))) for _ in "ab"]
        await asyncio.sleep(0.2)
        assert not any(batch.done() for batch in batches)
        os.kill(first, signal.SIGKILL)
        both = await asyncio.gather(*batches)

        assert both == [[], []]  # screened in the bot's process meanwhile
        assert process.restarts == 1
        assert await process.run(nothing_to_screen(now)) == []
        [second] = process.worker_pids()
        assert second != first


async def test_ctrl_c_and_sigterm_leave_the_worker_to_the_bot(tmp_path: Path) -> None:
    # both reach the whole process group; the bot, not the signal, ends its worker's batch
    async with screening_worker(tmp_path) as (_, process):
        now = SystemClock().now()
        assert await process.run(nothing_to_screen(now)) == []
        [worker] = process.worker_pids()
        os.kill(worker, signal.SIGINT)
        os.kill(worker, signal.SIGTERM)
        await asyncio.sleep(0.3)
        assert alive(worker)
        assert await process.run(nothing_to_screen(now)) == []
        assert process.worker_pids() == [worker] and process.restarts == 0
    assert await gone(worker)


async def test_stop_does_not_wait_out_a_flood_pause(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Under a flood the screener pauses between batches; stop() ends the pause."""
    monkeypatch.setattr(screener_module, "YIELD", 1000.0)  # every pause is the longest
    monkeypatch.setattr(screener_module, "MAX_PAUSE_S", 60.0)
    db = await Database.open(tmp_path / "jobgate.db")
    repo = Repository(db)
    screener = Screener(repo, None, SystemClock())
    try:
        await ingest(repo, Kind.JOB, [job(f"job_{n}") for n in range(screener_module.BATCH + 5)])
        screener.wake()
        running = asyncio.create_task(screener.run())
        await asyncio.sleep(0)  # it takes the wake-up and starts the first batch
        screener.wake()  # more arrive meanwhile: after this batch it pauses for 60 s
        for _ in range(1000):  # at most 10 s for the first batch
            if screener.screened >= screener_module.BATCH:
                break
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.1)
        assert not running.done() and screener.screened == screener_module.BATCH  # paused
        await screener.stop()
        await asyncio.wait_for(running, 5)
    finally:
        await db.close()
