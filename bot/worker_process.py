"""A worker process of the bot's own, for CPU work that would otherwise hold the GIL.

In the bot's process, long stretches of Python work make the event loop and the database
writer wait: acknowledgements queue behind them. A worker started with "spawn" inherits
none of the bot's threads or open connections; it ignores Ctrl-C and SIGTERM (the bot
shuts it down after the work in hand) and exits by itself if the bot is killed. If it dies,
the work in hand raises `WorkerGone` and the next call starts a new worker.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")

PARENT_CHECK_S = 0.5
CLOSE_WAIT_S = 10.0


class WorkerGone(Exception):
    """The worker died with the work in hand."""


def _exit_with_parent(parent: int) -> None:
    """A worker whose bot was killed (kill -9, OOM) would otherwise wait forever on its queue:
    it holds that queue's write end itself, so it never sees end-of-file."""
    while os.getppid() == parent:
        time.sleep(PARENT_CHECK_S)
    os._exit(0)


def _start_worker(
    parent: int, setup: Callable[..., None] | None, setup_args: tuple[Any, ...]
) -> None:
    # Ctrl-C and a service manager's SIGTERM reach the whole process group: the bot shuts
    # the worker down itself after its work (or the parent watch does, if the bot is gone)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    # the bot's pid comes from the bot: read here, it would be init's if the bot died first
    threading.Thread(
        target=_exit_with_parent, args=(parent,), name="parent-watch", daemon=True
    ).start()
    if setup is not None:
        setup(*setup_args)


def _nothing() -> None:
    return None


class WorkerProcess:
    """One worker process, started on first use or by `warm`. `setup(*setup_args)` runs in
    it first; like the work, it must pickle (a module-level function)."""

    def __init__(
        self,
        name: str,
        setup: Callable[..., None] | None = None,
        setup_args: tuple[Any, ...] = (),
        *,
        timeout_s: float | None = None,
        close_wait_s: float = CLOSE_WAIT_S,
    ) -> None:
        self.name = name
        self._setup = setup
        self._setup_args = setup_args
        # work that takes longer means a stuck worker: it is killed and replaced
        self._timeout_s = timeout_s
        self._close_wait_s = close_wait_s
        self._executor: ProcessPoolExecutor | None = None
        self.restarts = 0

    def _pool(self) -> ProcessPoolExecutor:
        if self._executor is None:
            self._executor = ProcessPoolExecutor(
                max_workers=1,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_start_worker,
                initargs=(os.getpid(), self._setup, self._setup_args),
            )
        return self._executor

    def warm(self) -> None:
        """Start the worker now, so the first call does not wait for it to start (nor for
        `setup`, which imports what the work needs)."""
        self._pool().submit(_nothing)

    async def run(self, work: Callable[..., T], *args: Any) -> T:
        """`work(*args)` in the worker; WorkerGone if the worker died meanwhile, or was
        stuck past the timeout."""
        executor = self._pool()
        try:
            # a worker that died while idle breaks the pool before this call's submit
            done = asyncio.get_running_loop().run_in_executor(executor, work, *args)
            finished, _ = await asyncio.wait({done}, timeout=self._timeout_s)
            if not finished:
                done.cancel()
                self._replace(executor, "is stuck; killing it")
                raise WorkerGone(self.name)
            return done.result()
        except BrokenProcessPool:
            self._replace(executor, "died")
            raise WorkerGone(self.name) from None

    def _replace(self, executor: ProcessPoolExecutor, what: str) -> None:
        """Kill and drop the worker, once: calls in flight together all see the same end."""
        if self._executor is not executor:
            return
        log.warning("the %s process %s; starting a new one", self.name, what)
        _kill(_live_pids(executor))
        executor.shutdown(wait=False, cancel_futures=True)
        self._executor = None
        self.restarts += 1

    def worker_pids(self) -> list[int]:
        """The live worker's process id (tests kill it to show recovery)."""
        return _live_pids(self._executor)

    async def close(self) -> None:
        """Stop the worker after the work in hand, or kill it after `close_wait_s`."""
        executor, self._executor = self._executor, None
        if executor is None:
            return
        pids = _live_pids(executor)
        done = asyncio.get_running_loop().run_in_executor(
            None, lambda: executor.shutdown(wait=True, cancel_futures=True)
        )
        finished, _ = await asyncio.wait({done}, timeout=self._close_wait_s)
        if not finished:
            log.warning("the %s process did not stop; killing it", self.name)
            _kill(pids)
            # the pool notices the kill and finishes its shutdown: that does not take long
            await asyncio.wait({done}, timeout=CLOSE_WAIT_S)


def _live_pids(executor: ProcessPoolExecutor | None) -> list[int]:
    processes = getattr(executor, "_processes", None) or {}
    return [pid for pid, process in processes.items() if process.is_alive()]


def _kill(pids: list[int]) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
