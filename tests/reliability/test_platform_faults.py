"""Promise 3: the platform's webhook endpoint down for hours, then back.

Time is faked (a ShiftedClock jumped to each next due retry), with the production backoff
(2 s doubling to 15 minutes, with jitter). The endpoint answers 503 for the first half of the
outage and refuses connections for the second; then it is back. Every event arrives, once per
webhook-id, with the same id and body on every attempt, in order per request; a 410 stops
delivery for good (until the URL changes) and says so in /healthz and the log.

JOBGATE_RELIABILITY_OUTAGE_HOURS (default 6) sets the outage's length."""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from bot.clock import ShiftedClock
from bot.delivery import DeliveryPolicy
from bot.models import Kind, State, Via
from bot.sandbox.fake_platform import FakePlatform, Scripted
from storage.decisions import DecisionCommand
from tests.harness import (
    ADMIN,
    REVIEWERS,
    Harness,
    employer,
    job,
    restart_harness,
    start_harness,
    stop_harness,
)
from tests.reliability.support import free_port, healthz, knob, open_db, report

OUTAGE = timedelta(hours=knob("JOBGATE_RELIABILITY_OUTAGE_HOURS", 6))
PRODUCTION = DeliveryPolicy(idle_poll_s=0.05)  # 2 s doubling to 900 s, jitter, 72 h, 90 s lease


class SwitchableEndpoint:
    """The platform's webhook URL on a fixed port that can refuse connections (down) or
    serve the fake platform (up)."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/webhooks/jobgate"
        self.platform: FakePlatform | None = None
        self._runner: web.AppRunner | None = None

    async def _receive(self, request: web.Request) -> web.StreamResponse:
        assert self.platform is not None
        return await self.platform._receive(request)

    async def up(self) -> None:
        app = web.Application()
        app.add_routes([web.post("/webhooks/jobgate", self._receive)])
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()

    async def down(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None


def clock_of(h: Harness) -> ShiftedClock:
    clock = h.jobgate.services.clock
    assert isinstance(clock, ShiftedClock)
    return clock


async def run_until(h: Harness, until: datetime, during: Callable[[], None] | None = None) -> int:
    """Jump from one due retry to the next until `until` (faked time); the number of jumps."""
    deliverer, clock = h.jobgate.deliverer, clock_of(h)
    jumps = 0
    while True:
        if during is not None:
            during()
        await deliverer.drain(timeout=10, horizon_s=0)
        due = await h.repo.next_outbox_due(deliverer._claimable_kinds())
        if due is None or due > until:
            if clock.now() < until:
                clock.advance(until - clock.now())
            return jumps
        # due now but not claimable (leased): let a second pass
        clock.advance(max(due - clock.now(), timedelta(0)) + timedelta(milliseconds=5))
        if due <= clock.now() - timedelta(milliseconds=5):
            clock.advance(timedelta(seconds=1))
        jumps += 1


async def pause_background_deliverer(h: Harness) -> None:
    """Only run_until delivers, so no attempt is in flight while time jumps."""
    deliverer = h.jobgate.deliverer
    deliverer._stopping = True
    deliverer.wake()
    assert h.jobgate._deliver_task is not None
    await h.jobgate._deliver_task
    h.jobgate._deliver_task = None
    await h.repo.release_outbox_leases(deliverer.owner)


async def decide_during_outage(h: Harness) -> None:
    now = clock_of(h).now
    repo = h.repo
    ids_ = {}
    for i in range(5):
        found = await repo.find_request(Kind.JOB, f"job_{i}")
        assert found is not None
        ids_[i] = found.id
    await repo.record_decision(
        DecisionCommand(ids_[0], State.APPROVED, REVIEWERS[0], Via.BUTTON), now()
    )
    await repo.record_decision(
        DecisionCommand(
            ids_[1], State.DECLINED, REVIEWERS[1], Via.BUTTON, reason_codes=("insufficient_detail",)
        ),
        now(),
    )
    await repo.revert_decision(
        ids_[0], actor=REVIEWERS[0], via=Via.BUTTON, is_admin=False, now=now()
    )
    await repo.record_decision(
        DecisionCommand(ids_[0], State.APPROVED, REVIEWERS[2], Via.BUTTON), now()
    )
    await repo.record_decision(
        DecisionCommand(ids_[2], State.ON_HOLD, REVIEWERS[3], Via.BUTTON, hold_question="Pay?"),
        now(),
    )
    await repo.record_decision(
        DecisionCommand(ids_[3], State.APPROVED, REVIEWERS[4], Via.BUTTON), now()
    )
    await repo.revert_decision(ids_[3], actor=ADMIN, via=Via.BUTTON, is_admin=True, now=now())


async def seed(h: Harness) -> None:
    assert (await h.platform.send_employers(employer())).status == 200
    found = await h.repo.find_request(Kind.EMPLOYER, "emp_123")
    assert found is not None
    await h.repo.record_decision(
        DecisionCommand(found.id, State.APPROVED, ADMIN, Via.BUTTON), clock_of(h).now()
    )
    jobs = [
        job(f"job_{i}", title=f"Analyst {chr(97 + i)}", description=f"Team {i}.") for i in range(5)
    ]
    assert (await h.platform.send_jobs(jobs)).status == 200
    await h.settle(timeout=10)
    assert len(h.platform.accepted) == 1  # the employer's approval, before the outage


def webhook_rows(db: Path) -> list[dict[str, Any]]:
    with open_db(db) as conn:
        return [
            dict(r)
            for r in conn.execute(
                "SELECT id, message_id, lane, state, attempts FROM outbox WHERE kind = 'webhook'"
                " ORDER BY id"
            )
        ]


async def test_six_hours_of_503_and_refused_connections_lose_nothing(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    endpoint = SwitchableEndpoint()
    await endpoint.up()
    h = await start_harness(
        tmp_path,
        clock=ShiftedClock(datetime.now(UTC)),
        delivery=PRODUCTION,
        settings_overrides={"JOBGATE_WEBHOOK_URL": endpoint.url},
    )
    endpoint.platform = h.platform
    try:
        await seed(h)
        await pause_background_deliverer(h)
        clock = clock_of(h)
        start = clock.now()

        # first half: 503s (one with Retry-After: one hour), recorded by the platform
        h.platform.script.append(Scripted(503, retry_after="3600"))

        def keep_answering_503() -> None:
            while len(h.platform.script) < 20:
                h.platform.script.append(Scripted(503))

        await decide_during_outage(h)
        jumps = await run_until(h, start + OUTAGE / 2, keep_answering_503)
        h.platform.script.clear()
        health = await healthz(h)
        assert health["webhook"]["last_error"] == "HTTP 503"
        assert health["outbox"]["pending_webhooks"] == 7
        assert health["outbox"]["oldest_pending_seconds"] >= OUTAGE.total_seconds() / 2 - 60

        # second half: nobody listening
        await endpoint.down()
        jumps += await run_until(h, start + OUTAGE)
        health = await healthz(h)
        assert "could not reach the platform" in health["webhook"]["last_error"]
        assert health["outbox"]["dead"] == 0 and health["outbox"]["pending_webhooks"] == 7
        attempts_during_outage = len(h.platform.attempts)

        # back: everything arrives within one maximal backoff
        await endpoint.up()
        back = clock.now()
        jumps += await run_until(h, back + timedelta(seconds=PRODUCTION.max_delay_s + 5))
        rows = webhook_rows(tmp_path / "jobgate.db")
        assert all(r["state"] == "delivered" for r in rows), rows
        health = await healthz(h)
        assert health["outbox"]["pending_webhooks"] == 0 and health["status"] == "ok"
    finally:
        await stop_harness(h)
        await endpoint.down()

    accepted = {d.webhook_id: d for d in h.platform.accepted}
    assert set(accepted) == {r["message_id"] for r in rows}
    assert h.platform.rejected_signatures == 0
    # the same webhook-id and the same body on every attempt
    bodies: dict[str, set[str]] = defaultdict(set)
    times: dict[str, list[int]] = defaultdict(list)
    for attempt in h.platform.attempts:
        bodies[attempt.webhook_id].add(json.dumps(attempt.event, sort_keys=True))
        times[attempt.webhook_id].append(int(attempt.headers["webhook-timestamp"]))
    assert all(len(b) == 1 for b in bodies.values())
    # in order per request
    first = {d.webhook_id: i for i, d in enumerate(h.platform.accepted)}
    lanes: dict[str, list[str]] = defaultdict(list)
    for r in rows:
        lanes[r["lane"]].append(r["message_id"])
    for lane, ids_ in lanes.items():
        assert [first[i] for i in ids_] == sorted(first[i] for i in ids_), lane
    job_0 = [accepted[i].event["type"] for i in lanes[f"webhook:{min_job_lane(rows)}"]]
    assert job_0 == ["job.approved", "job.decision_reverted", "job.approved"]
    # kept trying all along, without hammering: between 1/900 s and 1/450 s at the ceiling
    per_item = max(r["attempts"] for r in rows)
    ceiling = OUTAGE.total_seconds() / PRODUCTION.max_delay_s
    assert ceiling * 0.9 <= per_item <= 2 * ceiling + 20, per_item
    assert "not accepted (HTTP 503)" in caplog.text
    figures = {
        "outage_hours": OUTAGE.total_seconds() / 3600,
        "events": len(rows),
        "attempts_during_outage_recorded_by_platform": attempts_during_outage,
        "attempts_of_the_most_tried_event": per_item,
        "time_jumps": jumps,
        "lost": 0,
        "delivered_twice_to_the_platform": 0,
    }
    report("platform_outage", figures)


def min_job_lane(rows: list[dict[str, Any]]) -> str:
    """The request id of job_0 (the first job: its lane has three events)."""
    counts: dict[str, int] = defaultdict(int)
    for r in rows:
        counts[r["lane"]] += 1
    lane = next(lane for lane, n in counts.items() if n == 3)
    return lane.removeprefix("webhook:")


async def test_retry_after_from_the_platform_is_honoured(tmp_path: Path) -> None:
    h = await start_harness(tmp_path, clock=ShiftedClock(datetime.now(UTC)), delivery=PRODUCTION)
    try:
        await pause_background_deliverer(h)
        h.platform.script.append(Scripted(429, retry_after="1800"))
        assert (await h.platform.send_employers(employer())).status == 200
        found = await h.repo.find_request(Kind.EMPLOYER, "emp_123")
        assert found is not None
        clock = clock_of(h)
        await h.repo.record_decision(
            DecisionCommand(found.id, State.APPROVED, ADMIN, Via.BUTTON), clock.now()
        )
        start = clock.now()
        await run_until(h, start + timedelta(minutes=29))
        assert [a.status for a in h.platform.attempts] == [429]
        await run_until(h, start + timedelta(minutes=31))
        assert [a.status for a in h.platform.attempts] == [429, 200]
    finally:
        await stop_harness(h)


async def test_410_stops_delivery_for_good_says_so_and_resumes_in_order_at_a_new_url(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    h = await start_harness(tmp_path, clock=ShiftedClock(datetime.now(UTC)), delivery=PRODUCTION)
    new_home = SwitchableEndpoint()
    try:
        await seed(h)  # the employer's approval is delivered
        await pause_background_deliverer(h)
        h.platform.script.extend([Scripted(410)] * 50)  # gone for good
        await decide_during_outage(h)
        clock = clock_of(h)
        await run_until(h, clock.now() + timedelta(seconds=1))
        tried = len(h.platform.attempts)
        # what was already in flight when the first 410 came back was answered 410 too
        assert [a.status for a in h.platform.attempts] == [200] + [410] * (tried - 1)
        await run_until(h, clock.now() + OUTAGE)
        assert len(h.platform.attempts) == tried, "tried again after 410 Gone"
        h.platform.script.clear()
        health = await healthz(h)
        assert health["webhook"]["disabled"]["url"] == h.platform.url
        assert health["status"] == "degraded"
        assert health["outbox"]["pending_webhooks"] == 7
        assert health["outbox"]["pending_slack"] == 0  # Slack is not held up by the platform
        gone = [r for r in caplog.records if "410 Gone" in r.getMessage()]
        assert 1 <= len(gone) == tried - 1 and {r.levelno for r in gone} == {logging.ERROR}

        # a restart with the same URL stays disabled and says so again
        h = await restart_harness(h, tmp_path, delivery=PRODUCTION)
        await pause_background_deliverer(h)
        await run_until(h, clock_of(h).now() + timedelta(hours=1))
        assert len(h.platform.attempts) == tried
        assert (await healthz(h))["webhook"]["disabled"] is not None
        assert sum("stay disabled" in r.getMessage() for r in caplog.records) == 1

        # a new URL: everything kept is delivered, in order, with the ids it always had
        await new_home.up()
        new_home.platform = h.platform
        kept = {
            r["message_id"]
            for r in webhook_rows(tmp_path / "jobgate.db")
            if r["state"] == "pending"
        }
        gone_ids = {a.webhook_id for a in h.platform.attempts[1:]}
        h = await restart_harness(
            h,
            tmp_path,
            delivery=PRODUCTION,
            settings_overrides={"JOBGATE_WEBHOOK_URL": new_home.url},
        )
        await pause_background_deliverer(h)
        await run_until(h, clock_of(h).now() + timedelta(minutes=1))
        delivered = [d.webhook_id for d in h.platform.accepted][1:]
        assert set(delivered) == kept and gone_ids <= kept
        rows = webhook_rows(tmp_path / "jobgate.db")
        lanes: dict[str, list[str]] = defaultdict(list)
        for r in rows:
            lanes[r["lane"]].append(r["message_id"])
        for ids_ in lanes.values():
            ours = [i for i in delivered if i in ids_]
            assert ours == [i for i in ids_ if i in ours]
        assert (await healthz(h))["webhook"]["disabled"] is None
    finally:
        await stop_harness(h)
        await new_home.down()
