"""URL reputation from Google Web Risk (`uris:search`): cached, bounded, never in review's way."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from bot.clock import Clock, SystemClock, parse_instant

log = logging.getLogger(__name__)

DEFAULT_URL = "https://webrisk.googleapis.com"
THREAT_TYPES = ("MALWARE", "SOCIAL_ENGINEERING", "UNWANTED_SOFTWARE")
NO_KEY = "no API key configured"
NOT_HTTP = "not an http(s) URL"
# a failed check is remembered this long so a Web Risk outage is not hammered by re-renders
FAILURE_TTL_S = 60.0
MAX_CACHE_ENTRIES = 10_000
# only Google's fixed status names reach a problem text, never its free-text message
_STATUS_NAME = re.compile(r"^[A-Z][A-Z_]{0,63}$")


@dataclass(frozen=True)
class UrlVerdict:
    url: str
    checked: bool  # False when the check could not run (no key, timeout, error, not http(s))
    unsafe: bool
    threat_types: tuple[str, ...] = ()
    problem: str | None = None  # why it was not checked, plain text


@dataclass(frozen=True)
class _Cached:
    verdict: UrlVerdict
    until: float  # on the monotonic clock


def _not_checked(url: str, problem: str) -> UrlVerdict:
    return UrlVerdict(url, checked=False, unsafe=False, problem=problem)


def _is_http(url: str) -> bool:
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.netloc)


def _seconds(value: float) -> str:
    return f"{value:g} s"


def read_answer(url: str, status: int, body: bytes) -> tuple[UrlVerdict, datetime | None]:
    """The verdict in one `uris:search` answer, with the threat's expireTime when it has one."""
    try:
        payload: Any = json.loads(body) if body.strip() else {}
    except ValueError:
        payload = None
    if status != 200:
        error = payload.get("error") if isinstance(payload, dict) else None
        name = error.get("status") if isinstance(error, dict) else None
        suffix = f" {name}" if isinstance(name, str) and _STATUS_NAME.match(name) else ""
        return _not_checked(url, f"Web Risk answered HTTP {status}{suffix}"), None
    if not isinstance(payload, dict):
        return _not_checked(url, "Web Risk sent an answer that is not JSON"), None
    threat = payload.get("threat")
    if not threat:
        return UrlVerdict(url, checked=True, unsafe=False), None
    types = threat.get("threatTypes") if isinstance(threat, dict) else None
    if not (isinstance(types, list) and types and all(isinstance(t, str) for t in types)):
        return _not_checked(url, "Web Risk sent a threat without threat types"), None
    expire: datetime | None = None
    raw_expire = threat.get("expireTime")
    if isinstance(raw_expire, str):
        try:
            expire = parse_instant(raw_expire)
        except ValueError:
            expire = None
    return UrlVerdict(url, checked=True, unsafe=True, threat_types=tuple(types)), expire


class WebRiskClient:
    """Checks URLs against Web Risk's threat lists; at most one request per URL per cache life."""

    def __init__(
        self,
        base_url: str,
        api_key: str | None,
        session: aiohttp.ClientSession,
        *,
        timeout_s: float = 3.0,
        cache_ttl_s: float = 3600,
        max_concurrency: int = 8,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Clock | None = None,
        failure_ttl_s: float = FAILURE_TTL_S,
        max_cache_entries: int = MAX_CACHE_ENTRIES,
    ) -> None:
        self._search_url = base_url.rstrip("/") + "/v1/uris:search"
        self._key = api_key or None
        self._session = session
        self._timeout_s = timeout_s
        self._cache_ttl_s = cache_ttl_s
        self._failure_ttl_s = failure_ttl_s
        self._max_cache_entries = max_cache_entries
        self._clock = clock
        self._wall_clock: Clock = wall_clock or SystemClock()
        self._limit = asyncio.Semaphore(max_concurrency)
        self._cache: OrderedDict[str, _Cached] = OrderedDict()
        self._in_flight: dict[str, asyncio.Task[UrlVerdict]] = {}

    @property
    def enabled(self) -> bool:
        return self._key is not None

    async def check(self, url: str) -> UrlVerdict:
        """The verdict for one URL, from the cache, a request already under way, or a new one."""
        url = url.strip()
        if self._key is None:
            return _not_checked(url, NO_KEY)
        if not _is_http(url):
            return _not_checked(url, NOT_HTTP)
        cached = self._from_cache(url)
        if cached is not None:
            return cached
        task = self._in_flight.get(url)
        if task is None:
            task = asyncio.create_task(self._lookup(url, self._key))
            self._in_flight[url] = task
            task.add_done_callback(lambda done: self._forget_in_flight(url, done))
        # shielded: one caller giving up must not cancel the answer the others wait for
        return await asyncio.shield(task)

    async def check_all(self, urls: Sequence[str]) -> list[UrlVerdict]:
        """Verdicts in the order of `urls`, each distinct URL checked once, concurrently."""
        stripped = [url.strip() for url in urls]
        distinct = list(dict.fromkeys(stripped))
        verdicts = await asyncio.gather(*(self.check(url) for url in distinct))
        by_url = dict(zip(distinct, verdicts, strict=True))
        return [by_url[url] for url in stripped]

    def _forget_in_flight(self, url: str, task: asyncio.Task[UrlVerdict]) -> None:
        if self._in_flight.get(url) is task:
            del self._in_flight[url]

    def _from_cache(self, url: str) -> UrlVerdict | None:
        entry = self._cache.get(url)
        if entry is None:
            return None
        if entry.until <= self._clock():
            del self._cache[url]
            return None
        self._cache.move_to_end(url)
        return entry.verdict

    def _remember(self, verdict: UrlVerdict, ttl_s: float) -> None:
        if ttl_s <= 0:
            return
        self._cache[verdict.url] = _Cached(verdict, self._clock() + ttl_s)
        self._cache.move_to_end(verdict.url)
        while len(self._cache) > self._max_cache_entries:
            self._cache.popitem(last=False)

    async def _lookup(self, url: str, key: str) -> UrlVerdict:
        params = [*(("threatTypes", t) for t in THREAT_TYPES), ("uri", url), ("key", key)]
        sent = False
        try:
            # the deadline covers waiting for a free slot too, so a check never blocks for long
            async with asyncio.timeout(self._timeout_s), self._limit:
                sent = True
                async with self._session.get(
                    self._search_url, params=params, allow_redirects=False
                ) as response:
                    status = response.status
                    body = await response.read()
        except TimeoutError:
            if sent:
                problem = f"Web Risk did not answer within {_seconds(self._timeout_s)}"
            else:
                problem = f"too many URL checks queued for over {_seconds(self._timeout_s)}"
            return self._failed(url, problem)
        except (aiohttp.ClientError, OSError) as exc:
            # the exception's text may carry the request URL and so the key: name its type only
            return self._failed(url, f"could not reach Web Risk ({type(exc).__name__})")
        verdict, expire = read_answer(url, status, body)
        if not verdict.checked:
            return self._failed(url, verdict.problem or "unknown problem")
        ttl = self._cache_ttl_s
        if verdict.unsafe and expire is not None:
            ttl = min(ttl, (expire - self._wall_clock.now()).total_seconds())
        self._remember(verdict, ttl)
        return verdict

    def _failed(self, url: str, problem: str) -> UrlVerdict:
        log.warning("Web Risk check of %s did not run: %s", url, problem)
        verdict = _not_checked(url, problem)
        self._remember(verdict, self._failure_ttl_s)
        return verdict


def describe(verdicts: Sequence[UrlVerdict], *, noun: str = "URL") -> str | None:
    """One plain-text line for a card, or None when every URL was checked and found safe."""
    flagged = [v for v in verdicts if v.unsafe]
    unchecked = [v for v in verdicts if not v.checked]
    parts: list[str] = []
    if flagged:
        types = ", ".join(dict.fromkeys(t for v in flagged for t in v.threat_types))
        subject = noun if len(flagged) == 1 else f"{len(flagged)} {noun}s"
        parts.append(f"{subject} flagged by Google Web Risk as {types}")
    if unchecked:
        problems = list(dict.fromkeys(v.problem or "unknown problem" for v in unchecked))
        subject = f"{noun} check" if len(unchecked) == 1 else f"{len(unchecked)} {noun} checks"
        if problems == [NO_KEY]:
            parts.append(f"{subject} skipped: no Web Risk API key configured")
        else:
            parts.append(f"{subject} could not run ({'; '.join(problems)})")
    return "; ".join(parts) or None
