"""Screening's CPU work (rules, fingerprints, duplicate checks) in a process of its own.

In the bot's process that work holds the GIL in long stretches, and every stretch makes the
event loop wait: under a flood of requests, acknowledgements queued behind the screener
(the GIL convoy). A worker process with its own read-only connection to the same database
file reads and screens each batch (`screening.screen_pending`) on the other core instead. If the worker dies, the
next batch starts a new one, and the batch in hand is screened in the bot's process.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import signal
import sqlite3
import threading
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TypeVar

from storage.db import BUSY_TIMEOUT_MS, Database, configure_connection

log = logging.getLogger(__name__)

T = TypeVar("T")

_worker_conn: sqlite3.Connection | None = None


PARENT_CHECK_S = 0.5


def _exit_with_parent(parent: int) -> None:
    """A worker whose bot was killed (kill -9, OOM) would otherwise wait forever on its queue:
    it holds that queue's write end itself, so it never sees end-of-file."""
    while os.getppid() == parent:
        time.sleep(PARENT_CHECK_S)
    os._exit(0)


def _start_worker(path: str, parent: int) -> None:
    global _worker_conn
    # Ctrl-C and a service manager's SIGTERM reach the whole process group: the bot shuts
    # the worker down itself after its batch (or the parent watch does, if the bot is gone)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    # the bot's pid comes from the bot: read here, it would be init's if the bot died first
    threading.Thread(
        target=_exit_with_parent, args=(parent,), name="parent-watch", daemon=True
    ).start()
    conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
    configure_connection(conn, writer=False)
    _worker_conn = conn


def _on_worker_connection(work: Callable[[sqlite3.Connection], T]) -> T:
    assert _worker_conn is not None, "the worker's initializer opens the connection"
    return work(_worker_conn)


class ScreeningProcess:
    """One worker process, started on first use ("spawn": nothing of the bot's threads or
    open connections is inherited)."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._executor: ProcessPoolExecutor | None = None
        self.restarts = 0

    def _pool(self) -> ProcessPoolExecutor:
        if self._executor is None:
            self._executor = ProcessPoolExecutor(
                max_workers=1,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_start_worker,
                initargs=(str(self._db.path), os.getpid()),
            )
        return self._executor

    async def run(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """`work(conn)` on the worker's read-only connection; `work` must pickle (a partial
        of a module-level function)."""
        loop = asyncio.get_running_loop()
        executor = self._pool()
        try:
            return await loop.run_in_executor(executor, _on_worker_connection, work)
        except BrokenProcessPool:
            # batches in flight together all see the same death: replace the worker once
            if self._executor is executor:
                log.warning("the screening process died; starting a new one")
                self._discard()
                self.restarts += 1
        # this batch in the bot's own process, so nothing waits for the new worker
        return await self._db.read_slow(work)

    def _discard(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None

    def worker_pids(self) -> list[int]:
        """The live worker's process id (tests kill it to show recovery)."""
        executor = self._executor
        processes = getattr(executor, "_processes", None) or {}
        return [pid for pid, process in processes.items() if process.is_alive()]

    async def close(self) -> None:
        executor, self._executor = self._executor, None
        if executor is not None:
            await asyncio.get_running_loop().run_in_executor(
                None, lambda: executor.shutdown(wait=True, cancel_futures=True)
            )
