"""Fraud and abuse reports: from the platform and from Slack, their cards, the platform's
actions, batched notifications, and the fraud-wave finder."""

from __future__ import annotations

import json
from datetime import timedelta

from bot.jobs import flush_report_notifications
from bot.models import Kind, State
from bot.sandbox.workspace import Message
from handlers import ids
from tests.harness import (
    ADMIN,
    REPORTS_CHANNEL,
    REVIEW_CHANNEL,
    REVIEWERS,
    Harness,
    decline_form,
    job,
    multi_select,
    static_select,
    text_input,
)


def report(report_id: str, subject_id: str, **fields: object) -> dict[str, object]:
    body: dict[str, object] = {
        "id": report_id,
        "subject": {"type": "job", "id": subject_id},
        "category": "fraud",
        "details": "Asked me to cash a check",
        "created_at": "2026-11-25T15:00:00Z",
    }
    body.update(fields)
    return body


async def approved_employer_with_jobs(
    h: Harness, jobs: list[dict[str, object]], approver: str
) -> None:
    await h.approve_employer()
    await h.platform.send_jobs(jobs)
    await h.settle()
    first = await h.card(str(jobs[0]["id"]))
    await h.slack.click(approver, first, ids.APPROVE)
    await h.settle()


async def test_a_platform_report_gets_a_card_and_a_notice(harness: Harness) -> None:
    h = harness
    await h.platform.send_jobs(job())
    await h.settle()
    answer = await h.platform.send("/api/v1/reports", report("rep_1", "job_456"))
    assert answer.status == 200 and answer.body["result"] == "created"
    await h.settle()
    card = h.slack.only_message(REPORTS_CHANNEL)
    assert "Report: fraud" in str(card.blocks) and "Data Analyst Intern" in str(card.blocks)
    sent = await flush_report_notifications(h.repo, REVIEW_CHANNEL, h.jobgate.services.clock.now())
    assert sent == 1
    await h.settle()
    notices = [m for m in h.slack.bot_messages(REVIEW_CHANNEL) if "Trust & safety" in m.text]
    assert len(notices) == 1 and "1 new report" in notices[0].text


async def test_employer_suspended_removes_its_open_jobs_and_tells_who_decided(
    harness: Harness,
) -> None:
    h = harness
    jobs = [job(f"job_{i}", title=f"Role {i}", description=f"Duties {i}.") for i in range(4)]
    await approved_employer_with_jobs(h, jobs, REVIEWERS[3])
    await h.platform.send("/api/v1/reports", report("rep_9", "job_0"))
    await h.settle()
    acted = await h.platform.send(
        "/api/v1/reports",
        report(
            "rep_9", "job_0", status="action_taken", actions=["job_removed", "employer_suspended"]
        ),
    )
    assert acted.status == 200 and acted.body["removed"] == 4
    await h.settle()
    for i in range(1, 4):
        request = await h.repo.find_request(Kind.JOB, f"job_{i}")
        assert request is not None and request.state is State.REMOVED
        card = await h.card(f"job_{i}")
        assert "Removed by the platform" in str(card.blocks)
        assert "by platform" not in str(card.blocks)  # the badge already says who
    employer_request = await h.repo.find_request(Kind.EMPLOYER, "emp_123")
    assert employer_request is not None and employer_request.employer.status.value == "suspended"
    report_card = h.slack.only_message(REPORTS_CHANNEL)
    assert "Platform action" in str(report_card.blocks)
    await flush_report_notifications(h.repo, REVIEW_CHANNEL, h.jobgate.services.clock.now())
    await h.settle()
    dms = {
        channel: [m for m in messages if m.bot_id]
        for channel, messages in h.slack.workspace.messages.items()
        if channel.startswith("D")
    }
    assert set(dms) == {f"D{ADMIN[1:]}", f"D{REVIEWERS[3][1:]}"}
    assert all(len(messages) == 1 for messages in dms.values())
    # a repeated action changes nothing and tells nobody again
    again = await h.platform.send(
        "/api/v1/reports",
        report(
            "rep_9", "job_0", status="action_taken", actions=["job_removed", "employer_suspended"]
        ),
    )
    assert again.body["removed"] == 0


async def test_fifty_report_events_in_a_minute_make_one_message_and_one_dm_each(
    harness: Harness,
) -> None:
    h = harness
    jobs = [job(f"job_{i}", title=f"Role {i}", description=f"Duties {i}.") for i in range(50)]
    await approved_employer_with_jobs(h, jobs, REVIEWERS[5])
    for i in range(50):
        answer = await h.platform.send(
            "/api/v1/reports",
            report(f"rep_{i}", f"job_{i}", status="action_taken", actions=["job_removed"]),
        )
        assert answer.status == 200
    queued = await flush_report_notifications(
        h.repo, REVIEW_CHANNEL, h.jobgate.services.clock.now()
    )
    assert queued == 3  # the channel, the admin, the reviewer
    await h.settle(timeout=30)
    notices = [m for m in h.slack.bot_messages(REVIEW_CHANNEL) if "Trust & safety" in m.text]
    assert len(notices) == 1
    for user in (ADMIN, REVIEWERS[5]):
        assert len([m for m in h.slack.workspace.messages[f"D{user[1:]}"] if m.bot_id]) == 1
    nothing = await flush_report_notifications(
        h.repo, REVIEW_CHANNEL, h.jobgate.services.clock.now() + timedelta(minutes=1)
    )
    assert nothing == 0


async def test_a_confirmed_fraud_report_lists_the_rest_of_the_wave(harness: Harness) -> None:
    h = harness
    phone = "+1 (512) 555-0199"
    scams = [
        job(
            "scam_1",
            employer_id="emp_x",
            title="Package handler",
            description="Receive parcels.",
            contact={"id": "c_1", "email": "hr@fastjobs.biz", "phone": phone},
        ),
        job(
            "scam_2",
            employer_id="emp_y",
            title="Office helper",
            description="Simple tasks.",
            contact={"id": "c_2", "email": "a@other.example", "phone": "512-555-0199"},
        ),
        job(
            "scam_3",
            employer_id="emp_z",
            title="Data entry",
            description="Type things.",
            contact={"id": "c_3", "email": "jobs@fastjobs.biz"},
        ),
        job(
            "scam_4",
            employer_id="emp_w",
            title="Assistant",
            description="Assist.",
            contact={"id": "c_4", "email": "x@gmail.com", "phone": "5125550199"},
        ),
        job(
            "fine_1",
            employer_id="emp_v",
            title="Barista",
            description="Coffee.",
            contact={"id": "c_5", "email": "x@gmail.com", "phone": "212-555-0100"},
        ),
    ]
    for number, scam in enumerate(scams):
        scam["apply_url"] = f"https://apply{number}.example/job"
        scam["employer"] = {"id": scam["employer"]["id"], "name": f"Company {number}"}  # type: ignore[index]
    await h.platform.send_jobs(scams)
    await h.settle()
    await h.platform.send(
        "/api/v1/reports", report("rep_w", "scam_1", status="action_taken", actions=["job_removed"])
    )
    await h.settle()
    card = h.slack.only_message(REPORTS_CHANNEL)
    text = str(card.blocks)
    assert "Possibly the same wave" in text and "Decline these 3" in text
    for listed in ("Office helper", "Data entry", "Assistant"):
        assert listed in text
    assert "Barista" not in text
    # the button opens the bulk decline modal for the report's wave, and nothing else
    await h.slack.click(ADMIN, card, ids.WAVE_DECLINE)
    modal = await h.modal(ADMIN)
    assert modal.view["callback_id"] == ids.BULK_MODAL
    filter_text = json.loads(modal.view["private_metadata"])["filter"]
    wave_ids = set()
    for upstream_id in ("scam_2", "scam_3", "scam_4"):
        request = await h.repo.find_request(Kind.JOB, upstream_id)
        assert request is not None
        wave_ids.add(request.id)
    assert {int(i) for i in filter_text.rsplit("id:", 1)[1].split(",")} == wave_ids


async def test_a_reviewer_reports_a_card_to_trust_and_safety(harness: Harness) -> None:
    h = harness
    await h.platform.send_jobs(job())
    card = await h.card("job_456")
    await h.slack.click(REVIEWERS[0], card, ids.CARD_MENU, selected=f"{ids.VERB_REPORT}:1")
    form = await h.modal(REVIEWERS[0])
    empty = await h.slack.submit(REVIEWERS[0], form, {})
    assert set(empty.json()["errors"]) == {ids.REPORT_CATEGORY[0], ids.REPORT_DETAILS[0]}
    await h.slack.submit(
        REVIEWERS[0],
        form,
        static_select(ids.REPORT_CATEGORY, "fraud")
        | text_input(ids.REPORT_DETAILS, "Asks for a deposit"),
    )
    await h.settle()
    filed = h.platform.events_of_type("report.filed")
    assert len(filed) == 1 and filed[0]["data"]["subject"] == {"type": "job", "id": "job_456"}
    assert filed[0]["data"]["filed_by"] == REVIEWERS[0]
    assert "Asks for a deposit" in str(h.slack.only_message(REPORTS_CHANNEL).blocks)
    assert "reported this" in h.slack.thread(card)[-1].text


async def test_the_message_shortcut_on_a_card_opens_the_report_form(harness: Harness) -> None:
    h = harness
    await h.platform.send_jobs(job())
    card = await h.card("job_456")
    await h.settle()  # the card's ts is stored just after Slack shows it
    payload = {
        "type": "message_action",
        "callback_id": ids.REPORT_SHORTCUT,
        "trigger_id": h.slack._trigger(REVIEWERS[1]),
        "user": {"id": REVIEWERS[1], "team_id": "T0JOBGATE"},
        "team": {"id": "T0JOBGATE"},
        "channel": {"id": card.channel},
        "message_ts": card.ts,
        "message": card.as_slack(),
        "response_url": h.slack.response_url(REVIEWERS[1], card.channel),
        "token": "t",
    }
    answer = await h.slack.send_interaction(payload)
    assert answer.status == 200
    form = await h.modal(REVIEWERS[1])
    assert form.view["callback_id"] == ids.REPORT_MODAL


async def test_a_decline_for_suspected_fraud_lists_the_wave_in_the_thread(harness: Harness) -> None:
    h = harness
    shared = {"email": "jobs@quickpay.biz", "phone": "(646) 555-0142"}
    postings = [
        job(
            f"wave_{i}",
            employer_id=f"emp_{i}",
            title=f"Remote helper {i}",
            description=f"Task {i}.",
            apply_url=f"https://site{i}.example/apply",
            contact={"id": f"c_{i}", **shared},
        )
        for i in range(4)
    ]
    await h.platform.send_jobs(postings)
    await h.settle()
    card = await h.card("wave_0")
    await h.slack.click(REVIEWERS[0], card, ids.DECLINE)
    modal = await h.modal(REVIEWERS[0])
    await h.slack.submit(REVIEWERS[0], modal, decline_form("suspected_fraud"))
    await h.settle()
    wave = await h.slack.wait_for(
        lambda: [m for m in h.slack.thread(card) if "same wave" in m.text], what="the wave message"
    )
    assert "Decline these 3" in str(wave[0].blocks)
    for i in (1, 2, 3):
        assert f"Remote helper {i}" in wave[0].text

    # a reviewer may not run it (bulk actions are for admins) and nothing opens
    await h.slack.click(REVIEWERS[1], wave[0], ids.WAVE_DECLINE)
    await h.settle()
    assert h.slack.open_views_for(REVIEWERS[1]) == []
    # "Decline these 3" opens the bulk decline modal for exactly those, flagged or not
    await h.slack.click(ADMIN, wave[0], ids.WAVE_DECLINE)
    modal = await h.modal(ADMIN)
    assert modal.view["callback_id"] == ids.BULK_MODAL
    assert "3" in str(modal.view["blocks"])
    answer = await h.slack.submit(ADMIN, modal, multi_select(ids.BULK_REASONS, "suspected_fraud"))
    assert answer.status == 200
    await h.settle()
    for i in range(1, 4):  # wave_0 was declined by hand above; the others in one bulk run
        request = await h.repo.find_request(Kind.JOB, f"wave_{i}")
        assert request is not None and request.state is State.DECLINED, i
        vias = [e.via.value for e in await h.repo.list_audit(request.id) if e.action == "declined"]
        assert vias == ["bulk"], (i, vias)


async def test_the_shortcut_used_where_jobgate_is_not_answers_through_the_response_url(
    harness: Harness,
) -> None:
    """Slack offers the shortcut on every message; on one in a channel jobgate is not in,
    an ephemeral post fails (channel_not_found), so the answer goes by the response_url."""
    h = harness
    elsewhere = Message("C0ELSEWHERE", "1700000000.000100", "lunch?", [], user=REVIEWERS[1])
    answer = await h.slack.message_shortcut(REVIEWERS[1], elsewhere, ids.REPORT_SHORTCUT)
    assert answer.status == 200
    told = await h.slack.wait_for(lambda: h.slack.ephemerals_for(REVIEWERS[1]), what="a reply")
    assert told[-1].text.startswith("That message is not a jobgate card")
    assert told[-1].via == "response_url"
    assert h.slack.open_views_for(REVIEWERS[1]) == []
