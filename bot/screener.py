"""Screens new and changed requests after they are stored, off the ack path: the rules,
duplicates, then URL reputation; decides trusted employers' auto-approvals; posts the card."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from bot.clock import Clock
from bot.screening import Severity, Signal
from bot.web_risk import UrlVerdict, WebRiskClient, describe
from storage.repository import Repository
from storage.screening import LocalScreening, UrlScreening

log = logging.getLogger(__name__)

BATCH = 100
IDLE_POLL_S = 1.0
# While requests keep arriving, screening takes at most 1 / (1 + YIELD) of the time, so the
# acknowledgements of a flood are not slowed by it (cards wait for Slack's ~1 post/s anyway).
YIELD = 3.0
MAX_PAUSE_S = 1.0


def url_signals(verdicts: list[UrlVerdict]) -> tuple[Signal, ...]:
    unsafe = [v for v in verdicts if v.unsafe]
    if not unsafe:
        return ()
    threats = sorted({t for v in unsafe for t in v.threat_types})
    return (
        Signal(
            "unsafe_url",
            Severity.HIGH,
            evidence=", ".join(v.url for v in unsafe)[:200],
            explanation="Google Web Risk lists a link as " + ", ".join(threats),
        ),
    )


def url_checks(verdicts: list[UrlVerdict]) -> dict[str, Any]:
    """The summary kept with the request and shown on its card."""
    failed = [v for v in verdicts if not v.checked]
    summary = describe(verdicts) or f"no threats found in {len(verdicts)} link(s)"
    return {"state": "done", "summary": summary, "failed": bool(failed), "checked": len(verdicts)}


class Screener:
    def __init__(self, repo: Repository, web_risk: WebRiskClient | None, clock: Clock) -> None:
        self._repo = repo
        self._web_risk = web_risk if web_risk is not None and web_risk.enabled else None
        self._clock = clock
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()
        self.screened = 0

    @property
    def checks_urls(self) -> bool:
        return self._web_risk is not None

    def wake(self) -> None:
        self._wake.set()

    async def run(self) -> None:
        """Screen until stopped; wakes when requests are stored, polls otherwise."""
        while not self._stopping.is_set():
            self._wake.clear()
            loop = asyncio.get_running_loop()
            started = loop.time()
            try:
                busy = await self.screen_batch()
            except Exception:
                log.exception("screening failed; retrying shortly")
                busy = 0
            if busy:
                if self._wake.is_set():  # more arrived meanwhile: a flood, give way to it
                    pause = min(MAX_PAUSE_S, (loop.time() - started) * YIELD)
                    with contextlib.suppress(TimeoutError):  # stop() need not wait it out
                        await asyncio.wait_for(self._stopping.wait(), pause)
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), IDLE_POLL_S)

    async def stop(self) -> None:
        self._stopping.set()
        self._wake.set()

    async def screen_batch(self) -> int:
        """Screen up to BATCH waiting requests (and finish waiting URL checks)."""
        now = self._clock.now()
        local = await self._repo.screen_pending(BATCH, now, url_check=self.checks_urls)
        if local:
            await self._repo.save_local_screening(
                local, self._clock.now(), url_check=self.checks_urls
            )
            if self.checks_urls:
                await self._check_urls(local)
        else:
            local = await self._repo.screen_pending(BATCH, now, url_check=True, stage="urls")
            if local:
                await self._check_urls(local)
        self.screened += len(local)
        return len(local)

    async def _check_urls(self, local: list[LocalScreening]) -> None:
        assert self._web_risk is not None
        client = self._web_risk

        async def one(item: LocalScreening) -> UrlScreening:
            verdicts = await client.check_all(list(item.urls)) if item.urls else []
            return UrlScreening(
                item.request_id, item.version, url_checks(verdicts), url_signals(verdicts)
            )

        results = await asyncio.gather(*(one(item) for item in local))
        await self._repo.save_url_screening(list(results), self._clock.now())
