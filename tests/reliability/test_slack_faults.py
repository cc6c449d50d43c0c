"""Promise 2: Slack failing, for every Web API method jobgate calls.

Every method answers, once, each of: 429 with Retry-After: 30 (time faked with a ShiftedClock,
never slept), 500, 503, a timeout (Slack does the work but answers after the client gave up)
and a dropped connection after Slack did the work. Then: nothing is lost, nothing is doubled
where Slack gives the means to avoid it (the marker look-up before posting again), and the
failure shows in /healthz, /metrics and the log."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import pytest

from bot.clock import ShiftedClock
from bot.delivery import DeliveryPolicy
from bot.models import Kind, State
from bot.sandbox.slack_api import Fault
from handlers import ids
from tests.harness import (
    ADMIN,
    REVIEWERS,
    Harness,
    employer,
    job,
    start_harness,
    stop_harness,
)
from tests.reliability.support import (
    bot_errors,
    cards_of,
    healthz,
    marked,
    metric_value,
    metrics,
    report,
)

# A timed-out call is retried after 0.3 to 0.6 s, longer than the faked slowness, so the late
# work has landed in the fake before jobgate looks for it (as Slack's own late work would have);
# other faults are retried sooner.
SLOW_POLICY = DeliveryPolicy(base_delay_s=0.6, max_delay_s=1.0, idle_poll_s=0.05)
QUICK_POLICY = DeliveryPolicy(base_delay_s=0.1, max_delay_s=0.5, idle_poll_s=0.05)
CLIENT_TIMEOUT_S = 0.1
SLOW_S = 0.2
RETRY_AFTER_S = 30

FAULTS: dict[str, Callable[[], Fault]] = {
    "429": lambda: Fault(status=429, retry_after=RETRY_AFTER_S, error="ratelimited"),
    "500": lambda: Fault(status=500, error="internal_error"),
    "503": lambda: Fault(status=503, error="service_unavailable"),
    # Slack does the work, but only after the client has given up waiting
    "timeout": lambda: Fault(delay_s=SLOW_S, drop_after_processing=True),
    "drop": lambda: Fault(drop_after_processing=True),
}
INJECTED: dict[str, int] = {}


async def start(tmp_path: Path, policy: DeliveryPolicy = QUICK_POLICY) -> Harness:
    clock = ShiftedClock(datetime.now(UTC))
    running = await start_harness(tmp_path, clock=clock, delivery=policy)
    # What the fix of test_a_hung_slack_call_gives_up_after_the_configured_timeout would do:
    # slack_sdk ignores its own timeout on a shared session, so the session's is set here.
    running.jobgate.http._timeout = aiohttp.ClientTimeout(total=CLIENT_TIMEOUT_S)
    return running


@pytest.fixture
async def h(tmp_path: Path) -> AsyncIterator[Harness]:
    running = await start(tmp_path)
    try:
        yield running
    finally:
        await stop_harness(running)


def clock_of(h: Harness) -> ShiftedClock:
    clock = h.jobgate.services.clock
    assert isinstance(clock, ShiftedClock)
    return clock


async def settle_through_faults(h: Harness, method: str, fault: str) -> None:
    """Let the outbox recover. After a 429, nothing more is tried on that method until the
    (faked) Retry-After has passed; then time jumps past it."""
    if fault == "429":
        await h.slack.wait_for(lambda: h.slack.api.rate_limited[method] == 1, what="the 429")
        calls = len(h.slack.api.calls_to(method))
        await asyncio.sleep(0.3)
        await h.jobgate.deliverer.drain(timeout=1)
        assert len(h.slack.api.calls_to(method)) == calls, "called again before Retry-After"
        clock_of(h).advance(timedelta(seconds=RETRY_AFTER_S + 1))
    await h.settle(timeout=10)
    if fault == "timeout":
        await asyncio.sleep(SLOW_S)  # the late work lands
        await h.settle(timeout=10)


async def assert_visible(
    h: Harness, caplog: pytest.LogCaptureFixture, method: str, fault: str
) -> None:
    """The failure shows in /healthz, /metrics and (for Slack's answers) the log."""
    health = await healthz(h)
    text = await metrics(h)
    logged = caplog.text
    if fault == "429":
        assert health["slack"]["rate_limited"] >= 1
        assert metric_value(text, "jobgate_slack_rate_limited_total", method=method) >= 1
        assert "rate-limited" in logged and method in logged
    elif fault in ("500", "503"):
        assert method in (health["slack"]["last_error"] or "")
        error = FAULTS[fault]().error
        assert metric_value(text, "jobgate_slack_calls_total", method=method, result=error) >= 1
        assert f"Slack answered {error} to {method}" in logged
    else:
        assert "lost answer from Slack" in (health["slack"]["last_error"] or "")
        assert health["slack"]["last_error_at"] is not None


async def approved_employer_card(h: Harness) -> None:
    await h.platform.send_employers(employer())
    await h.card("emp_123")
    await h.settle()


async def card_post(h: Harness, fault: Fault) -> None:
    h.slack.api.fail("chat.postMessage", fault)
    assert (await h.platform.send_jobs(job())).status == 200


async def check_card_post(h: Harness) -> None:
    cards = cards_of(h.slack, "job_456")
    assert len(cards) == 1
    stored = await h.repo.find_request(Kind.JOB, "job_456")
    assert stored is not None and stored.card_ts == cards[0].ts


async def card_update(h: Harness, fault: Fault) -> None:
    await approved_employer_card(h)
    h.slack.api.fail("chat.update", fault)
    assert (await h.slack.click(ADMIN, cards_of(h.slack, "emp_123")[0], ids.APPROVE)).status == 200


async def check_card_update(h: Harness) -> None:
    cards = cards_of(h.slack, "emp_123")
    assert len(cards) == 1 and cards[0].text.endswith("(Approved)")
    assert len(h.platform.events_of_type("employer.approved")) == 1


async def thread_post(h: Harness, fault: Fault) -> None:
    await approved_employer_card(h)
    h.slack.api.fail("chat.postMessage", fault)  # the next post is the decision's thread reply
    assert (await h.slack.click(ADMIN, cards_of(h.slack, "emp_123")[0], ids.APPROVE)).status == 200


async def check_thread_post(h: Harness) -> None:
    card = cards_of(h.slack, "emp_123")[0]
    replies = h.slack.thread(card)
    assert len(replies) == 1, [r.text for r in replies]
    assert "approved" in replies[0].text.lower()


async def permalink(h: Harness, fault: Fault) -> None:
    h.slack.api.fail("chat.getPermalink", fault)
    assert (await h.platform.send_jobs(job())).status == 200


async def history_lookup(h: Harness, fault: Fault) -> None:
    h.slack.api.fail("chat.postMessage", Fault(drop_after_processing=True))
    h.slack.api.fail("conversations.history", fault)
    assert (await h.platform.send_jobs(job())).status == 200


async def replies_lookup(h: Harness, fault: Fault) -> None:
    await approved_employer_card(h)
    h.slack.api.fail("chat.postMessage", Fault(drop_after_processing=True))
    h.slack.api.fail("conversations.replies", fault)
    assert (await h.slack.click(ADMIN, cards_of(h.slack, "emp_123")[0], ids.APPROVE)).status == 200


DM_TEXT = "A report about a request you decided was acted on."


async def dm(h: Harness, method: str, fault: Fault) -> None:
    h.slack.api.fail(method, fault)
    await h.repo.enqueue_message(
        lane=f"dm:{REVIEWERS[0]}",
        kind="dm",
        payload={"user": REVIEWERS[0], "text": DM_TEXT},
        now=h.jobgate.services.clock.now(),
    )


async def check_dm(h: Harness) -> None:
    channel = h.slack.workspace.dm_channel(REVIEWERS[0])
    assert [m.text for m in h.slack.bot_messages(channel)] == [DM_TEXT]


@dataclass(frozen=True)
class Case:
    method: str
    act: Callable[[Harness, Fault], Awaitable[None]]
    check: Callable[[Harness], Awaitable[None]]


async def dm_open(h: Harness, fault: Fault) -> None:
    await dm(h, "conversations.open", fault)


async def dm_post(h: Harness, fault: Fault) -> None:
    await dm(h, "chat.postMessage", fault)


OUTBOX_CASES = {
    "card post (chat.postMessage)": Case("chat.postMessage", card_post, check_card_post),
    "card update (chat.update)": Case("chat.update", card_update, check_card_update),
    "thread reply (chat.postMessage)": Case("chat.postMessage", thread_post, check_thread_post),
    "permalink (chat.getPermalink)": Case("chat.getPermalink", permalink, check_card_post),
    "look-up before re-posting a card (conversations.history)": Case(
        "conversations.history", history_lookup, check_card_post
    ),
    "look-up before re-posting a reply (conversations.replies)": Case(
        "conversations.replies", replies_lookup, check_thread_post
    ),
    "DM channel (conversations.open)": Case("conversations.open", dm_open, check_dm),
    "DM post (chat.postMessage)": Case("chat.postMessage", dm_post, check_dm),
}


def outbox_params() -> list[object]:
    params: list[object] = []
    for name, case in OUTBOX_CASES.items():
        for fault in FAULTS:
            params.append(pytest.param(name, fault, id=f"{case.method}-{name}-{fault}"))
    return params


@pytest.mark.parametrize(("name", "fault"), outbox_params())
async def test_outbox_methods_lose_and_double_nothing_under_faults(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, name: str, fault: str
) -> None:
    caplog.set_level(logging.INFO)
    case = OUTBOX_CASES[name]
    h = await start(tmp_path, SLOW_POLICY if fault == "timeout" else QUICK_POLICY)
    try:
        started = time.monotonic()
        await case.act(h, FAULTS[fault]())
        await settle_through_faults(h, case.method, fault)
        await case.check(h)
        faulted = [c for c in h.slack.api.calls_to(case.method) if not c.ok or c.status != 200]
        assert faulted or fault in ("timeout", "drop"), "the fault was never hit"
        if case.method != "chat.getPermalink":  # a permalink failure costs only the permalink
            await assert_visible(h, caplog, case.method, fault)
        if fault == "429":
            assert time.monotonic() - started < RETRY_AFTER_S / 2, "Retry-After was slept"
        assert not bot_errors(caplog.records)
    finally:
        await stop_harness(h)
    INJECTED[fault] = INJECTED.get(fault, 0) + 1
    report("slack_faults", {"faults_injected_by_kind": INJECTED})


# -- what the matrix found, on its own ---------------------------------------------------------


async def test_a_card_found_after_a_lost_answer_shows_the_decision_taken_meanwhile(
    tmp_path: Path,
) -> None:
    slow_retry = DeliveryPolicy(base_delay_s=2.0, max_delay_s=2.0, idle_poll_s=0.05)
    h = await start_harness(tmp_path, delivery=slow_retry)
    try:
        # Slack posts the card but the answer is lost; a reviewer approves from the card
        h.slack.api.fail("chat.postMessage", Fault(drop_after_processing=True))
        await h.platform.send_employers(employer())
        card = await h.slack.wait_for(lambda: cards_of(h.slack, "emp_123"), what="the card")
        assert (await h.slack.click(ADMIN, card[0], ids.APPROVE)).status == 200
        await h.slack.wait_for(
            lambda: h.slack.api.calls_to("conversations.history"), timeout=10, what="look-up"
        )
        await h.settle(timeout=10)
        stored = await h.repo.find_request(Kind.EMPLOYER, "emp_123")
        assert stored is not None and stored.state is State.APPROVED
        cards = cards_of(h.slack, "emp_123")
        assert len(cards) == 1
        assert cards[0].text.endswith("(Approved)"), cards[0].text
    finally:
        await stop_harness(h)


async def test_a_lost_answer_from_slack_is_logged(
    h: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    await card_post(h, FAULTS["drop"]())
    await settle_through_faults(h, "chat.postMessage", "drop")
    await check_card_post(h)
    assert "chat.postMessage" in caplog.text or "lost answer" in caplog.text


# -- the methods people wait on (the handlers' client) --------------------------------------


async def open_decline(h: Harness) -> int:
    await approved_employer_card(h)
    await h.slack.click(ADMIN, cards_of(h.slack, "emp_123")[0], ids.APPROVE)
    assert (await h.platform.send_jobs(job())).status == 200
    card = await h.card("job_456")
    answer = await h.slack.click(REVIEWERS[0], card, ids.DECLINE)
    return answer.status


async def already_decided_reply(h: Harness) -> int:
    await approved_employer_card(h)
    card = cards_of(h.slack, "emp_123")[0]
    await h.slack.click(ADMIN, card, ids.APPROVE)
    answer = await h.slack.click(REVIEWERS[0], card, ids.APPROVE)
    return answer.status


async def app_home(h: Harness) -> int:
    return (await h.slack.open_home(REVIEWERS[0])).status


INTERACTIVE = {
    "views.open": (open_decline, lambda h: len(h.slack.open_views_for(REVIEWERS[0]))),
    "chat.postEphemeral": (
        already_decided_reply,
        lambda h: len(h.slack.ephemerals_for(REVIEWERS[0])),
    ),
    "views.publish": (app_home, lambda h: int(REVIEWERS[0] in h.slack.workspace.home)),
}
# The handlers' client retries a 429 after Retry-After and a 500/503 once, sleeping for real
# (slack_sdk's handlers): here Retry-After is 1 s so the test does not wait 30.
INTERACTIVE_FAULTS: dict[str, Callable[[], Fault]] = {
    **{k: v for k, v in FAULTS.items() if k != "429"},
    "429": lambda: Fault(status=429, retry_after=1, error="ratelimited"),
}


def interactive_params() -> list[object]:
    return [
        pytest.param(
            name,
            fault,
            id=f"{name}-{fault}",
        )
        for name in INTERACTIVE
        for fault in INTERACTIVE_FAULTS
    ]


@pytest.mark.parametrize(("name", "fault"), interactive_params())
async def test_calls_made_while_someone_waits_never_fail_the_click_nor_double(
    h: Harness, caplog: pytest.LogCaptureFixture, name: str, fault: str
) -> None:
    caplog.set_level(logging.INFO)
    act, shown = INTERACTIVE[name]
    h.slack.api.fail(name, INTERACTIVE_FAULTS[fault]())
    started = time.monotonic()
    assert await act(h) == 200
    assert time.monotonic() - started < 2.5, "the acknowledgement waited for Slack"
    await h.jobgate.services.tasks.wait(timeout=5)
    if fault == "timeout":
        await asyncio.sleep(SLOW_S)
    # at most once: a 429 or a 5xx is retried once by the client, a lost answer is not
    assert shown(h) <= 1
    if shown(h) == 0:
        assert any(r.levelno == logging.WARNING for r in caplog.records), "failure not logged"
    assert not bot_errors(caplog.records), caplog.text
    INJECTED[f"interactive {fault}"] = INJECTED.get(f"interactive {fault}", 0) + 1
    report("slack_faults", {"faults_injected_by_kind": INJECTED})


async def test_a_hung_slack_call_gives_up_after_the_configured_timeout(tmp_path: Path) -> None:
    h = await start_harness(tmp_path, delivery=QUICK_POLICY)
    try:
        h.jobgate.deliverer._slack.timeout = CLIENT_TIMEOUT_S  # as if OUTBOX_TIMEOUT_S were this
        h.slack.api.fail("chat.postMessage", Fault(delay_s=1.5, status=500))
        await h.platform.send_jobs(job())
        await asyncio.sleep(0.8)
        assert "TimeoutError" in str(h.jobgate.deliverer.health.last_slack_error)
    finally:
        await stop_harness(h)


async def test_a_failed_views_open_shows_in_healthz(h: Harness) -> None:
    h.slack.api.fail("views.open", Fault(status=500), Fault(status=500))
    assert await open_decline(h) == 200
    await h.jobgate.services.tasks.wait(timeout=5)
    assert h.slack.open_views_for(REVIEWERS[0]) == []
    health = await healthz(h)
    assert "views.open" in str(health["slack"])


async def test_nothing_reaches_the_channel_twice_under_a_storm_of_faults(tmp_path: Path) -> None:
    """Twenty jobs while every outbox method fails in turn: one card each, one reply each."""
    h = await start(tmp_path, SLOW_POLICY)
    try:
        await storm(h)
    finally:
        await stop_harness(h)


async def storm(h: Harness) -> None:
    await approved_employer_card(h)
    await h.slack.click(ADMIN, cards_of(h.slack, "emp_123")[0], ids.APPROVE)
    await h.settle()
    for method in ("chat.postMessage", "chat.update", "conversations.history"):
        for make in (FAULTS["drop"], FAULTS["timeout"], FAULTS["500"], FAULTS["drop"]):
            h.slack.api.fail(method, make())
    jobs = [
        job(f"job_{i}", title=f"Analyst {chr(97 + i)}x", description=f"Team {i} work.")
        for i in range(20)
    ]
    assert (await h.platform.send_jobs(jobs)).status == 200
    await h.settle(timeout=20)
    for i in range(0, 20, 2):
        card = cards_of(h.slack, f"job_{i}")
        assert len(card) == 1
        await h.slack.click(REVIEWERS[i % 10], card[0], ids.APPROVE)
    await h.settle(timeout=20)
    await asyncio.sleep(SLOW_S)
    await h.settle(timeout=20)
    for i in range(20):
        cards = cards_of(h.slack, f"job_{i}")
        assert len(cards) == 1, f"job_{i}: {len(cards)} cards"
        expected = "(Approved)" if i % 2 == 0 else "(Pending review)"
        assert cards[0].text.endswith(expected)
        assert len(h.slack.thread(cards[0])) == (1 if i % 2 == 0 else 0)
    assert all(len(v) == 1 for v in marked(h.slack).values())
    assert len(h.platform.events_of_type("job.approved")) == 10
    summary = await h.repo.summarize_outbox(h.jobgate.services.clock.now())
    assert summary["dead"] == 0
