"""Threads are the record: replies become notes (edits and deletions follow), `@jobgate flag`
flags, `@jobgate history` answers; the history modal and the API show the same story."""

from __future__ import annotations

from bot.models import Kind
from handlers import ids
from tests.harness import REVIEWERS, STAFF, Harness, job


async def card_with_thread(h: Harness):  # type: ignore[no-untyped-def]
    await h.platform.send_jobs(job())
    card = await h.card("job_456")
    await h.settle()
    return card


async def test_replies_become_notes_and_show_in_history_and_the_api(harness: Harness) -> None:
    h = harness
    card = await card_with_thread(h)
    first = await h.slack.reply_in_thread(
        REVIEWERS[0], card, "Their website was registered last week."
    )
    await h.slack.reply_in_thread(STAFF, card, "I called them; nobody answered.")
    request = await h.repo.find_request(Kind.JOB, "job_456")
    assert request is not None
    notes = await h.repo.list_notes(request.id)
    assert [(n.author, n.text) for n in notes] == [
        (REVIEWERS[0], "Their website was registered last week."),
        (STAFF, "I called them; nobody answered."),
    ]
    # an edit is reflected, a deletion removes the note
    await h.slack.send_event(
        {
            "type": "message",
            "subtype": "message_changed",
            "channel": card.channel,
            "hidden": True,
            "ts": "1.1",
            "message": {
                "type": "message",
                "user": REVIEWERS[0],
                "ts": first.ts,
                "thread_ts": card.ts,
                "text": "Registered 6 days ago (WHOIS).",
            },
            "previous_message": {"user": REVIEWERS[0], "ts": first.ts, "text": first.text},
        }
    )
    notes = await h.repo.list_notes(request.id)
    assert notes[0].text == "Registered 6 days ago (WHOIS)." and notes[0].edited_at is not None

    await h.slack.click(
        REVIEWERS[1], card, ids.CARD_MENU, selected=f"{ids.VERB_HISTORY}:{request.id}"
    )
    modal = await h.modal(REVIEWERS[1])
    shown = str(modal.view["blocks"])
    assert (
        "Registered 6 days ago" in shown
        and "nobody answered" in shown
        and "the platform sent the request" in shown
    )

    answer = await h.platform.get_request("job", "job_456")
    kinds = [(e["kind"], e["who"]) for e in answer.body["timeline"]]
    assert ("note", STAFF) in kinds and ("event", "platform") in kinds

    await h.slack.send_event(
        {
            "type": "message",
            "subtype": "message_deleted",
            "channel": card.channel,
            "hidden": True,
            "deleted_ts": first.ts,
            "ts": "1.2",
            "previous_message": {"user": REVIEWERS[0], "ts": first.ts},
        }
    )
    assert [n.author for n in await h.repo.list_notes(request.id)] == [STAFF]


async def test_the_bots_own_posts_are_not_notes(harness: Harness) -> None:
    h = harness
    card = await card_with_thread(h)
    await h.slack.send_event(
        {
            "type": "message",
            "channel": card.channel,
            "bot_id": "BJOBGATE",
            "text": "Approved",
            "ts": "9.9",
            "thread_ts": card.ts,
        }
    )
    await h.slack.send_event(
        {
            "type": "message",
            "channel": card.channel,
            "user": STAFF,
            "text": "top-level chatter",
            "ts": "9.8",
        }
    )
    request = await h.repo.find_request(Kind.JOB, "job_456")
    assert request is not None and await h.repo.list_notes(request.id) == []


async def test_at_jobgate_flag_and_history_in_a_thread(harness: Harness) -> None:
    h = harness
    card = await card_with_thread(h)
    mention = {
        "type": "app_mention",
        "channel": card.channel,
        "user": REVIEWERS[2],
        "ts": "7.1",
        "thread_ts": card.ts,
        "text": "<@UJOBGATEBOT> flag same phone as last week's scam",
    }
    await h.slack.send_event(mention)
    await h.settle()
    assert "same phone as last week" in str(h.card_now(card).blocks)
    await h.slack.send_event({**mention, "ts": "7.2", "text": "<@UJOBGATEBOT> history"})
    await h.settle()
    history = h.slack.thread(card)[-1]
    assert history.text.startswith("History:") and "flagged it as suspicious" in str(history.blocks)
    # a non-reviewer's flag changes nothing
    await h.slack.send_event(
        {**mention, "ts": "7.3", "user": STAFF, "text": "<@UJOBGATEBOT> flag nope"}
    )
    request = await h.repo.find_request(Kind.JOB, "job_456")
    audit = await h.repo.list_audit(request.id)  # type: ignore[union-attr]
    assert [a.actor for a in audit if a.action == "flagged"] == [REVIEWERS[2]]
