"""Large inbound arrays parsed, validated and prepared in a worker process.

An array of 1,000 jobs takes 50-70 ms of CPU to validate and prepare (`storage/prepared.py`).
In the bot's process that work holds the GIL the database writer and every acknowledgement
need, and under a flood of arrays the bot is bound to one core. The worker does it on the
other core and hands back `Prepared` tuples, which take about 3 ms per 1,000 to unpickle
(bench/README.md, "Arrays parsed in a worker process").

Only a clean body is prepared there. Anything off in it (bad JSON, a problem in a field, a
possible lone surrogate) comes back as None, and the bot's own parse finds and words every
problem, so the answers are the same either way. If the worker dies, the call is parsed in
the bot's process and the next one starts a new worker.
"""

from __future__ import annotations

from bot.submissions import parse_requests_json
from bot.worker_process import WorkerGone, WorkerProcess
from storage.prepared import Prepared, prepare

# Bodies smaller than this (about 90 jobs) are parsed in the bot's process: the hop to the
# worker and back costs more than their parse.
PARSE_IN_WORKER_FROM = 64 * 1024


def prepared_body(source: bytes, employers: bool) -> tuple[list[Prepared], bool] | None:
    """(items ready to store, was_array) of a clean body, or None if anything is off."""
    parsed = parse_requests_json(source, employers=employers)
    if parsed is None:
        return None
    items, was_array = parsed
    return prepare(items), was_array


class ParseProcess:
    """The parse worker (bot/worker_process.py), started with the bot."""

    def __init__(self) -> None:
        self._worker = WorkerProcess("parse")
        self.bodies_prepared = 0

    @property
    def restarts(self) -> int:
        return self._worker.restarts

    def warm(self) -> None:
        self._worker.warm()

    async def prepared_body(
        self, source: bytes, *, employers: bool
    ) -> tuple[list[Prepared], bool] | None:
        """`prepared_body` in the worker; None also when the worker died on it."""
        try:
            prepared = await self._worker.run(prepared_body, source, employers)
        except WorkerGone:
            return None
        if prepared is not None:
            self.bodies_prepared += 1
        return prepared

    def worker_pids(self) -> list[int]:
        return self._worker.worker_pids()

    async def close(self) -> None:
        await self._worker.close()
