"""Duplicate and replayed deliveries: each has exactly one side effect.

Slack retries a delivery it got no timely answer for, up to three times, with the same body
and `X-Slack-Retry-Num: 1..3` and `X-Slack-Retry-Reason` (each retry signed anew with its own
timestamp). Someone on the path can also replay a captured signed request byte for byte while
its signature is still in the five-minute window. The platform, for its part, retries a call
with the same `webhook-id` (Standard Webhooks). In every case the work is done once:

* a thread reply on a card (`message` event): one note;
* `@jobgate flag …` (`app_mention`): one flag; `@jobgate history`: one thread reply;
* an Approve click (`block_actions`): one audit row, one platform webhook, one thread reply,
  and no "already approved" message to the clicker (their retry is not a second click);
* a Decline modal submission (`view_submission`): one audit row, one webhook, one reply;
* the same `webhook-id` on POST /api/v1/jobs and /api/v1/reports: one stored change, the first
  answer given again (`Idempotent-Replayed: true`), one card.

Each is tried with the retries arriving one after another and all at once (a retry can arrive
while the first delivery is still being handled), and the Slack ones also as a byte-for-byte
replay of the first delivery. And since Slack retries an event exactly
when jobgate was slow or gone (a deploy, a crash), the retry of an already handled event and
the repeat of an inbound call are also sent to a restarted jobgate, which must know them too."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest

from bot.models import Kind, State
from bot.sandbox.fake_slack import BotAnswer
from bot.sandbox.workspace import Message, OpenView
from handlers import ids
from tests.harness import (
    REPORTS_CHANNEL,
    REVIEW_CHANNEL,
    REVIEWERS,
    TEAM,
    Harness,
    decline_form,
    job,
    restart_harness,
    start_harness,
    stop_harness,
)

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"
RETRIES = [(1, "http_timeout"), (2, "http_error"), (3, "connection_failed")]
MODES = ["one-after-another", "all-at-once"]
# Slack deliveries also meet a byte-for-byte replay: the same timestamp and signature
SLACK_MODES = [*MODES, "replayed"]
DECISIONS = ("approved", "declined", "on_hold", "reverted")
REPORT_CARD_ROWS = "SELECT COUNT(*) FROM outbox WHERE kind = 'report_card'"


def retry_headers(h: Harness, body: str, content_type: str, attempt: int) -> dict[str, str]:
    """Attempt 0 is the first delivery, 1..3 Slack's retries, each signed at its own second."""
    stamp = int(time.time()) - 3 + attempt
    if attempt == 0:
        return h.slack.signed_headers(body, timestamp=stamp, content_type=content_type)
    number, reason = RETRIES[attempt - 1]
    headers = h.slack.signed_headers(
        body, timestamp=stamp, content_type=content_type, retry_num=number
    )
    headers["X-Slack-Retry-Reason"] = reason
    return headers


async def deliver_with_retries(
    h: Harness, body: str, content_type: str, mode: str
) -> list[BotAnswer]:
    """The delivery and its three retries, one after another or all at once; or, "replayed",
    the first delivery sent four times over, headers and all."""
    if mode == "replayed":
        headers = h.slack.signed_headers(body, content_type=content_type)
        all_headers = [headers] * (1 + len(RETRIES))
    else:
        all_headers = [retry_headers(h, body, content_type, i) for i in range(1 + len(RETRIES))]
    sends = [
        h.slack.deliver(body, content_type=content_type, headers=headers) for headers in all_headers
    ]
    if mode == "all-at-once":
        answers = list(await asyncio.gather(*sends))
    else:
        answers = [await send for send in sends]
    assert [a.status for a in answers] == [200] * len(answers), [a.body for a in answers]
    return answers


def event_body(h: Harness, event: dict[str, Any], event_id: str) -> str:
    return json.dumps(h.slack.event_envelope(event, event_id))


def thread_event(h: Harness, user: str, card: Message, text: str) -> dict[str, Any]:
    """A person's reply under the card, stored in the fake, and the `message` event for it."""
    message = h.slack.workspace.post(
        card.channel, text=text, blocks=None, user=user, thread_ts=card.ts
    )
    return {
        "type": "message",
        "channel": card.channel,
        "user": user,
        "text": text,
        "ts": message.ts,
        "thread_ts": card.ts,
        "channel_type": "channel",
        "event_ts": message.ts,
        "team": TEAM,
    }


def as_mention(event: dict[str, Any]) -> dict[str, Any]:
    """The `app_mention` event Slack sends besides the `message` one when the text mentions
    the app (its own event id)."""
    mention = {k: v for k, v in event.items() if k != "channel_type"}
    mention["type"] = "app_mention"
    return mention


def bot_replies(h: Harness, card: Message) -> list[Message]:
    return [m for m in h.slack.thread(card) if m.bot_id]


async def audit_actions(h: Harness, upstream_id: str, kind: Kind = Kind.JOB) -> list[str]:
    request = await h.repo.find_request(kind, upstream_id)
    assert request is not None
    return [entry.action for entry in await h.repo.list_audit(request.id)]


async def count_rows(h: Harness, sql: str, *params: Any) -> int:
    row = await h.repo.db.read(lambda conn: conn.execute(sql, params).fetchone())
    return int(row[0])


# -- Slack events -------------------------------------------------------------------------


@pytest.mark.parametrize("mode", SLACK_MODES)
async def test_a_retried_thread_reply_is_kept_as_one_note(harness: Harness, mode: str) -> None:
    h = harness
    card = await h.pending_job_card()
    event = thread_event(h, REVIEWERS[0], card, "Called them: the office is real.")
    await deliver_with_retries(h, event_body(h, event, "Ev0NOTE0001"), JSON, mode)
    await h.settle()
    request = await h.repo.find_request(Kind.JOB, "job_456")
    assert request is not None
    notes = await h.repo.list_notes(request.id)
    assert [(n.author, n.text) for n in notes] == [
        (REVIEWERS[0], "Called them: the office is real.")
    ]


@pytest.mark.parametrize("mode", SLACK_MODES)
async def test_a_retried_flag_mention_flags_once(harness: Harness, mode: str) -> None:
    h = harness
    card = await h.pending_job_card()
    text = f"<@{h.slack.api.bot_user_id}> flag asks for a deposit"
    message = thread_event(h, REVIEWERS[1], card, text)
    mention = as_mention(message)
    # Slack sends both events for a mention in a thread, each with its own id, each retried
    await deliver_with_retries(h, event_body(h, message, "Ev0FLAGMSG1"), JSON, mode)
    await deliver_with_retries(h, event_body(h, mention, "Ev0FLAGMEN1"), JSON, mode)
    await h.settle()
    actions = await audit_actions(h, "job_456")
    assert actions.count("flagged") == 1, actions
    request = await h.repo.find_request(Kind.JOB, "job_456")
    assert request is not None and request.state is State.PENDING
    assert len(await h.repo.list_notes(request.id)) == 1
    assert h.slack.ephemerals_for(REVIEWERS[1]) == []


@pytest.mark.parametrize("mode", SLACK_MODES)
async def test_a_retried_history_mention_answers_once(harness: Harness, mode: str) -> None:
    h = harness
    card = await h.pending_job_card()
    assert bot_replies(h, card) == []
    text = f"<@{h.slack.api.bot_user_id}> history"
    mention = as_mention(thread_event(h, REVIEWERS[2], card, text))
    await deliver_with_retries(h, event_body(h, mention, "Ev0HISTORY1"), JSON, mode)
    await h.settle()
    replies = bot_replies(h, card)
    assert [r.text.split(":")[0] for r in replies] == ["History"], [r.text for r in replies]


# -- clicks and modal submissions ---------------------------------------------------------


@pytest.mark.parametrize("mode", SLACK_MODES)
async def test_a_retried_approve_click_decides_once(harness: Harness, mode: str) -> None:
    h = harness
    card = await h.pending_job_card()
    webhooks_before = len(h.platform.attempts)
    payload = h.slack.block_actions_payload(REVIEWERS[0], card, ids.APPROVE)
    await deliver_with_retries(h, urlencode({"payload": json.dumps(payload)}), FORM, mode)
    await h.platform.wait_for_accepted(webhooks_before + 1)
    await h.settle()
    assert [a for a in await audit_actions(h, "job_456") if a in DECISIONS] == ["approved"]
    assert len(h.platform.events_of_type("job.approved")) == 1
    assert len(h.platform.attempts) == webhooks_before + 1
    assert len(bot_replies(h, card)) == 1
    # a retry handled as a second click would tell the clicker it was "already approved"
    assert h.slack.ephemerals_for(REVIEWERS[0]) == []


async def open_decline_modal(h: Harness, user: str, card: Message) -> OpenView:
    view = await h.modal_from(user, h.slack.click(user, card, ids.DECLINE))
    assert view.view["callback_id"] == ids.DECLINE_MODAL
    return view


@pytest.mark.parametrize("mode", SLACK_MODES)
async def test_a_retried_decline_submission_decides_once(harness: Harness, mode: str) -> None:
    h = harness
    card = await h.pending_job_card()
    view = await open_decline_modal(h, REVIEWERS[3], card)
    webhooks_before = len(h.platform.attempts)
    payload = h.slack.view_submission_payload(
        REVIEWERS[3], view, decline_form("insufficient_detail", note="NOTE-77")
    )
    answers = await deliver_with_retries(h, urlencode({"payload": json.dumps(payload)}), FORM, mode)
    assert all(a.json().get("response_action") is None for a in answers)  # the modal closes
    await h.platform.wait_for_accepted(webhooks_before + 1)
    await h.settle()
    request = await h.repo.find_request(Kind.JOB, "job_456")
    assert request is not None and request.state is State.DECLINED
    decided = [e for e in await h.repo.list_audit(request.id) if e.action in DECISIONS]
    assert [(e.action, e.actor, e.note) for e in decided] == [("declined", REVIEWERS[3], "NOTE-77")]
    assert len(h.platform.events_of_type("job.declined")) == 1
    assert len(h.platform.attempts) == webhooks_before + 1
    replies = bot_replies(h, card)
    assert len(replies) == 1 and "NOTE-77" in replies[0].text
    assert h.slack.ephemerals_for(REVIEWERS[3]) == []


# -- the platform's inbound API: the same webhook-id twice ---------------------------------


async def send_twice(
    h: Harness, path: str, payload: Any, webhook_id: str, mode: str, copies: int = 2
) -> list[Any]:
    """The same signed call (same webhook-id, body, timestamp and signature) `copies` times."""
    body = json.dumps(payload)
    headers = h.platform.sign(body, webhook_id=webhook_id)
    sends = [h.platform.send(path, raw=body, headers=headers) for _ in range(copies)]
    if mode == "all-at-once":
        answers = list(await asyncio.gather(*sends))
    else:
        answers = [await send for send in sends]
    assert [a.status for a in answers] == [200] * copies, [a.body for a in answers]
    assert all(a.body == answers[0].body for a in answers)
    replayed = [a.headers.get("Idempotent-Replayed") == "true" for a in answers]
    assert replayed.count(False) == 1, replayed
    if mode == "one-after-another":
        assert replayed == [False] + [True] * (copies - 1)
    return answers


@pytest.mark.parametrize("mode", MODES)
async def test_the_same_webhook_id_on_jobs_stores_once(harness: Harness, mode: str) -> None:
    h = harness
    answers = await send_twice(h, "/api/v1/jobs", job(), "msg_job_once", mode, copies=3)
    assert answers[0].body["result"] == "created"
    await h.settle()
    request = await h.repo.find_request(Kind.JOB, "job_456")
    assert request is not None and request.version == 1
    assert await audit_actions(h, "job_456") == ["received"]
    assert len([m for m in h.slack.bot_messages(REVIEW_CHANNEL) if "job_456" in str(m.blocks)]) == 1
    assert await count_rows(h, "SELECT COUNT(*) FROM requests WHERE upstream_id = 'job_456'") == 1


@pytest.mark.parametrize("mode", MODES)
async def test_the_same_webhook_id_on_reports_acts_once(harness: Harness, mode: str) -> None:
    h = harness
    await h.platform.send_jobs(job())
    card = await h.card("job_456")
    await h.settle()
    report = {
        "id": "rep_1",
        "subject": {"type": "job", "id": "job_456"},
        "category": "fraud",
        "details": "Asked me to cash a check",
        "created_at": "2026-11-25T15:00:00Z",
    }
    filed = await send_twice(h, "/api/v1/reports", report, "msg_report_filed", mode)
    assert filed[0].body["result"] == "created"
    await h.settle()
    assert await count_rows(h, REPORT_CARD_ROWS) == 1  # the card, posted once
    acted = {**report, "status": "action_taken", "actions": ["job_removed"]}
    removed = await send_twice(h, "/api/v1/reports", acted, "msg_report_acted", mode)
    assert removed[0].body == {"id": "rep_1", "result": "updated", "removed": 1, "told": 0}
    await h.settle()

    assert await count_rows(h, "SELECT COUNT(*) FROM reports") == 1
    # the action refreshes the card twice (the action, then the wave found with it), once
    assert await count_rows(h, REPORT_CARD_ROWS) == 3
    assert await count_rows(h, "SELECT COUNT(*) FROM notifications") == 2  # filed, acted
    assert len(h.slack.bot_messages(REPORTS_CHANNEL)) == 1
    request = await h.repo.find_request(Kind.JOB, "job_456")
    assert request is not None and request.state is State.REMOVED
    assert (await audit_actions(h, "job_456")).count("removed") == 1
    assert len(bot_replies(h, card)) == 1  # the removal said once in the card's thread


# -- Slack's retry reaching a restarted jobgate -----------------------------------------------


@pytest.mark.parametrize("words", ["flag asks for a deposit", "history"])
async def test_an_event_retried_after_a_restart_still_has_one_effect(
    tmp_path: Path, words: str
) -> None:
    """Slack retries an event when jobgate did not answer in 3 s, which is what a deploy or a
    crash looks like from Slack's side: the retry (same event_id, same body) reaches the new
    process, which has not seen it. The mention was handled before the restart; its retry
    must not flag again or answer again."""
    h = await start_harness(tmp_path)
    try:
        card = await h.pending_job_card()
        note = thread_event(h, REVIEWERS[0], card, "a note before the restart")
        text = f"<@{h.slack.api.bot_user_id}> {words}"
        mention = as_mention(thread_event(h, REVIEWERS[1], card, text))
        bodies = [event_body(h, note, "Ev0RESTART1"), event_body(h, mention, "Ev0RESTART2")]
        for body in bodies:
            answer = await h.slack.deliver(
                body, content_type=JSON, headers=retry_headers(h, body, JSON, 0)
            )
            assert answer.status == 200
        await h.settle()
        replies_before = len(bot_replies(h, card))
        actions_before = await audit_actions(h, "job_456")
        # the first delivery had its effect, or "unchanged after the restart" would prove nothing
        assert replies_before >= 1
        if words.startswith("flag"):
            assert "flagged" in actions_before

        h = await restart_harness(h, tmp_path)
        for body in bodies:
            answer = await h.slack.deliver(
                body, content_type=JSON, headers=retry_headers(h, body, JSON, 1)
            )
            assert answer.status == 200
        await h.settle()

        request = await h.repo.find_request(Kind.JOB, "job_456")
        assert request is not None
        assert [n.text for n in await h.repo.list_notes(request.id)] == [
            "a note before the restart"
        ]
        assert await audit_actions(h, "job_456") == actions_before
        assert len(bot_replies(h, card)) == replies_before
    finally:
        await stop_harness(h)


async def test_the_same_webhook_id_after_a_restart_stores_once(tmp_path: Path) -> None:
    h = await start_harness(tmp_path)
    try:
        body = json.dumps(job())
        headers = h.platform.sign(body, webhook_id="msg_across_restart")
        first = await h.platform.send_jobs(None, raw=body, headers=headers)
        assert first.status == 200 and first.body["result"] == "created"
        await h.settle()
        h = await restart_harness(h, tmp_path)
        again = await h.platform.send_jobs(None, raw=body, headers=headers)
        assert again.status == 200 and again.body == first.body
        assert again.headers.get("Idempotent-Replayed") == "true"
        await h.settle()
        assert await audit_actions(h, "job_456") == ["received"]
        assert len(h.slack.bot_messages(REVIEW_CHANNEL)) == 1
    finally:
        await stop_harness(h)
