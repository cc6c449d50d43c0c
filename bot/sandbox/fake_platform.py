"""A fake career platform: sends signed requests to jobgate's inbound API and receives
jobgate's webhooks, verifying each with `standardwebhooks`, with failures on demand."""

from __future__ import annotations

import asyncio
import io
import json
import uuid
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import aiohttp
from aiohttp import web
from standardwebhooks import Webhook


@dataclass
class Delivery:
    webhook_id: str
    event: dict[str, Any]
    status: int
    headers: dict[str, str]
    received_at: datetime = field(default_factory=lambda: datetime.now(UTC))


@dataclass
class Scripted:
    status: int
    retry_after: str | None = None
    delay_s: float = 0.0


@dataclass
class PlatformAnswer:
    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)


class FakePlatform:
    def __init__(self, *, webhook_secret: str, ingest_secret: str) -> None:
        self._verifier = Webhook(webhook_secret)
        self._signer = Webhook(ingest_secret)
        self.attempts: list[Delivery] = []
        self.rejected_signatures = 0
        self.script: deque[Scripted] = deque()
        self.bot_base_url: str | None = None
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self.url = ""
        self.changed = asyncio.Event()

    async def start(self, host: str = "127.0.0.1") -> FakePlatform:
        app = web.Application()
        app.add_routes([web.post("/webhooks/jobgate", self._receive)])
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://{host}:{port}/webhooks/jobgate"
        self._session = aiohttp.ClientSession()
        return self

    async def stop(self) -> None:
        if self._session is not None:
            await self._session.close()
        if self._runner is not None:
            await self._runner.cleanup()

    # -- receiving jobgate's webhooks ------------------------------------------------------

    async def _receive(self, request: web.Request) -> web.Response:
        body = await request.read()
        headers = {k.lower(): v for k, v in request.headers.items()}
        try:
            event = self._verifier.verify(body, headers)
        except Exception:
            self.rejected_signatures += 1
            return web.json_response({"error": "bad signature"}, status=401)
        scripted = self.script.popleft() if self.script else Scripted(200)
        if scripted.delay_s:
            await asyncio.sleep(scripted.delay_s)
        self.attempts.append(Delivery(headers["webhook-id"], event, scripted.status, headers))
        self.changed.set()
        extra = {"Retry-After": scripted.retry_after} if scripted.retry_after else {}
        return web.json_response(
            {"ok": scripted.status < 300}, status=scripted.status, headers=extra
        )

    @property
    def accepted(self) -> list[Delivery]:
        """Deliveries answered 2xx, one per webhook-id (the platform's own de-duplication)."""
        seen: dict[str, Delivery] = {}
        for delivery in self.attempts:
            if 200 <= delivery.status < 300 and delivery.webhook_id not in seen:
                seen[delivery.webhook_id] = delivery
        return list(seen.values())

    def events_of_type(self, event_type: str) -> list[dict[str, Any]]:
        return [d.event for d in self.accepted if d.event["type"] == event_type]

    # -- sending requests to jobgate -------------------------------------------------------

    def sign(
        self, body: str, *, webhook_id: str | None = None, at: datetime | None = None
    ) -> dict[str, str]:
        msg_id = webhook_id or f"msg_{uuid.uuid4().hex}"
        moment = at or datetime.now(UTC)
        return {
            "content-type": "application/json",
            "webhook-id": msg_id,
            "webhook-timestamp": str(int(moment.timestamp())),
            "webhook-signature": self._signer.sign(msg_id, moment, body),
        }

    async def send(
        self,
        path: str,
        payload: Any = None,
        *,
        raw: str | bytes | None = None,
        webhook_id: str | None = None,
        headers: dict[str, str] | None = None,
        method: str = "POST",
        at: datetime | None = None,
    ) -> PlatformAnswer:
        """A signed call to jobgate (`payload` as JSON, or `raw` bytes as they are)."""
        assert self.bot_base_url and self._session, "start() and set bot_base_url first"
        if raw is None:
            body = json.dumps(payload) if payload is not None else ""
        else:
            body = raw.decode("utf-8", "surrogateescape") if isinstance(raw, bytes) else raw
        sent = headers if headers is not None else self.sign(body, webhook_id=webhook_id, at=at)
        data = raw if isinstance(raw, bytes) else body.encode("utf-8", "surrogateescape")
        # large bodies go as a stream, as aiohttp recommends
        stream: bytes | io.BytesIO = io.BytesIO(data) if len(data) > 512 * 1024 else data
        async with self._session.request(
            method, self.bot_base_url + path, data=stream, headers=sent
        ) as response:
            text = await response.text()
            parsed = json.loads(text) if text.strip().startswith(("{", "[")) else {"raw": text}
            return PlatformAnswer(response.status, parsed, dict(response.headers))

    async def send_jobs(self, jobs: Any, **kwargs: Any) -> PlatformAnswer:
        return await self.send("/api/v1/jobs", jobs, **kwargs)

    async def send_employers(self, employers: Any, **kwargs: Any) -> PlatformAnswer:
        return await self.send("/api/v1/employers", employers, **kwargs)

    async def get_request(self, kind: str, upstream_id: str) -> PlatformAnswer:
        return await self.send(f"/api/v1/requests/{kind}/{upstream_id}", None, method="GET")

    async def wait_for_accepted(self, count: int, timeout: float = 5.0) -> list[Delivery]:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while len(self.accepted) < count:
            if loop.time() > deadline:
                raise AssertionError(
                    f"expected {count} accepted webhooks, got {len(self.accepted)}"
                )
            await asyncio.sleep(0.01)
        return self.accepted
