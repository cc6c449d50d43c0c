"""End to end over real HTTP on loopback: platform → card → decision → card, thread, webhook."""

from __future__ import annotations

from bot.models import Kind, State
from handlers import ids
from tests.harness import REVIEW_CHANNEL, REVIEWERS, Harness, employer, job


async def test_job_request_becomes_a_card_and_an_approval_reaches_the_platform(
    harness: Harness,
) -> None:
    h = harness
    await h.approve_employer()
    answer = await h.platform.send_jobs(job())
    assert answer.status == 200
    assert answer.body == {"id": "job_456", "kind": "job", "state": "pending", "result": "created"}

    card = await h.card("job_456")
    buttons = [
        e
        for b in card.blocks
        if b["type"] == "actions"
        for e in b["elements"]
        if e["type"] == "button"
    ]
    assert [b["text"]["text"] for b in buttons] == ["Approve", "Decline", "Hold"]

    clicked = await h.slack.click(REVIEWERS[0], card, ids.APPROVE)
    assert clicked.status == 200

    deliveries = await h.platform.wait_for_accepted(2)
    event = deliveries[-1].event
    assert event["type"] == "job.approved"
    assert event["data"]["id"] == "job_456"
    assert event["data"]["decided_by"] == REVIEWERS[0]
    assert event["data"]["via"] == "button"
    assert "note" not in event["data"]

    await h.settle()
    updated = h.card_now(card)
    text = str(updated.blocks)
    assert "Approved" in text and REVIEWERS[0] in text
    remaining = [
        e["text"]["text"]
        for b in updated.blocks
        if b["type"] == "actions"
        for e in b["elements"]
        if e["type"] == "button"
    ]
    assert remaining == ["Undo"]
    thread = h.slack.thread(card)
    assert len(thread) == 1 and "Approved" in thread[0].text

    stored = await h.repo.find_request(Kind.JOB, "job_456")
    assert stored is not None and stored.state is State.APPROVED
    audit = await h.repo.list_audit(stored.id)
    assert [a.action for a in audit] == ["received", "approved"]


async def test_employer_approval_carries_the_default_roles(harness: Harness) -> None:
    h = harness
    await h.approve_employer()
    event = h.platform.accepted[0].event
    assert event["type"] == "employer.approved"
    assert event["data"]["roles"] == ["post_jobs", "post_events", "post_interview_schedules"]


async def test_approving_a_job_of_a_pending_employer_asks_to_approve_both(harness: Harness) -> None:
    h = harness
    await h.platform.send_employers(employer())
    await h.platform.send_jobs(job())
    card = await h.card("job_456")
    await h.slack.click(REVIEWERS[1], card, ids.APPROVE)
    view = await h.modal(REVIEWERS[1])
    assert view.view["callback_id"] == ids.APPROVE_BOTH_MODAL
    assert h.platform.accepted == []

    await h.slack.submit(REVIEWERS[1], view, {})
    deliveries = await h.platform.wait_for_accepted(2)
    assert [d.event["type"] for d in deliveries] == ["employer.approved", "job.approved"]


async def test_jobs_of_a_declined_employer_are_declined_automatically(harness: Harness) -> None:
    h = harness
    await h.platform.send_employers(employer())
    await h.platform.send_jobs(job("job_1"))
    employer_card = await h.card("emp_123")
    await h.decline_card(REVIEWERS[0], employer_card, "unverified_employer")
    await h.platform.wait_for_accepted(2)
    answer = await h.platform.send_jobs(job("job_2"))
    assert answer.body["state"] == "declined"
    deliveries = await h.platform.wait_for_accepted(3)
    types = sorted(d.event["type"] for d in deliveries)
    assert types == ["employer.declined", "job.declined", "job.declined"]
    for delivery in deliveries:
        if delivery.event["type"] == "job.declined":
            assert [r["code"] for r in delivery.event["data"]["reasons"]] == [
                "employer_not_approved"
            ]
            assert delivery.event["data"]["decided_by"] == "auto"


async def test_an_edited_job_of_a_declined_employer_is_declined_again(harness: Harness) -> None:
    # an edit sends a declined job back to pending, unless its employer may not post
    h = harness
    await h.platform.send_employers(employer())
    await h.platform.send_jobs(job("job_1"))
    card = await h.card("job_1")
    employer_card = await h.card("emp_123")
    await h.decline_card(REVIEWERS[0], employer_card, "unverified_employer")
    await h.platform.wait_for_accepted(2)  # employer.declined, and its job in the cascade

    answer = await h.platform.send_jobs(job("job_1", title="Senior Data Analyst Intern"))
    assert answer.status == 200
    assert answer.body["result"] == "updated" and answer.body["state"] == "declined"
    deliveries = await h.platform.wait_for_accepted(3)
    again = deliveries[-1].event
    assert again["type"] == "job.declined" and again["data"]["decided_by"] == "auto"
    assert [r["code"] for r in again["data"]["reasons"]] == ["employer_not_approved"]
    stored = await h.repo.find_request(Kind.JOB, "job_1")
    assert stored is not None and stored.state is State.DECLINED
    actions = [entry.action for entry in await h.repo.list_audit(stored.id)]
    assert actions == ["received", "declined", "resubmitted", "declined"]
    await h.settle()
    blocks = str(h.card_now(card).blocks)
    assert "Senior Data Analyst Intern" in blocks and "Declined" in blocks
    assert ids.APPROVE not in blocks, "no review buttons on a job its employer cannot post"


async def test_a_changed_pending_request_updates_its_card_and_says_what_changed(
    harness: Harness,
) -> None:
    h = harness
    await h.platform.send_jobs(job())
    card = await h.card("job_456")
    answer = await h.platform.send_jobs(job(title="Senior Data Analyst Intern"))
    assert answer.body["result"] == "updated"
    await h.settle()
    assert "Senior Data Analyst Intern" in str(h.card_now(card).blocks)
    thread = h.slack.thread(card)
    assert len(thread) == 1
    assert "title" in thread[0].text and "Senior Data Analyst Intern" in thread[0].text
    assert len(h.slack.bot_messages(REVIEW_CHANNEL)) == 1


async def test_resending_the_same_request_changes_nothing(harness: Harness) -> None:
    h = harness
    await h.platform.send_jobs(job())
    await h.card("job_456")
    again = await h.platform.send_jobs(job(requested_at="2026-11-26T09:00:00Z"))
    assert again.body["result"] == "unchanged"
    await h.settle()
    assert len(h.slack.bot_messages(REVIEW_CHANNEL)) == 1
    assert h.slack.api.calls_to("chat.update") == []
