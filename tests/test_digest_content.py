"""What the digest says for a seeded queue, built with SQL aggregates, as valid Block Kit."""

from __future__ import annotations

import dataclasses
import sqlite3
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.clock import ShiftedClock
from bot.digest import digest_lines
from bot.jobs import (
    DigestPlace,
    DigestResult,
    build_digest,
    post_digest_now,
    send_digest_if_due,
)
from bot.models import Kind, State, Via
from handlers import ids
from handlers.blocks.digest import render_digest
from storage.decisions import DecisionCommand
from tests.harness import (
    ADMIN,
    REVIEW_CHANNEL,
    REVIEWERS,
    STAFF,
    employer,
    job,
    start_harness,
    stop_harness,
)
from tests.test_blocks import valid_message

NEW_YORK = ZoneInfo("America/New_York")
MONDAY_NOON = datetime(2026, 11, 16, 17, 0, tzinfo=UTC)


async def test_the_digest_of_a_seeded_queue(tmp_path: Path) -> None:
    clock = ShiftedClock(MONDAY_NOON)
    h = await start_harness(tmp_path, clock=clock)
    place = DigestPlace(REVIEW_CHANNEL, NEW_YORK, time(9, 0))
    try:
        await h.platform.send_employers(employer())
        await h.settle()
        await h.slack.click(ADMIN, await h.card("emp_123"), ids.APPROVE)
        # 14 jobs on Monday: over the 2-business-day SLA by Thursday
        await h.platform.send_jobs(
            [
                job(f"old_{i}", title=f"Old role {i}", description=f"Role {i} duties.")
                for i in range(14)
            ]
        )
        clock.advance(timedelta(days=2))  # Wednesday
        await h.platform.send_jobs(
            [job(f"new_{i}", title=f"New role {i}", description=f"Fresh {i}.") for i in range(3)]
        )
        await h.platform.send_jobs(
            job(
                "scam_1",
                title="Easy money",
                description=(
                    "Earn $500 a day from home. We mail you a check; deposit it and wire the rest."
                ),
            )
        )
        await h.settle()
        # Wednesday's decisions: two approvals and a hold by two reviewers
        for upstream, who, outcome in (
            ("old_0", REVIEWERS[0], State.APPROVED),
            ("old_1", REVIEWERS[0], State.APPROVED),
            ("old_2", REVIEWERS[1], State.ON_HOLD),
        ):
            request = await h.repo.find_request(Kind.JOB, upstream)
            assert request is not None
            await h.repo.record_decision(
                DecisionCommand(
                    request.id,
                    outcome,
                    who,
                    Via.BUTTON,
                    hold_question="Pay?" if outcome is State.ON_HOLD else None,
                ),
                clock.now(),
            )
        clock.advance(timedelta(days=1))  # Thursday
        thursday_9am = datetime.combine(
            clock.now().astimezone(NEW_YORK).date(), time(9), tzinfo=NEW_YORK
        )
        facts = await build_digest(h.repo, place, thursday_9am.astimezone(UTC))
        assert facts.pending_by_kind == {"job": 15}
        assert facts.over_sla == 11  # old_3 .. old_13
        assert facts.flagged == 1
        assert facts.holds_waiting == 1
        assert {t.actor: (t.approved, t.on_hold) for t in facts.yesterday} == {
            REVIEWERS[0]: (2, 0),
            REVIEWERS[1]: (0, 1),
        }
        assert len(facts.items) == 10 and facts.more == 5
        assert all(i.over_sla for i in facts.items[:10])
        assert facts.oldest_waiting is not None and facts.oldest_waiting.title == "Old role 3"
        message = render_digest(facts)
        valid_message(message)
        text = str(message["blocks"])
        assert "…and 5 more" in text and "Open the queue" in text
        assert any("/archives/" in str(b) for b in message["blocks"])  # items link to their cards

        outcome = await send_digest_if_due(h.repo, place, thursday_9am.astimezone(UTC))
        assert outcome.result is DigestResult.SENT
        await h.settle()
        posted = [
            m for m in h.slack.bot_messages(REVIEW_CHANNEL) if m.text.startswith("Daily digest")
        ]
        assert len(posted) == 1 and "15 pending" in posted[0].text
    finally:
        await stop_harness(h)


async def test_saved_search_sections_and_the_open_the_queue_button(tmp_path: Path) -> None:
    clock = ShiftedClock(MONDAY_NOON)
    h = await start_harness(tmp_path, clock=clock)
    place = DigestPlace(REVIEW_CHANNEL, NEW_YORK, time(9, 0))
    try:
        await h.platform.send_employers(employer())
        await h.settle()
        await h.slack.click(ADMIN, await h.card("emp_123"), ids.APPROVE)
        await h.platform.send_jobs(
            [job(f"role_{i}", title=f"Role {i}", description=f"Duties {i}.") for i in range(3)]
            + [
                job(
                    "scam_1",
                    title="Easy money",
                    description="Earn $500 a day from home. Deposit our check, wire the rest.",
                )
            ]
        )
        await h.settle()
        now = clock.now()
        await h.repo.save_search("Risky jobs", "kind:job risk:medium+", actor=ADMIN, now=now)
        await h.repo.save_search("Roles", "kind:job role", actor=ADMIN, now=now)
        await h.repo.set_search_in_digest("Risky jobs", True, actor=ADMIN, now=now)

        facts = await build_digest(h.repo, place, clock.now())
        assert [(s.name, s.count) for s in facts.sections] == [("Risky jobs", 1)]
        assert [i.title for i in facts.sections[0].items] == ["Easy money"]
        message = render_digest(facts)
        valid_message(message)
        assert "Risky jobs" in str(message["blocks"]) and "Roles" not in str(message["blocks"])

        outcome = await send_digest_if_due(h.repo, place, clock.now(), force=True)
        assert outcome.result is DigestResult.FORCED
        await h.settle()
        posted = h.slack.wait_for(
            lambda: [
                m for m in h.slack.bot_messages(REVIEW_CHANNEL) if m.text.startswith("Daily digest")
            ]
        )
        card = (await posted)[0]

        # a reviewer sees the pending queue, privately, oldest first
        await h.slack.click(REVIEWERS[0], card, ids.OPEN_QUEUE)
        shown = await h.slack.wait_for(lambda: h.slack.ephemerals_for(REVIEWERS[0]))
        assert "4 requests" in shown[0].text, shown[0].text
        assert "Role 0" in str(shown[0].blocks) and "Easy money" in str(shown[0].blocks)
        # the same digest shown by /jobgate digest in a channel jobgate is not in: the answer
        # goes by the response_url (an ephemeral post there fails)
        elsewhere = dataclasses.replace(card, channel="C0ELSEWHERE")
        await h.slack.click(REVIEWERS[0], elsewhere, ids.OPEN_QUEUE)
        again = await h.slack.wait_for(lambda: h.slack.ephemerals_for(REVIEWERS[0])[1:])
        assert again[0].via == "response_url" and "4 requests" in again[0].text
        # a staff member who is not a reviewer is told so, and sees no queue
        await h.slack.click(STAFF, card, ids.OPEN_QUEUE)
        refused = await h.slack.wait_for(lambda: h.slack.ephemerals_for(STAFF))
        assert "Role 0" not in str(refused[0].blocks) + refused[0].text
    finally:
        await stop_harness(h)


async def test_yesterdays_auto_approvals_are_listed_by_name(tmp_path: Path) -> None:
    from tests.test_moderation_flow import trusted_employer

    clock = ShiftedClock(MONDAY_NOON)
    h = await start_harness(tmp_path, clock=clock)
    place = DigestPlace(REVIEW_CHANNEL, NEW_YORK, time(9, 0))
    try:
        await trusted_employer(h)
        await h.platform.send_jobs(job("first", title="Lab Assistant", description="Run studies."))
        await h.settle()  # the first job here waits for a person
        roles = [
            ("<!channel> Usher <http://evil.example|Official>", "Seat guests at the theatre."),
            ("Barista", "Pull espresso shots and keep the café tidy on weekend mornings."),
            ("Library Aide", "Shelve returned books and help visitors find the catalogue."),
            ("Tutor", "Explain algebra homework to first-year students twice a week."),
            ("Groundskeeper", "Mow lawns, rake leaves and water the campus flower beds."),
            ("Data Clerk", "Enter survey answers into spreadsheets and check them twice."),
            ("Lifeguard", "Watch the pool during open swim and teach beginner lessons."),
        ]
        await h.platform.send_jobs(
            [job(f"auto_{i}", title=t, description=d) for i, (t, d) in enumerate(roles)]
        )
        await h.settle()
        assert len(h.platform.events_of_type("job.approved")) == 7

        tuesday_9am = datetime(2026, 11, 17, 9, 0, tzinfo=NEW_YORK).astimezone(UTC)
        facts = await build_digest(h.repo, place, tuesday_9am)
        assert facts.auto_approved_yesterday == 7
        assert [a.title for a in facts.auto_approvals] == [t for t, _ in roles[:5]]
        message = render_digest(facts)
        valid_message(message)
        listed = next(b for b in message["blocks"] if "Auto-approved yesterday (7)" in str(b))
        text = listed["text"]["text"]
        assert "Barista" in text and "…and 2 more" in text
        assert text.count("/archives/") == 5  # each links to its card
        assert "Lab Assistant" not in text  # approved by nobody yet
        # the employer's title cannot ping the channel or bring its own link
        assert "<!channel>" not in text and "<http://evil" not in text
        assert "&lt;!channel&gt;" in text
        printed = digest_lines(facts)  # `jobgate digest --print` and the notification text
        assert any(line.startswith("  - auto-approved: Barista") for line in printed)
        assert "  …and 2 more" in printed

        wednesday = await build_digest(
            h.repo, place, datetime(2026, 11, 18, 9, 0, tzinfo=NEW_YORK).astimezone(UTC)
        )
        assert wednesday.auto_approvals == () and wednesday.auto_approved_yesterday == 0
    finally:
        await stop_harness(h)


async def test_the_oldest_waiting_is_the_oldest_even_behind_ten_flagged(tmp_path: Path) -> None:
    # the listing puts flagged requests first and shows ten: the oldest request is named
    # all the same, though an unflagged one younger than the SLA is not among those ten
    clock = ShiftedClock(MONDAY_NOON)
    h = await start_harness(tmp_path, clock=clock)
    place = DigestPlace(REVIEW_CHANNEL, NEW_YORK, time(9, 0))
    try:
        await h.platform.send_jobs(job("first", title="The first role"))
        clock.advance(timedelta(hours=1))
        await h.platform.send_jobs(
            [job(f"later_{i}", title=f"Later {i}", description=f"Later {i}.") for i in range(11)]
        )
        await h.settle()
        with sqlite3.connect(tmp_path / "jobgate.db") as conn:
            conn.execute(
                "UPDATE requests SET flagged_by = ? WHERE upstream_id LIKE 'later_%'", (STAFF,)
            )
        facts = await build_digest(h.repo, place, clock.now() + timedelta(hours=1))
        assert facts.flagged == 11 and facts.over_sla == 0
        assert [i.title for i in facts.items] == [f"Later {i}" for i in range(10)]
        assert facts.oldest_waiting is not None and facts.oldest_waiting.title == "The first role"
    finally:
        await stop_harness(h)


async def test_the_digest_command_with_nothing_to_say(tmp_path: Path) -> None:
    # `jobgate digest` with quiet digests on: nothing posted and the day left to the
    # scheduler; once the scheduler has handled the day, it says so, as with a queue
    clock = ShiftedClock(MONDAY_NOON - timedelta(hours=2))  # 10:00 in New York
    h = await start_harness(tmp_path, clock=clock)
    place = DigestPlace(REVIEW_CHANNEL, NEW_YORK, time(9, 0))
    try:
        early = await post_digest_now(h.repo, place, clock.now(), force=False)
        assert early.result is DigestResult.QUIET and "scheduled digest still runs" in early.detail
        scheduled = await send_digest_if_due(h.repo, place, clock.now())
        assert scheduled.result is DigestResult.QUIET  # the scheduler's claim of the day
        again = await post_digest_now(h.repo, place, clock.now(), force=False)
        assert again.result is DigestResult.ALREADY_SENT and "already handled" in again.detail
        forced = await post_digest_now(h.repo, place, clock.now(), force=True)
        assert forced.result is DigestResult.FORCED
    finally:
        await stop_harness(h)
