"""A fake Google Web Risk API on loopback: `GET /v1/uris:search`, with threats, delays and
errors on demand, recording every query."""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp import web

KNOWN_THREAT_TYPES = frozenset(
    {"MALWARE", "SOCIAL_ENGINEERING", "UNWANTED_SOFTWARE", "SOCIAL_ENGINEERING_EXTENDED_COVERAGE"}
)
_STATUS_NAMES = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
}


@dataclass(frozen=True)
class SearchQuery:
    uri: str | None
    threat_types: tuple[str, ...]
    status: int


def format_instant(moment: datetime) -> str:
    """RFC 3339 in UTC with milliseconds, as Google writes expireTime."""
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def error_body(status: int, message: str) -> dict[str, Any]:
    return {
        "error": {
            "code": status,
            "message": message,
            "status": _STATUS_NAMES.get(status, "UNKNOWN"),
        }
    }


class FakeWebRisk:
    """`unsafe` maps a URI, exactly as sent, to its threat types (the real API canonicalizes)."""

    def __init__(self, *, api_key: str = "fake-web-risk-key") -> None:
        self.api_key = api_key
        self.unsafe: dict[str, list[str]] = {}
        self.delay_s = 0.0
        self.expire_in_s = 300.0
        self.expire_time: datetime | None = None  # overrides expire_in_s when set
        self.requests: list[SearchQuery] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self._failures: deque[int] = deque()
        self._closing = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.url = ""

    def fail_next(self, status: int, times: int = 1) -> None:
        """Answer the next `times` valid queries with this HTTP error."""
        self._failures.extend([status] * times)

    async def start(self, host: str = "127.0.0.1") -> FakeWebRisk:
        app = web.Application()
        app.add_routes([web.get("/v1/uris:search", self._search)])
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://{host}:{port}"
        return self

    async def stop(self) -> None:
        self._closing.set()  # delayed answers end now rather than holding the shutdown
        if self._runner is not None:
            await self._runner.cleanup()

    async def _search(self, request: web.Request) -> web.Response:
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            uri = request.query.get("uri")
            types = tuple(request.query.getall("threatTypes", []))
            status, body = self._answer(request.query.get("key"), uri, types)
            self.requests.append(SearchQuery(uri, types, status))
            if self.delay_s > 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._closing.wait(), self.delay_s)
            return web.json_response(body, status=status)
        finally:
            self.in_flight -= 1

    def _answer(
        self, key: str | None, uri: str | None, types: tuple[str, ...]
    ) -> tuple[int, dict[str, Any]]:
        if key != self.api_key:
            return 403, error_body(403, "The request is missing a valid API key.")
        if not uri:
            return 400, error_body(400, "Invalid value for uri: must be non-empty")
        if not types:
            return 400, error_body(400, "threatTypes must be specified")
        unknown = [t for t in types if t not in KNOWN_THREAT_TYPES]
        if unknown:
            return 400, error_body(400, f"Invalid value at 'threat_types' ({unknown[0]})")
        if self._failures:
            status = self._failures.popleft()
            return status, error_body(status, "Scripted failure from the fake Web Risk.")
        matched = [t for t in self.unsafe.get(uri, []) if t in types]
        if not matched:
            return 200, {}
        expire = self.expire_time or datetime.now(UTC) + timedelta(seconds=self.expire_in_s)
        return 200, {"threat": {"threatTypes": matched, "expireTime": format_instant(expire)}}
