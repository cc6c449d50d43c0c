"""Slack Web API clients: one shared HTTP session (keep-alive), retry policy per use."""

from __future__ import annotations

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


def create_slack_client(
    token: str,
    base_url: str,
    session: aiohttp.ClientSession,
    *,
    for_outbox: bool = False,
) -> AsyncWebClient:
    """The outbox client retries nothing itself: the outbox reschedules, honours Retry-After
    without holding a worker, and checks whether a post whose answer was lost landed."""
    return AsyncWebClient(
        token=token,
        base_url=base_url,
        session=session,
        timeout=OUTBOX_TIMEOUT_S if for_outbox else INTERACTIVE_TIMEOUT_S,
        retry_handlers=[] if for_outbox else interactive_retry_handlers(),
    )


def create_http_session() -> aiohttp.ClientSession:
    """One connection pool for Slack and the platform, so calls reuse TCP connections."""
    connector = aiohttp.TCPConnector(limit=100, limit_per_host=50, keepalive_timeout=30)
    return aiohttp.ClientSession(connector=connector, trust_env=False)
