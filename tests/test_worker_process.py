"""bot/worker_process.py's close(): the work in hand is finished, but a worker that does not
stop within the wait is killed, so stopping the bot never hangs on it."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from bot.worker_process import WorkerGone, WorkerProcess
from tests.processes import gone


def _work(started: str, seconds: float) -> str:
    """Runs in the worker: says it has started, then takes `seconds`."""
    Path(started).touch()
    time.sleep(seconds)
    return "done"


async def _started(worker: WorkerProcess, flag: Path) -> int:
    deadline = asyncio.get_running_loop().time() + 30
    while not await asyncio.to_thread(flag.exists):
        assert asyncio.get_running_loop().time() < deadline, "the work never started"
        await asyncio.sleep(0.02)
    [pid] = worker.worker_pids()
    return pid


async def test_close_waits_for_the_work_in_hand(tmp_path: Path) -> None:
    worker = WorkerProcess("test", close_wait_s=30)
    flag = tmp_path / "started"
    in_hand = asyncio.ensure_future(worker.run(_work, str(flag), 0.5))
    pid = await _started(worker, flag)

    await worker.close()

    assert await asyncio.wait_for(in_hand, 5) == "done", "the work in hand was not finished"
    assert await gone(pid, timeout=5)


async def test_close_kills_a_worker_that_does_not_stop_in_time(tmp_path: Path) -> None:
    worker = WorkerProcess("test", close_wait_s=0.5)
    flag = tmp_path / "started"
    in_hand = asyncio.ensure_future(worker.run(_work, str(flag), 60))
    pid = await _started(worker, flag)

    loop = asyncio.get_running_loop()
    began = loop.time()
    await worker.close()

    assert loop.time() - began < 5, "close() waited for the 60 s of work"
    assert await gone(pid, timeout=2), "the worker was left running"
    with pytest.raises(WorkerGone):
        await asyncio.wait_for(in_hand, 5)
