"""Sending one signed event to the platform (Standard Webhooks) and reading its answer."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from enum import StrEnum
from typing import Any

import aiohttp
from standardwebhooks import Webhook

WEBHOOK_TIMEOUT_S = 10


class Verdict(StrEnum):
    DELIVERED = "delivered"
    RETRY = "retry"
    GONE = "gone"  # 410: the endpoint is disabled until the URL changes


@dataclass(frozen=True)
class SendResult:
    verdict: Verdict
    detail: str
    retry_after_s: float | None = None


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date); None when it is
    neither. A date in "-0000" (no zone given) is read as UTC, as RFC 5322 says."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, (moment - now).total_seconds())


class WebhookSender:
    def __init__(self, url: str, secret: str, session: aiohttp.ClientSession) -> None:
        self.url = url
        self._signer = Webhook(secret)
        self._session = session

    def signed_headers(self, message_id: str, body: str, now: datetime) -> dict[str, str]:
        return {
            "content-type": "application/json",
            "webhook-id": message_id,
            "webhook-timestamp": str(int(now.timestamp())),
            "webhook-signature": self._signer.sign(message_id, now, body),
            "user-agent": "jobgate",
        }

    async def send(self, message_id: str, event: dict[str, Any], now: datetime) -> SendResult:
        """POST once; the same `message_id` goes with every retry so the platform can dedupe.
        The signature's timestamp is the real time of sending (the receiver checks it against
        its own clock), whatever clock jobgate's decisions run on."""
        body = json.dumps(event, separators=(",", ":"))
        headers = self.signed_headers(message_id, body, datetime.now(UTC))
        try:
            async with self._session.post(
                self.url,
                data=body.encode(),
                headers=headers,
                timeout=aiohttp.ClientTimeout(total=WEBHOOK_TIMEOUT_S),
                allow_redirects=False,
            ) as response:
                status = response.status
                retry_after = parse_retry_after(response.headers.get("Retry-After"), now)
                await response.read()
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            return SendResult(Verdict.RETRY, f"could not reach the platform: {type(exc).__name__}")
        if 200 <= status < 300:
            return SendResult(Verdict.DELIVERED, f"HTTP {status}")
        if status == 410:
            return SendResult(Verdict.GONE, "HTTP 410 Gone")
        return SendResult(Verdict.RETRY, f"HTTP {status}", retry_after)
