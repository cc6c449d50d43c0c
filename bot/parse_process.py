"""Large inbound arrays parsed, validated and prepared in a worker process.

An array of 1,000 jobs takes 50-70 ms of CPU to validate and prepare (`storage/prepared.py`).
In the bot's process that work holds the GIL the database writer and every acknowledgement
need, and under a flood of arrays the bot is bound to one core. The worker does it on the
other core and hands back `Prepared` tuples, which take about 3 ms per 1,000 to unpickle
(bench/README.md, "Arrays parsed in a worker process").

The worker takes both of the bot's parses: the fast one, and the careful one for a body the
fast one declines (an escaped emoji, as json.dumps writes it, is enough). A body with a
problem comes back as None, and the bot's careful parse finds and words every problem, so
the answers are the same either way. If the worker dies or takes longer than
PARSE_TIMEOUT_S, the call is parsed in the bot's process and the next one starts a new
worker.
"""

from __future__ import annotations

from bot.submissions import NotJson, parse_requests_body
from bot.worker_process import WorkerProcess
from storage.prepared import Prepared, prepare

# Bodies smaller than this (about 90 jobs) are parsed in the bot's process: the hop to the
# worker and back costs more than their parse.
PARSE_IN_WORKER_FROM = 64 * 1024
# A body of at most 1 MiB takes about 0.1 s; a worker this late is stuck and is replaced.
PARSE_TIMEOUT_S = 10.0


def prepared_body(source: bytes, employers: bool) -> tuple[list[Prepared], bool] | None:
    """(items ready to store, was_array), or None if the body has a problem."""
    try:
        items, was_array, problems = parse_requests_body(source, employers=employers)
    except NotJson:
        return None
    return None if problems else (prepare(items), was_array)


def _loaded() -> None:
    """The worker's setup: importing this module to unpickle it loads the models and the
    parse, so the first body does not wait for them."""


class ParseProcess:
    """The parse worker (bot/worker_process.py), started with the bot."""

    def __init__(self, *, timeout_s: float = PARSE_TIMEOUT_S) -> None:
        self._worker = WorkerProcess("parse", _loaded, timeout_s=timeout_s)
        self.bodies_prepared = 0

    @property
    def restarts(self) -> int:
        return self._worker.restarts

    def warm(self) -> None:
        self._worker.warm()

    async def prepared_body(
        self, source: bytes, *, employers: bool
    ) -> tuple[list[Prepared], bool] | None:
        """`prepared_body` in the worker; WorkerGone if the worker died or was stuck."""
        prepared = await self._worker.run(prepared_body, source, employers)
        if prepared is not None:
            self.bodies_prepared += 1
        return prepared

    def worker_pids(self) -> list[int]:
        return self._worker.worker_pids()

    async def close(self) -> None:
        await self._worker.close()
