"""Screening's CPU work (rules, fingerprints, duplicate checks) in a process of its own.

In the bot's process that work holds the GIL in long stretches, and every stretch makes the
event loop wait: under a flood of requests, acknowledgements queued behind the screener
(the GIL convoy). A worker process with its own read-only connection to the same database
file reads and screens each batch (`screening.screen_pending`) on the other core instead. If the worker dies, the
next batch starts a new one, and the batch in hand is screened in the bot's process
(bot/worker_process.py).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import TypeVar

from bot.worker_process import WorkerGone, WorkerProcess
from storage.db import BUSY_TIMEOUT_MS, Database, configure_connection

T = TypeVar("T")

_worker_conn: sqlite3.Connection | None = None


def _open_connection(path: str) -> None:
    global _worker_conn
    conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
    configure_connection(conn, writer=False)
    _worker_conn = conn


def _on_worker_connection(work: Callable[[sqlite3.Connection], T]) -> T:
    assert _worker_conn is not None, "the worker's setup opens the connection"
    return work(_worker_conn)


class ScreeningProcess:
    """The screening worker (bot/worker_process.py), started on first use."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._worker = WorkerProcess("screening", _open_connection, (str(db.path),))

    @property
    def restarts(self) -> int:
        return self._worker.restarts

    async def run(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """`work(conn)` on the worker's read-only connection; `work` must pickle (a partial
        of a module-level function)."""
        try:
            return await self._worker.run(_on_worker_connection, work)
        except WorkerGone:
            # this batch in the bot's own process, so nothing waits for the new worker
            return await self._db.read_slow(work)

    def worker_pids(self) -> list[int]:
        """The live worker's process id (tests kill it to show recovery)."""
        return self._worker.worker_pids()

    async def close(self) -> None:
        await self._worker.close()
