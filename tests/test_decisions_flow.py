"""Decline and Hold through their modals; who may act; concurrent clicks."""

from __future__ import annotations

import asyncio
import dataclasses
import json

from bot.models import Kind, State, Via
from bot.sandbox.slack_api import Fault
from bot.sandbox.workspace import Message, OpenView
from handlers import ids
from tests.conversation import audit_rows
from tests.harness import (
    ADMIN,
    OUTSIDER,
    REVIEW_CHANNEL,
    REVIEWERS,
    STAFF,
    Harness,
    block_starting,
    decline_form,
    employer,
    hold_form,
    job,
    static_select,
    text_input,
)

SECRET_NOTE = "Recruiter sounded evasive on the phone — SECRET-NOTE-42"


async def test_decline_sends_reasons_and_message_but_never_the_internal_note(
    harness: Harness,
) -> None:
    h = harness
    card = await h.pending_job_card()
    modal = await h.modal_from(REVIEWERS[2], h.slack.click(REVIEWERS[2], card, ids.DECLINE))
    assert modal.view["callback_id"] == ids.DECLINE_MODAL
    answer = await h.slack.submit(
        REVIEWERS[2],
        modal,
        decline_form("insufficient_detail", "commission_or_unpaid", note=SECRET_NOTE)
        | text_input(
            block_starting(modal, ids.EMPLOYER_MESSAGE),
            "Please add pay and duties, then resubmit.",
        ),
    )
    assert answer.status == 200 and modal.closed

    deliveries = await h.platform.wait_for_accepted(2)
    event = deliveries[-1].event
    assert event["type"] == "job.declined"
    assert [r["code"] for r in event["data"]["reasons"]] == [
        "insufficient_detail",
        "commission_or_unpaid",
    ]
    assert event["data"]["message"] == "Please add pay and duties, then resubmit."
    for delivery in h.platform.attempts:
        assert "SECRET-NOTE-42" not in str(delivery.event)

    await h.settle()
    blocks = str(h.card_now(card).blocks)
    assert "Declined" in blocks and "Not enough detail" in blocks
    thread = h.slack.thread(card)
    assert "SECRET-NOTE-42" in thread[-1].text  # the team sees its own note
    stored = await h.repo.find_request(Kind.JOB, "job_456")
    assert stored is not None and stored.state is State.DECLINED
    audit = await h.repo.list_audit(stored.id)
    assert audit[-1].note and "SECRET-NOTE-42" in audit[-1].note


async def test_choosing_reasons_prefills_the_message_to_the_employer(harness: Harness) -> None:
    h = harness
    card = await h.pending_job_card()
    modal = await h.modal_from(REVIEWERS[0], h.slack.click(REVIEWERS[0], card, ids.DECLINE))
    await h.slack.view_action(REVIEWERS[0], modal, ids.REASONS[1], ["upfront_cost"])
    await h.slack.wait_for(lambda: "upfront cost" in str(modal.view), what="the prefilled message")
    # submitting without touching the message sends the prefilled text
    await h.slack.submit(REVIEWERS[0], modal, decline_form("upfront_cost"))
    deliveries = await h.platform.wait_for_accepted(2)
    assert "upfront cost" in deliveries[-1].event["data"]["message"]


async def test_decline_without_a_reason_is_refused_in_the_modal(harness: Harness) -> None:
    h = harness
    card = await h.pending_job_card()
    modal = await h.modal_from(REVIEWERS[0], h.slack.click(REVIEWERS[0], card, ids.DECLINE))
    answer = await h.slack.submit(REVIEWERS[0], modal, decline_form())
    assert answer.json()["response_action"] == "errors"
    assert "reasons" in answer.json()["errors"]
    stored = await h.repo.find_request(Kind.JOB, "job_456")
    assert stored is not None and stored.state is State.PENDING


async def test_hold_asks_the_employer_and_sets_the_follow_up(harness: Harness) -> None:
    h = harness
    card = await h.pending_job_card()
    modal = await h.modal_from(REVIEWERS[3], h.slack.click(REVIEWERS[3], card, ids.HOLD))
    answer = await h.slack.submit(
        REVIEWERS[3], modal, hold_form(modal, "What will the intern do day to day?", "4")
    )
    assert answer.status == 200 and modal.closed
    deliveries = await h.platform.wait_for_accepted(2)
    event = deliveries[-1].event
    assert event["type"] == "job.on_hold"
    assert event["data"]["message"] == "What will the intern do day to day?"
    assert "follow_up_at" in event["data"]
    stored = await h.repo.find_request(Kind.JOB, "job_456")
    assert stored is not None and stored.state is State.ON_HOLD and stored.hold_follow_up_at


async def test_hold_with_a_bad_follow_up_is_refused(harness: Harness) -> None:
    h = harness
    card = await h.pending_job_card()
    modal = await h.modal_from(REVIEWERS[3], h.slack.click(REVIEWERS[3], card, ids.HOLD))
    answer = await h.slack.submit(REVIEWERS[3], modal, hold_form(modal, "", "99"))
    errors = answer.json()["errors"]
    question_block = block_starting(modal, ids.HOLD_QUESTION)[0]
    assert set(errors) == {question_block, ids.FOLLOW_UP_DAYS[0]}
    stored = await h.repo.find_request(Kind.JOB, "job_456")
    assert stored is not None and stored.state is State.PENDING


async def test_the_hold_modal_takes_any_follow_up_the_settings_allow(harness: Harness) -> None:
    """hold_follow_up_days may be set to 60: the modal opens with it and accepts it, as long
    as the hold does not expire first (hold_expiry_days, calendar days)."""
    h = harness
    now = h.jobgate.services.clock.now()
    await h.repo.save_workspace_setting(
        "hold_follow_up_days", 45, actor=ADMIN, via=Via.COMMAND, now=now
    )
    card = await h.pending_job_card()
    modal = await h.modal_from(REVIEWERS[3], h.slack.click(REVIEWERS[3], card, ids.HOLD))
    [days] = [
        b["element"] for b in modal.view["blocks"] if b.get("block_id") == ids.FOLLOW_UP_DAYS[0]
    ]
    assert (days["initial_value"], days["max_value"]) == ("45", "60")
    # 60 business days is past the default 14-day expiry: the reminder would never go out
    refused = await h.slack.submit(REVIEWERS[3], modal, hold_form(modal, "Pay?", "60"))
    assert "A hold expires after 14 days" in refused.json()["errors"][ids.FOLLOW_UP_DAYS[0]]
    await h.repo.save_workspace_setting(
        "hold_expiry_days", 120, actor=ADMIN, via=Via.COMMAND, now=now
    )
    answer = await h.slack.submit(REVIEWERS[3], modal, hold_form(modal, "Pay?", "60"))
    assert "errors" not in (answer.json() or {})
    await h.settle()
    stored = await h.repo.find_request(Kind.JOB, "job_456")
    assert stored is not None and stored.state is State.ON_HOLD


async def test_a_non_reviewer_changes_nothing_and_is_told_privately(harness: Harness) -> None:
    h = harness
    card = await h.pending_job_card()
    calls_before = len(h.platform.attempts)
    answer = await h.slack.click(STAFF, card, ids.APPROVE)
    assert answer.status == 200
    notice = await h.slack.wait_for(lambda: h.slack.ephemerals_for(STAFF), what="a private reply")
    assert "not on jobgate's reviewer list" in notice[0].text
    assert "Ask a jobgate admin, or whoever runs jobgate, to add you" in notice[0].text
    stored = await h.repo.find_request(Kind.JOB, "job_456")
    assert stored is not None and stored.state is State.PENDING
    audit = await h.repo.list_audit(stored.id)
    assert audit[-1].action == "refused" and audit[-1].actor == STAFF
    await h.settle()
    assert len(h.platform.attempts) == calls_before
    assert h.slack.open_views_for(STAFF) == []


async def test_a_click_from_another_team_changes_nothing(harness: Harness) -> None:
    h = harness
    card = await h.pending_job_card()
    # OUTSIDER's id is even listed as a reviewer: the team check still refuses
    await h.slack.click(OUTSIDER, card, ids.APPROVE)
    notice = await h.slack.wait_for(
        lambda: h.slack.ephemerals_for(OUTSIDER), what="a private reply"
    )
    assert "Only members of this workspace" in notice[0].text
    await h.slack.click(OUTSIDER, card, ids.DECLINE)
    await h.settle()
    assert h.slack.open_views_for(OUTSIDER) == []
    stored = await h.repo.find_request(Kind.JOB, "job_456")
    assert stored is not None and stored.state is State.PENDING
    refusals = [a for a in await h.repo.list_audit(stored.id) if a.action == "refused"]
    assert [r.details["why"] for r in refusals] == ["other_team", "other_team"]


async def test_a_click_is_refused_while_the_bot_cannot_confirm_its_workspace(
    harness: Harness,
) -> None:
    # deny by default: until auth.test answers, a click from another workspace could not be
    # told apart, so no click is taken; once Slack answers, the next click is
    h = harness
    await h.platform.send_employers(employer())
    await h.platform.send_jobs(job())
    card = await h.card("job_456")
    # Bolt checks the token with auth.test once, before its first request, and keeps the
    # answer: `/jobgate help` has it done, and jobgate's own check has not run yet
    await h.slack.slash(REVIEWERS[0], "help", channel=REVIEW_CHANNEL)
    assert len(h.slack.api.calls_to("auth.test")) == 1
    h.slack.api.fail("auth.test", *[Fault(status=500, error="internal_error")] * 5)
    await h.slack.click(REVIEWERS[0], card, ids.APPROVE)
    await h.slack.wait_for(
        lambda: [
            e
            for e in h.slack.ephemerals_for(REVIEWERS[0])
            if "could not confirm its own Slack workspace" in e.text
        ],
        what="a private reply",
    )
    assert h.slack.open_views_for(REVIEWERS[0]) == []
    stored = await h.repo.find_request(Kind.JOB, "job_456")
    assert stored is not None and stored.state is State.PENDING
    refusals = [a for a in await h.repo.list_audit(stored.id) if a.action == "refused"]
    assert [r.details["why"] for r in refusals] == ["team_unknown"]

    h.slack.api.faults["auth.test"].clear()
    # taken: its employer is still pending, so the modal asks to approve both
    view = await h.modal_from(REVIEWERS[0], h.slack.click(REVIEWERS[0], card, ids.APPROVE))
    assert view.view["callback_id"] == ids.APPROVE_BOTH_MODAL
    assert h.slack.api.calls_to("auth.test")[-1].status == 200


async def test_ten_reviewers_clicking_approve_at_once_make_one_decision(harness: Harness) -> None:
    h = harness
    card = await h.pending_job_card()
    answers = await asyncio.gather(*(h.slack.click(user, card, ids.APPROVE) for user in REVIEWERS))
    assert all(a.status == 200 for a in answers)
    await h.platform.wait_for_accepted(2)
    await h.settle()
    stored = await h.repo.find_request(Kind.JOB, "job_456")
    assert stored is not None and stored.state is State.APPROVED
    decisions = [a for a in await h.repo.list_audit(stored.id) if a.action == "approved"]
    assert len(decisions) == 1
    winner = decisions[0].actor
    assert len(h.platform.events_of_type("job.approved")) == 1
    losers = [u for u in REVIEWERS if u != winner]
    await h.slack.wait_for(
        lambda: all(h.slack.ephemerals_for(u) for u in losers), what="replies to the others"
    )
    for user in losers:
        assert f"<@{winner}>" in h.slack.ephemerals_for(user)[0].text
        assert "already approved" in h.slack.ephemerals_for(user)[0].text
    assert len(h.slack.bot_messages(REVIEW_CHANNEL)) == 2  # employer card + job card


async def test_a_card_for_a_request_jobgate_does_not_know_is_answered_and_changes_nothing(
    harness: Harness,
) -> None:
    """A card from an older copy of the database: each button says so privately, and
    nothing is recorded, opened or sent to the platform."""
    h = harness
    card = await h.pending_job_card()
    stored = await h.repo.find_request(Kind.JOB, "job_456")
    assert stored is not None

    async def click_stale(message: Message, actions: tuple[str, ...]) -> None:
        blocks = json.loads(json.dumps(message.blocks).replace(f'"{stored.id}"', '"999999"'))
        assert blocks != message.blocks
        stale = dataclasses.replace(message, blocks=blocks)
        await h.settle()
        audit_before = await h.repo.list_audit(stored.id)
        attempts_before = len(h.platform.attempts)
        for action in actions:
            told = len(h.slack.ephemerals_for(REVIEWERS[1]))
            assert (await h.slack.click(REVIEWERS[1], stale, action)).status == 200
            await h.slack.wait_for(
                lambda told=told: len(h.slack.ephemerals_for(REVIEWERS[1])) > told, what=action
            )
            said = h.slack.ephemerals_for(REVIEWERS[1])[told].text
            assert "no request #999999 on record" in said and "nothing changed" in said
        await h.settle()
        assert h.slack.open_views_for(REVIEWERS[1]) == []
        assert await h.repo.list_audit(stored.id) == audit_before
        assert len(h.platform.attempts) == attempts_before

    await click_stale(card, (ids.APPROVE, ids.DECLINE, ids.HOLD))
    pending = await h.repo.find_request(Kind.JOB, "job_456")
    assert pending is not None and pending.state is State.PENDING
    assert (await h.slack.click(REVIEWERS[1], card, ids.APPROVE)).status == 200
    await h.settle()
    approved = h.card_now(card)
    await click_stale(approved, (ids.UNDO,))
    still = await h.repo.find_request(Kind.JOB, "job_456")
    assert still is not None and still.state is State.APPROVED


async def test_a_form_slack_does_not_open_is_explained_not_silent(harness: Harness) -> None:
    """Slack's trigger id lasts 3 s; when views.open fails (expired, or Slack is down), the
    reviewer is told privately what to do instead of seeing nothing happen."""
    h = harness
    card = await h.pending_job_card()
    stored = await h.repo.find_request(Kind.JOB, "job_456")
    assert stored is not None
    expired = Fault(status=200, error="expired_trigger_id")
    h.slack.api.fail("views.open", expired, expired)
    await h.slack.click(REVIEWERS[0], card, ids.DECLINE)
    history = f"{ids.VERB_HISTORY}:{stored.id}"
    await h.slack.click(REVIEWERS[0], card, ids.CARD_MENU, selected=history)
    told = await h.slack.wait_for(
        lambda: (
            h.slack.ephemerals_for(REVIEWERS[0])[:2]
            if len(h.slack.ephemerals_for(REVIEWERS[0])) >= 2
            else None
        ),
        what="two replies",
    )
    await h.settle()
    assert len(h.slack.ephemerals_for(REVIEWERS[0])) == 2  # and no third, however late
    texts = sorted(e.text for e in told)
    assert texts == [
        "Slack did not open the Decline form (expired_trigger_id), so nothing changed. "
        "Click Decline again.",
        "Slack did not open the history (expired_trigger_id), so nothing changed. "
        "Pick it from the card's menu again.",
    ]
    assert h.slack.open_views_for(REVIEWERS[0]) == []
    # once Slack answers again, the same click opens the form
    modal = await h.modal_from(REVIEWERS[0], h.slack.click(REVIEWERS[0], card, ids.DECLINE))
    assert modal.view["callback_id"] == ids.DECLINE_MODAL


async def test_a_form_whose_request_is_not_there_turns_into_a_notice_and_changes_nothing(
    harness: Harness,
) -> None:
    """A form submitted for a request jobgate has no record of (a forged or stale id in its
    metadata): Decline, Hold, Approve-both, Report and Flag each answer with the same notice,
    and nothing is recorded or sent."""
    h = harness
    await h.platform.send_employers(employer())
    await h.platform.send_jobs(job())
    card = await h.card("job_456")
    user = REVIEWERS[1]

    async def form(action: str, selected: str | None = None) -> OpenView:
        return await h.modal_from(user, h.slack.click(user, card, action, selected=selected))

    stored = await h.repo.find_request(Kind.JOB, "job_456")
    assert stored is not None
    decline = await form(ids.DECLINE)
    hold = await form(ids.HOLD)
    approve_both = await form(ids.APPROVE)
    assert approve_both.view["callback_id"] == ids.APPROVE_BOTH_MODAL
    report = await form(ids.CARD_MENU, f"{ids.VERB_REPORT}:{stored.id}")
    flag = await form(ids.CARD_MENU, f"{ids.VERB_FLAG}:{stored.id}")
    submissions = [
        (decline, decline_form("insufficient_detail")),
        (hold, hold_form(hold, "Which office is this role in?", "3")),
        (approve_both, {}),
        (
            report,
            static_select(ids.REPORT_CATEGORY, "fraud")
            | text_input(ids.REPORT_DETAILS, "Asks for a deposit"),
        ),
        (flag, text_input(ids.FLAG_REASON, "Pay far above the market")),
    ]
    audit_before = await h.repo.list_audit(stored.id)
    # what a handler acting on the forged id could leave anywhere: rows of any request, and
    # any message or webhook
    await h.settle()
    rows_before = await _rows_written(h)
    slack_before = len(h.slack.api.calls_to("chat.postMessage")) + len(
        h.slack.api.calls_to("chat.update")
    )
    attempts_before = len(h.platform.attempts)
    for modal, values in submissions:
        metadata = json.loads(modal.view["private_metadata"])
        assert str(metadata["request_id"]) == str(stored.id)
        modal.view["private_metadata"] = json.dumps(metadata | {"request_id": 999_999})
        answer = await h.slack.submit(user, modal, values)
        assert answer.status == 200
        assert answer.json()["response_action"] == "update", modal.view["callback_id"]
        assert "That request no longer exists here." in str(modal.view["blocks"])
        assert not modal.closed
    await h.settle()
    assert await h.repo.list_audit(stored.id) == audit_before
    assert await _rows_written(h) == rows_before
    assert (
        len(h.slack.api.calls_to("chat.postMessage")) + len(h.slack.api.calls_to("chat.update"))
        == slack_before
    )
    assert len(h.platform.attempts) == attempts_before
    assert h.platform.accepted == []
    assert h.platform.events_of_type("report.filed") == []
    still = await h.repo.find_request(Kind.JOB, "job_456")
    assert still is not None and still.state is State.PENDING
    flagged = await h.repo.db.read(
        lambda conn: conn.execute(
            "SELECT COUNT(*) FROM requests WHERE flagged_by IS NOT NULL"
        ).fetchone()[0]
    )
    assert flagged == 0


async def _rows_written(h: Harness) -> list[tuple[object, ...]]:
    """How many rows the tables a decision, flag or report writes hold, and the requests'
    states and flags."""
    [counts] = await audit_rows(
        h,
        "SELECT (SELECT COUNT(*) FROM audit), (SELECT COUNT(*) FROM outbox),"
        " (SELECT COUNT(*) FROM reports), (SELECT COUNT(*) FROM notes),"
        " (SELECT COUNT(*) FROM notifications)",
    )
    return [counts, *await audit_rows(h, "SELECT id, state, flagged_by FROM requests")]
