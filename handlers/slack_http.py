"""`POST /slack/events`: Slack's HTTP deliveries into Bolt, with the checks Bolt leaves out."""

from __future__ import annotations

import hashlib
import json
import logging
import re
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import Protocol

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.app.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.signature import SignatureVerifier
from yarl import query_to_pairs

from bot.clock import Clock, SystemClock
from bot.metrics import Metrics

log = logging.getLogger(__name__)

MAX_SLACK_BODY = 1024 * 1024
# Signatures older than five minutes are refused, so remembering a little longer is enough
# to recognise a retry or a replay of the same signed body.
REPEAT_MEMORY_S = 6 * 60
REPEAT_MEMORY_MAX = 50_000
_TIMESTAMP = re.compile(r"[0-9]{1,12}")


class HandledEvents(Protocol):
    """Event ids handled before, kept in the database: Slack retries an event for up to an
    hour, across a restart of jobgate (the memory above does not survive one)."""

    async def slack_event_seen(self, event_id: str) -> bool: ...

    async def remember_slack_event(self, event_id: str, now: datetime) -> None: ...


def event_id_of(body: str) -> str | None:
    """The `event_id` of an Events API delivery (JSON); None for clicks, commands, etc."""
    if not body.startswith("{"):
        return None
    try:
        parsed = json.loads(body)
    except ValueError:
        return None
    event_id = parsed.get("event_id") if isinstance(parsed, dict) else None
    return event_id if isinstance(event_id, str) and event_id else None


def bolt_body(body: str) -> str:
    """The body as handed to Bolt, which reads it the same either way. Clicks and form
    submissions come form-encoded (`payload=<JSON>`, 6-8 KB with a card's blocks), and Bolt
    decodes them with urllib's pure-Python unquote: 15% of the bot's CPU under 50 concurrent
    clicks. yarl, aiohttp's URL library, decodes the same form in C (`query_to_pairs`,
    documented equal to urllib's `parse_qsl`), 5.6x faster; Bolt then gets the payload's
    JSON, which it parses as it would have. Anything else is handed over as it came."""
    if "payload=" not in body or body.startswith("{"):
        return body
    payload = dict(query_to_pairs(body)).get("payload")
    return payload if payload is not None and payload.startswith("{") else body


class RepeatedDeliveries:
    """Bodies seen recently (by hash). A retry (`X-Slack-Retry-Num`) or a replay of a body
    already handled is answered 200 with no side effect; a body whose handling failed is
    forgotten so Slack's retry can try again."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._seen: OrderedDict[str, float] = OrderedDict()
        self._clock = clock
        self.skipped = 0

    def _expire(self, now: float) -> None:
        while self._seen:
            key, seen_at = next(iter(self._seen.items()))
            if now - seen_at < REPEAT_MEMORY_S and len(self._seen) <= REPEAT_MEMORY_MAX:
                break
            self._seen.pop(key)

    def first_time(self, body: str) -> str | None:
        """The body's key when it has not been seen recently (and remember it), else None."""
        key = hashlib.sha256(body.encode()).hexdigest()
        now = self._clock()
        self._expire(now)
        if key in self._seen:
            self.skipped += 1
            return None
        self._seen[key] = now
        return key

    def forget(self, key: str) -> None:
        """Handling failed: let Slack's retry of this body try again."""
        self._seen.pop(key, None)


UNVERIFIABLE = (
    "jobgate has no SLACK_SIGNING_SECRET to verify Slack's HTTP requests with (in Socket Mode "
    "they come over the socket instead)"
)


def slack_endpoint(
    bolt: AsyncApp,
    metrics: Metrics,
    repeated: RepeatedDeliveries,
    signing_secret: str | None,
    handled_events: HandledEvents | None = None,
    clock: Clock | None = None,
) -> Callable[[web.Request], Awaitable[web.Response]]:
    """Checks Bolt would get wrong or not do (a non-numeric timestamp is a 500 in Bolt; a body
    seen before is handled again), then Bolt. Without a signing secret (Socket Mode), nothing
    that comes over HTTP can be verified, so every request is refused."""
    verifier = SignatureVerifier(signing_secret) if signing_secret else None
    clock = clock or SystemClock()

    async def handle(request: web.Request) -> web.Response:
        started = time.perf_counter()
        if verifier is None:
            return web.json_response({"error": UNVERIFIABLE}, status=401)
        if request.content_length is not None and request.content_length > MAX_SLACK_BODY:
            return web.json_response({"error": "body too large"}, status=413)
        timestamp = request.headers.get("X-Slack-Request-Timestamp", "").strip()
        signature = request.headers.get("X-Slack-Signature", "")
        if not (_TIMESTAMP.fullmatch(timestamp) and signature.isascii()):
            # int() fails on '²' or 5,000 digits, compare_digest on non-ASCII: both would be
            # a 500 in Bolt; a malformed header is a bad signature
            return web.json_response({"error": "invalid request signature"}, status=401)
        try:
            raw = await request.read()
            body = raw.decode("utf-8")
        except web.HTTPRequestEntityTooLarge:
            return web.json_response({"error": "body too large"}, status=413)
        except UnicodeDecodeError:
            return web.json_response({"error": "body is not UTF-8"}, status=400)
        plain_headers = dict(request.headers)
        try:
            valid = verifier.is_valid_request(body, plain_headers)
        except (ValueError, TypeError):
            valid = False
        if not valid:
            return web.json_response({"error": "invalid request signature"}, status=401)
        key = repeated.first_time(body)
        event_id = event_id_of(body) if handled_events is not None else None
        if (
            key is not None
            and event_id
            and handled_events is not None
            and await handled_events.slack_event_seen(event_id)
        ):
            key = None
        if key is None:
            retry = request.headers.get("X-Slack-Retry-Num", "-")
            log.info("skipped a repeated Slack delivery (retry %s)", retry)
            return web.Response(status=200, text="")
        try:
            headers: dict[str, str | Sequence[str]] = dict(plain_headers)
            bolt_request = AsyncBoltRequest(
                body=bolt_body(body), query=request.query_string, headers=headers
            )
            bolt_response = await bolt.async_dispatch(bolt_request)
        except BaseException:
            repeated.forget(key)
            raise
        if bolt_response.status >= 500:
            repeated.forget(key)
        elif event_id and handled_events is not None:
            # after the handling, not before: a crash in between gets Slack's retry handled
            await handled_events.remember_slack_event(event_id, clock.now())
        metrics.ack_seconds.observe(time.perf_counter() - started)
        return await to_aiohttp_response(bolt_response)

    return handle
