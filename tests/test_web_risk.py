"""URL reputation against a fake Web Risk API over real HTTP on loopback."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest

from bot.clock import FrozenClock
from bot.sandbox.fake_web_risk import FakeWebRisk
from bot.web_risk import THREAT_TYPES, UrlVerdict, WebRiskClient, describe, read_answer

KEY = "AIzaSy-test-key-never-shown"
PHISH = "https://phish.example/login"
SAFE = "https://acme.example/careers/456"
START = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)


class Ticker:
    """A monotonic clock that moves only when told."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def fake() -> AsyncIterator[FakeWebRisk]:
    server = await FakeWebRisk(api_key=KEY).start()
    server.unsafe[PHISH] = ["SOCIAL_ENGINEERING"]
    try:
        yield server
    finally:
        await server.stop()


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client_session:
        yield client_session


def client(fake: FakeWebRisk, session: aiohttp.ClientSession, **kwargs: Any) -> WebRiskClient:
    kwargs.setdefault("api_key", KEY)
    return WebRiskClient(fake.url, session=session, **kwargs)


async def test_unsafe_url_is_flagged_with_its_threat_types(
    fake: FakeWebRisk, session: aiohttp.ClientSession
) -> None:
    verdict = await client(fake, session).check(PHISH)
    assert verdict == UrlVerdict(
        PHISH, checked=True, unsafe=True, threat_types=("SOCIAL_ENGINEERING",), problem=None
    )
    assert [q.threat_types for q in fake.requests] == [THREAT_TYPES]


async def test_safe_url_is_checked_and_safe(
    fake: FakeWebRisk, session: aiohttp.ClientSession
) -> None:
    verdict = await client(fake, session).check(f"  {SAFE}\n")
    assert verdict == UrlVerdict(SAFE, checked=True, unsafe=False)
    assert [q.uri for q in fake.requests] == [SAFE]


async def test_url_with_query_and_fragment_reaches_the_api_intact(
    fake: FakeWebRisk, session: aiohttp.ClientSession
) -> None:
    url = "https://acme.example/apply?id=4&ref=a b&key=x#top"
    fake.unsafe[url] = ["MALWARE"]
    verdict = await client(fake, session).check(url)
    assert verdict.unsafe
    assert [q.uri for q in fake.requests] == [url]


async def test_cached_answer_makes_no_second_request(
    fake: FakeWebRisk, session: aiohttp.ClientSession
) -> None:
    ticker = Ticker()
    web_risk = client(fake, session, clock=ticker, cache_ttl_s=3600)
    first = await web_risk.check(SAFE)
    ticker.now += 3599
    assert await web_risk.check(SAFE) == first
    assert len(fake.requests) == 1
    ticker.now += 2
    await web_risk.check(SAFE)
    assert len(fake.requests) == 2


async def test_unsafe_answer_is_cached_until_its_expire_time(
    fake: FakeWebRisk, session: aiohttp.ClientSession
) -> None:
    ticker, wall = Ticker(), FrozenClock(START)
    fake.expire_time = START + timedelta(seconds=120)
    web_risk = client(fake, session, clock=ticker, wall_clock=wall, cache_ttl_s=3600)
    assert (await web_risk.check(PHISH)).unsafe
    ticker.now += 100
    assert (await web_risk.check(PHISH)).unsafe
    assert len(fake.requests) == 1
    ticker.now += 21
    await web_risk.check(PHISH)
    assert len(fake.requests) == 2


async def test_unsafe_answer_is_cached_no_longer_than_the_cache_ttl(
    fake: FakeWebRisk, session: aiohttp.ClientSession
) -> None:
    ticker, wall = Ticker(), FrozenClock(START)
    fake.expire_time = START + timedelta(days=2)
    web_risk = client(fake, session, clock=ticker, wall_clock=wall, cache_ttl_s=600)
    await web_risk.check(PHISH)
    ticker.now += 601
    await web_risk.check(PHISH)
    assert len(fake.requests) == 2


async def test_timeout_gives_an_unchecked_verdict_within_the_timeout(
    fake: FakeWebRisk, session: aiohttp.ClientSession
) -> None:
    fake.delay_s = 10
    web_risk = client(fake, session, timeout_s=0.2)
    started = time.monotonic()
    verdict = await web_risk.check(SAFE)
    assert time.monotonic() - started < 0.2 + 1.0
    assert not verdict.checked and not verdict.unsafe
    assert verdict.problem == "Web Risk did not answer within 0.2 s"
    assert describe([verdict]) == "URL check could not run (Web Risk did not answer within 0.2 s)"


@pytest.mark.parametrize("status", [403, 429, 500])
async def test_http_error_gives_an_unchecked_verdict_without_the_key(
    fake: FakeWebRisk,
    session: aiohttp.ClientSession,
    status: int,
    caplog: pytest.LogCaptureFixture,
) -> None:
    fake.fail_next(status)
    with caplog.at_level(logging.DEBUG):
        verdict = await client(fake, session).check(PHISH)
    assert not verdict.checked and not verdict.unsafe
    assert verdict.problem is not None and f"HTTP {status}" in verdict.problem
    assert KEY not in verdict.problem
    assert KEY not in caplog.text


async def test_wrong_key_is_refused_and_not_repeated(
    fake: FakeWebRisk, session: aiohttp.ClientSession, caplog: pytest.LogCaptureFixture
) -> None:
    wrong = "AIzaSy-wrong-key"
    with caplog.at_level(logging.DEBUG):
        verdict = await client(fake, session, api_key=wrong).check(SAFE)
    assert verdict.problem == "Web Risk answered HTTP 403 PERMISSION_DENIED"
    assert wrong not in caplog.text


async def test_unreachable_server_gives_an_unchecked_verdict_without_the_key(
    session: aiohttp.ClientSession,
) -> None:
    server = await FakeWebRisk(api_key=KEY).start()
    url = server.url
    await server.stop()
    verdict = await WebRiskClient(url, KEY, session).check(SAFE)
    assert not verdict.checked
    assert verdict.problem is not None and verdict.problem.startswith("could not reach Web Risk")
    assert KEY not in verdict.problem


async def test_failure_is_remembered_briefly_then_retried(
    fake: FakeWebRisk, session: aiohttp.ClientSession
) -> None:
    ticker = Ticker()
    web_risk = client(fake, session, clock=ticker)
    fake.fail_next(500)
    assert not (await web_risk.check(PHISH)).checked
    assert not (await web_risk.check(PHISH)).checked
    assert len(fake.requests) == 1
    ticker.now += 61
    assert (await web_risk.check(PHISH)).unsafe
    assert len(fake.requests) == 2


async def test_without_a_key_nothing_is_requested(
    fake: FakeWebRisk, session: aiohttp.ClientSession
) -> None:
    web_risk = client(fake, session, api_key=None)
    verdicts = await web_risk.check_all([PHISH, SAFE])
    assert all(v.problem == "no API key configured" and not v.checked for v in verdicts)
    assert fake.requests == []
    assert not web_risk.enabled
    assert describe(verdicts) == "2 URL checks skipped: no Web Risk API key configured"


@pytest.mark.parametrize(
    "url", ["ftp://files.example/a", "javascript:alert(1)", "", "acme.example"]
)
async def test_non_http_url_is_refused_without_a_request(
    fake: FakeWebRisk, session: aiohttp.ClientSession, url: str
) -> None:
    verdict = await client(fake, session).check(url)
    assert not verdict.checked and verdict.problem == "not an http(s) URL"
    assert fake.requests == []


async def test_concurrent_checks_of_one_url_share_one_request(
    fake: FakeWebRisk, session: aiohttp.ClientSession
) -> None:
    fake.delay_s = 0.05
    web_risk = client(fake, session)
    verdicts = await asyncio.gather(*(web_risk.check(PHISH) for _ in range(20)))
    assert all(v.unsafe for v in verdicts)
    assert len(fake.requests) == 1


async def test_check_all_keeps_order_and_checks_each_url_once(
    fake: FakeWebRisk, session: aiohttp.ClientSession
) -> None:
    verdicts = await client(fake, session).check_all([SAFE, PHISH, f" {SAFE}", PHISH])
    assert [(v.url, v.unsafe) for v in verdicts] == [
        (SAFE, False),
        (PHISH, True),
        (SAFE, False),
        (PHISH, True),
    ]
    assert sorted(q.uri or "" for q in fake.requests) == sorted([PHISH, SAFE])


async def test_no_more_than_max_concurrency_requests_in_flight(
    fake: FakeWebRisk, session: aiohttp.ClientSession
) -> None:
    fake.delay_s = 0.05
    urls = [f"https://site{i}.example/job" for i in range(50)]
    verdicts = await client(fake, session, max_concurrency=8, timeout_s=30).check_all(urls)
    assert all(v.checked for v in verdicts)
    assert len(fake.requests) == 50
    assert 1 < fake.max_in_flight <= 8


async def test_cache_is_bounded_least_recently_used_first(
    fake: FakeWebRisk, session: aiohttp.ClientSession
) -> None:
    web_risk = client(fake, session, max_cache_entries=2)
    a, b, c = (f"https://{name}.example/" for name in "abc")
    await web_risk.check_all([a, b])
    await web_risk.check(a)  # a is now the most recently used
    await web_risk.check(c)  # evicts b
    await web_risk.check_all([a, c])
    assert len(fake.requests) == 3
    await web_risk.check(b)
    assert len(fake.requests) == 4


def test_read_answer_takes_googles_shapes() -> None:
    safe, _ = read_answer(SAFE, 200, b"{}")
    assert safe == UrlVerdict(SAFE, checked=True, unsafe=False)
    body = (
        b'{"threat": {"threatTypes": ["MALWARE", "UNWANTED_SOFTWARE"],'
        b' "expireTime": "2026-11-25T15:00:00.123456789Z"}}'
    )
    unsafe, expire = read_answer(PHISH, 200, body)
    assert unsafe.threat_types == ("MALWARE", "UNWANTED_SOFTWARE")
    assert expire == datetime(2026, 11, 25, 15, 0, 0, 123456, tzinfo=UTC)
    error = (
        b'{"error": {"code": 429, "message": "Quota exceeded for key AIza...",'
        b' "status": "RESOURCE_EXHAUSTED"}}'
    )
    failed, _ = read_answer(PHISH, 429, error)
    assert failed.problem == "Web Risk answered HTTP 429 RESOURCE_EXHAUSTED"
    garbled, _ = read_answer(PHISH, 200, b"<html>")
    assert not garbled.checked


def test_describe_says_what_a_reviewer_needs() -> None:
    flagged = UrlVerdict(PHISH, checked=True, unsafe=True, threat_types=("SOCIAL_ENGINEERING",))
    safe = UrlVerdict(SAFE, checked=True, unsafe=False)
    late = UrlVerdict(
        SAFE, checked=False, unsafe=False, problem="Web Risk did not answer within 3 s"
    )
    assert describe([]) is None
    assert describe([safe]) is None
    assert describe([flagged], noun="apply URL") == (
        "apply URL flagged by Google Web Risk as SOCIAL_ENGINEERING"
    )
    assert describe([flagged, safe, late]) == (
        "URL flagged by Google Web Risk as SOCIAL_ENGINEERING; "
        "URL check could not run (Web Risk did not answer within 3 s)"
    )


async def test_a_caller_giving_up_does_not_cancel_the_shared_request(
    fake: FakeWebRisk, session: aiohttp.ClientSession
) -> None:
    fake.delay_s = 0.1
    web_risk = client(fake, session)
    impatient = asyncio.create_task(web_risk.check(PHISH))
    patient = asyncio.create_task(web_risk.check(PHISH))
    await asyncio.sleep(0.02)
    impatient.cancel()
    assert (await patient).unsafe
    assert len(fake.requests) == 1
