"""Hold follow-ups: the reminder at the follow-up day, expiry, and return on an update."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.clock import ShiftedClock
from bot.history import describe_entry
from bot.jobs import follow_up_holds
from bot.models import Kind, State, Via
from handlers import ids
from tests.harness import ADMIN, REVIEWERS, hold_form, job, start_harness, stop_harness
from tests.webhook_contract import contract_problems

WEDNESDAY = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)


async def held_job(tmp_path: Path, expiry_days: int | None = None):  # type: ignore[no-untyped-def]
    clock = ShiftedClock(WEDNESDAY)
    h = await start_harness(tmp_path, clock=clock)
    if expiry_days is not None:
        await h.repo.save_workspace_setting(
            "hold_expiry_days", expiry_days, actor=ADMIN, via=Via.COMMAND, now=clock.now()
        )
    card = await h.pending_job_card()
    modal = await h.modal_from(REVIEWERS[0], h.slack.click(REVIEWERS[0], card, ids.HOLD))
    await h.slack.submit(REVIEWERS[0], modal, hold_form(modal, "What is the pay?", "2"))
    await h.settle()
    return h, clock, card


async def test_the_reminder_goes_out_on_the_follow_up_day_once(tmp_path: Path) -> None:
    h, clock, card = await held_job(tmp_path)
    try:
        held = str(h.card_now(card).blocks)
        assert "*Follow-up:* <!date^" in held and "*Expires if unanswered:* <!date^" in held
        clock.advance(timedelta(days=1))
        early = await follow_up_holds(h.repo, clock.now())
        assert early.reminded == ()
        clock.advance(timedelta(days=1, minutes=1))  # Friday: 2 business days after Wednesday
        done = await follow_up_holds(h.repo, clock.now())
        assert len(done.reminded) == 1
        clock.advance(timedelta(hours=1))
        again = await follow_up_holds(h.repo, clock.now())
        assert again.reminded == ()
        await h.settle()
        reminders = h.platform.events_of_type("job.hold_reminder")
        assert len(reminders) == 1 and reminders[0]["data"]["question"] == "What is the pay?"
        # SPEC 6's fields describe the hold being followed up
        data = reminders[0]["data"]
        assert (data["outcome"], data["decided_by"], data["message"]) == (
            "on_hold",
            REVIEWERS[0],
            "What is the pay?",
        )
        assert contract_problems(reminders) == []
        assert "reminded" in h.slack.thread(card)[-1].text
    finally:
        await stop_harness(h)


async def test_an_unanswered_hold_expires_back_to_pending(tmp_path: Path) -> None:
    h, clock, card = await held_job(tmp_path)
    try:
        clock.advance(timedelta(days=15))
        done = await follow_up_holds(h.repo, clock.now())
        assert len(done.expired) == 1
        request = await h.repo.find_request(Kind.JOB, "job_456")
        assert (
            request is not None
            and request.state is State.PENDING
            and request.hold_expires_at is None
        )
        await h.settle()
        assert "hold expired" in h.slack.thread(card)[-1].text
        assert "Pending review" in str(h.card_now(card).blocks)
    finally:
        await stop_harness(h)


async def test_expiry_can_decline_with_no_response(tmp_path: Path) -> None:
    h, clock, _ = await held_job(tmp_path)
    try:
        await h.repo.save_workspace_setting(
            "hold_expiry_action", "decline", actor=ADMIN, via=Via.COMMAND, now=clock.now()
        )
        clock.advance(timedelta(days=15))
        await follow_up_holds(h.repo, clock.now())
        await h.settle()
        declined = h.platform.events_of_type("job.declined")
        assert [r["code"] for r in declined[0]["data"]["reasons"]] == ["no_response"]
        # nobody clicked: SPEC 2's `auto`, one of the five `via` values the platform knows
        assert (declined[0]["data"]["decided_by"], declined[0]["data"]["via"]) == ("auto", "auto")
    finally:
        await stop_harness(h)


async def test_an_update_from_the_employer_returns_a_hold_to_pending(tmp_path: Path) -> None:
    h, clock, card = await held_job(tmp_path)
    try:
        await h.platform.send_jobs(
            job(
                pay={"min": 25, "max": 30, "currency": "USD", "period": "hour"},
                description="Now with the pay: $25-30/hour.",
            )
        )
        await h.settle()
        request = await h.repo.find_request(Kind.JOB, "job_456")
        assert request is not None and request.state is State.PENDING
        note = h.slack.thread(card)[-1].text
        assert "on hold → pending" in note and "description" in note
        assert (await follow_up_holds(h.repo, clock.now() + timedelta(days=15))).expired == ()
    finally:
        await stop_harness(h)


async def test_a_hold_expires_after_calendar_days_weekends_included(tmp_path: Path) -> None:
    """SPEC 5: "expire the hold after M days" (the follow-up counts business days, the
    expiry counts days): held on a Wednesday with M = 3, it expires on Saturday."""
    h, _, _ = await held_job(tmp_path, expiry_days=3)
    try:
        held = await h.repo.find_request(Kind.JOB, "job_456")
        assert held is not None and held.state is State.ON_HOLD
        assert held.decided_at is not None and held.hold_expires_at is not None
        assert held.hold_expires_at == held.decided_at + timedelta(days=3)
        assert held.hold_expires_at.weekday() == 5  # Saturday
        almost = await follow_up_holds(h.repo, held.hold_expires_at - timedelta(minutes=1))
        assert almost.expired == ()
        done = await follow_up_holds(h.repo, held.hold_expires_at + timedelta(minutes=1))
        assert len(done.expired) == 1
    finally:
        await stop_harness(h)


async def test_expiry_can_close_the_request_as_expired(tmp_path: Path) -> None:
    """SPEC 2's `on_hold` → `expired`: chosen by `hold_expiry_action = expired`. The request
    is closed with no decision sent (SPEC 6 has no webhook type for it), and an edit from
    the employer brings it back to the queue."""
    h, clock, card = await held_job(tmp_path)
    try:
        await h.repo.save_workspace_setting(
            "hold_expiry_action", "expired", actor=ADMIN, via=Via.COMMAND, now=clock.now()
        )
        await h.settle()
        webhooks_before = len(h.platform.accepted)
        clock.advance(timedelta(days=15))
        done = await follow_up_holds(h.repo, clock.now())
        assert len(done.expired) == 1
        request = await h.repo.find_request(Kind.JOB, "job_456")
        assert request is not None and request.state is State.EXPIRED
        assert (request.decided_by, request.hold_expires_at) == ("auto", None)
        assert request.decided_via is Via.AUTO
        await h.settle()
        assert len(h.platform.accepted) == webhooks_before
        assert "closed as expired" in h.slack.thread(card)[-1].text
        blocks = str(h.card_now(card).blocks)
        assert "Hold expired" in blocks
        assert ids.APPROVE not in blocks and ids.DECLINE not in blocks
        audit = await h.repo.list_audit(request.id)
        expiry = [describe_entry(e).what for e in audit if e.action == "hold_expired"]
        assert expiry == ["closed the request when its hold expired"]
        snapshot = await h.repo.employer_snapshot(request.employer.id)
        assert snapshot is not None
        assert (snapshot.jobs["expired"], snapshot.jobs["on_hold"]) == (1, 0)

        await h.platform.send_jobs(job(description="Now with the pay: $25-30/hour."))
        await h.settle()
        reopened = await h.repo.find_request(Kind.JOB, "job_456")
        assert reopened is not None and reopened.state is State.PENDING
    finally:
        await stop_harness(h)
