"""Slack Web API clients: one shared HTTP session (keep-alive), retry policy per use."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

INTERACTIVE_TIMEOUT_S = 10
OUTBOX_TIMEOUT_S = 15


def interactive_retry_handlers() -> list[AsyncRetryHandler]:
    """For calls made while a person waits (views.open, chat.postEphemeral): a 429 is retried
    after Retry-After and a 500/503 once. Connection errors are not retried blindly."""
    return [
        AsyncRateLimitErrorRetryHandler(max_retry_count=2),
        AsyncServerErrorRetryHandler(max_retry_count=1),
    ]


class TimedWebClient(AsyncWebClient):
    """slack_sdk applies `timeout` only to sessions it creates itself; on a shared session a
    hung call would wait for aiohttp's 5 minutes (and outlive the outbox's lease). Each call,
    retries included, ends with TimeoutError after `timeout` seconds."""

    async def api_call(self, *args: Any, **kwargs: Any) -> Any:
        async with asyncio.timeout(self.timeout):
            return await super().api_call(*args, **kwargs)


def create_slack_client(
    token: str,
    base_url: str,
    session: aiohttp.ClientSession,
    *,
    for_outbox: bool = False,
) -> AsyncWebClient:
    """The outbox client retries nothing itself: the outbox reschedules, honours Retry-After
    without holding a worker, and checks whether a post whose answer was lost landed."""
    return TimedWebClient(
        token=token,
        base_url=base_url,
        session=session,
        timeout=OUTBOX_TIMEOUT_S if for_outbox else INTERACTIVE_TIMEOUT_S,
        retry_handlers=[] if for_outbox else interactive_retry_handlers(),
    )


def create_http_session() -> aiohttp.ClientSession:
    """One connection pool for Slack and the platform, so calls reuse TCP connections."""
    connector = aiohttp.TCPConnector(limit=100, limit_per_host=50, keepalive_timeout=30)
    # the ceiling for calls that bring no timeout of their own (Bolt's per-request client)
    ceiling = aiohttp.ClientTimeout(total=max(OUTBOX_TIMEOUT_S, INTERACTIVE_TIMEOUT_S))
    return aiohttp.ClientSession(connector=connector, trust_env=False, timeout=ceiling)
