"""Bulk approve and decline end to end: the preview modal, one transaction of decisions, a
webhook each, and card updates paced under a fake Slack that enforces Tier 3 for chat.update."""

from __future__ import annotations

import asyncio
import string
from pathlib import Path

from bot.delivery import DeliveryPolicy
from bot.models import Kind, State
from bot.pacing import SlackPacing
from bot.sandbox.workspace import Message, OpenView
from handlers import ids
from tests.harness import (
    ADMIN,
    REVIEW_CHANNEL,
    REVIEWERS,
    Harness,
    employer,
    job,
    multi_select,
    start_harness,
    stop_harness,
    text_input,
)
from tests.test_moderation_flow import SCAM
from tests.test_searches import approved_employer_with_jobs, ask

# Slack's Tier 3 (50 a minute for chat.update) sped up K times, in the fake and the bot alike.
K = 150
PACING = SlackPacing(
    post_per_channel=2000.0,  # card posts while seeding: the fake does not limit them here
    post_burst=50.0,
    update_per_workspace=SlackPacing().update_per_workspace * K * 0.9,  # 43 a minute, times K
    update_burst=2.0,
    other_per_workspace=2000.0,
    other_burst=50.0,
)
DELIVERY = DeliveryPolicy(
    base_delay_s=0.05,
    max_delay_s=0.5,
    idle_poll_s=0.05,
    slack_slots=32,
    webhook_slots=32,
    progress_check_s=0.1,
    progress_every_cards=100,
)


def name(i: int) -> str:
    """A distinct word per number (digits in titles could read as years or job ids)."""
    letters = string.ascii_lowercase
    return letters[i // 676 % 26] + letters[i // 26 % 26] + letters[i % 26]


def progress_messages(h: Harness) -> list[Message]:
    return [m for m in h.slack.bot_messages(REVIEW_CHANNEL) if " by <@" in m.text]


async def last_message_once(h: Harness, text: str, timeout: float) -> Message:
    """The channel's newest message, once it says `text` (looked at ten times a second)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        last = h.slack.workspace.top_level(REVIEW_CHANNEL)[-1]
        if text in last.text:
            return last
        await asyncio.sleep(0.1)
    last = h.slack.workspace.top_level(REVIEW_CHANNEL)[-1]
    raise AssertionError(f"the newest message never said {text!r}: {last.text[:200]!r}")


async def bulk_decisions(h: Harness) -> tuple[int, int]:
    """Bulk approvals by the admin recorded: (audit rows, distinct requests)."""
    row = await h.repo.db.read(
        lambda conn: conn.execute(
            "SELECT COUNT(*), COUNT(DISTINCT request_id) FROM audit"
            " WHERE action = 'approved' AND via = 'bulk' AND actor = ?",
            (ADMIN,),
        ).fetchone()
    )
    return int(row[0]), int(row[1])


async def open_bulk_modal(h: Harness, text: str, channel: str = REVIEW_CHANNEL) -> OpenView:
    before = len(h.slack.open_views_for(ADMIN))
    await h.slack.slash(ADMIN, text, channel=channel)
    views = await h.slack.wait_for(
        lambda: h.slack.open_views_for(ADMIN)[before:], what="the bulk modal"
    )
    return views[0]  # type: ignore[no-any-return]


def modal_text(view: OpenView) -> str:
    return str(view.view["blocks"])


async def test_bulk_approve_of_2000_requests_stays_under_tier_3(tmp_path: Path) -> None:
    h = await start_harness(tmp_path, pacing=PACING, delivery=DELIVERY)
    try:
        await h.platform.send_employers(employer())
        await h.slack.click(ADMIN, await h.card("emp_123"), ids.APPROVE)
        for start in (0, 1000):
            jobs = [
                job(
                    f"job_{i}",
                    title=f"Analyst {name(i)}",
                    description=f"Build dashboards for team {name(i)}.",
                )
                for i in range(start, start + 1000)
            ]
            assert (await h.platform.send_jobs(jobs)).status == 200
        await h.settle(timeout=60)
        assert len(h.slack.bot_messages(REVIEW_CHANNEL)) == 2001
        # the burst absorbs the event loop's scheduling jitter, which speeding time up K-fold
        # magnifies K-fold; without pacing this run gets well over a hundred 429s
        h.slack.api.limit("chat.update", per_minute=50 * K, burst=20)
        updates_before = len(h.slack.api.calls_to("chat.update"))

        await ask(h, ADMIN, "search save interns kind:job employer:acme")
        view = await open_bulk_modal(h, "bulk approve interns")
        assert "*2,000 requests* matching saved search *interns*" in modal_text(view)
        assert view.view["submit"]["text"] == "Approve 2,000"
        await h.slack.submit(ADMIN, view, {})
        # committed before the modal answered: every decision is there, cards still to update
        assert "Done: 2,000 requests were approved" in modal_text(view)
        assert await bulk_decisions(h) == (2000, 2000)

        done = await last_message_once(h, "2,000 / 2,000 cards updated", timeout=50)
        assert done.text.startswith(":white_check_mark: Bulk approve by <@UADMIN0001>")
        assert len(progress_messages(h)) == 1

        await h.platform.wait_for_accepted(2001, timeout=20)
        approved = h.platform.events_of_type("job.approved")
        assert len(approved) == 2000 and {e["data"]["via"] for e in approved} == {"bulk"}

        assert h.slack.api.rate_limited["chat.update"] <= 5
        updates = h.slack.api.calls_to("chat.update")[updates_before:]
        progress_updates = [c for c in updates if c.args.get("ts") == done.ts]
        assert len(progress_updates) <= 2000 // 100 + 2
        card = h.card_now(await h.card("job_1999"))
        assert "Approved" in str(card.blocks) and ids.UNDO not in str(card.blocks)
    finally:
        await stop_harness(h)


async def test_duplicates_and_flagged_are_left_out_and_counted(harness: Harness) -> None:
    h = harness
    await approved_employer_with_jobs(
        h,
        [
            job("job_a", title="Analyst a", description="Dashboards."),
            job("job_b", title="Analyst b", description="Reports."),
            job("job_c", title="Analyst c", description="Models."),
            job("job_a2", title="Analyst a", description="Dashboards."),
            job("job_scam", title="Remote Assistant", description=SCAM),
        ],
    )
    request_c = await h.repo.find_request(Kind.JOB, "job_c")
    assert request_c is not None
    flag_c = f"{ids.VERB_FLAG}:{request_c.id}"
    await h.slack.click(REVIEWERS[0], await h.card("job_c"), ids.CARD_MENU, selected=flag_c)
    flag = await h.modal(REVIEWERS[0])
    await h.slack.submit(REVIEWERS[0], flag, text_input(ids.FLAG_REASON, "odd"))
    view = await open_bulk_modal(h, "bulk approve kind:job")
    text = modal_text(view)
    assert "*2 requests* matching `kind:job state:pending`" in text
    assert "Left out, not approved: 3" in text
    assert "1 possible duplicate — add `duplicate:any`" in text
    assert "1 request flagged by a reviewer" in text
    assert "2 requests with medium or high risk signals" in text  # the scam and the flagged one
    assert "Analyst a" in text and "Remote Assistant" not in text

    # meanwhile a reviewer approves one of the two: the run says so and decides the other
    await h.slack.click(REVIEWERS[1], await h.card("job_b"), ids.APPROVE)
    await h.slack.submit(ADMIN, view, {})
    assert "Done: 1 request was approved" in modal_text(view)
    assert "That is 1 fewer than when you opened this" in modal_text(view)
    await h.settle()
    assert await states_of(h, "job_a", "job_b", "job_c", "job_a2", "job_scam") == {
        "job_a": State.APPROVED,
        "job_b": State.APPROVED,
        "job_c": State.PENDING,
        "job_a2": State.PENDING,
        "job_scam": State.PENDING,
    }
    progress = await last_message_once(h, "1 / 1 cards updated", timeout=5)
    assert progress_messages(h) == [progress]
    assert "2 matched when the modal opened; 1 were still open" in str(progress.blocks)


async def states_of(h: Harness, *upstream_ids: str, kind: Kind = Kind.JOB) -> dict[str, State]:
    found = {}
    for upstream_id in upstream_ids:
        request = await h.repo.find_request(kind, upstream_id)
        assert request is not None
        found[upstream_id] = request.state
    return found


async def test_bulk_decline_with_reasons_cascades_like_a_single_decline(harness: Harness) -> None:
    h = harness
    await h.platform.send_employers([employer("emp_good"), employer("emp_bad", name="Bad Co")])
    await h.slack.click(ADMIN, await h.card("emp_good"), ids.APPROVE)
    await h.platform.send_jobs(
        [
            job("job_good", employer_id="emp_good"),
            job("job_bad1", employer_id="emp_bad", title="Courier"),
            job("job_bad2", employer_id="emp_bad", title="Driver"),
        ]
    )
    await h.settle()
    view = await open_bulk_modal(h, "bulk decline kind:employer bad")
    text = modal_text(view)
    assert "*1 request* matching `kind:employer state:pending bad`" in text
    assert "Bad Co" in text and ids.BULK_REASONS[0] in text

    await h.slack.submit(ADMIN, view, {})
    assert view.errors == {ids.BULK_REASONS[0]: "Choose at least one reason."}
    await h.slack.submit(
        ADMIN, view, multi_select(ids.BULK_REASONS, "unverified_employer", "no_business_address")
    )
    assert "Done: 1 request was declined" in modal_text(view)
    await h.settle()

    assert await states_of(h, "emp_bad", "emp_good", kind=Kind.EMPLOYER) == {
        "emp_bad": State.DECLINED,
        "emp_good": State.APPROVED,
    }
    assert await states_of(h, "job_good", "job_bad1", "job_bad2") == {
        "job_good": State.PENDING,
        "job_bad1": State.DECLINED,
        "job_bad2": State.DECLINED,
    }
    [declined] = h.platform.events_of_type("employer.declined")
    data = declined["data"]
    assert data["via"] == "bulk" and data["decided_by"] == ADMIN
    assert [r["code"] for r in data["reasons"]] == ["unverified_employer", "no_business_address"]
    assert "could not verify your organization" in data["message"]  # written from the reasons
    assert "business address" in data["message"]
    cascaded = h.platform.events_of_type("job.declined")
    assert sorted(e["data"]["id"] for e in cascaded) == ["job_bad1", "job_bad2"]
    assert {e["data"]["reasons"][0]["code"] for e in cascaded} == {"employer_not_approved"}
    assert "1 / 1 cards updated" in (await last_message_once(h, "1 / 1", timeout=5)).text

    # undoing the run brings the jobs its employer decline took with it back too
    run = await h.repo.db.read(
        lambda conn: conn.execute("SELECT max(id) FROM bulk_runs").fetchone()[0]
    )
    undone = await ask(h, ADMIN, f"bulk undo {run}")
    assert "1 request back to pending" in undone.text
    assert "2 jobs declined with the run's employers came back with them" in undone.text
    await h.settle()
    assert await states_of(h, "job_bad1", "job_bad2") == {
        "job_bad1": State.PENDING,
        "job_bad2": State.PENDING,
    }
    reverted = h.platform.events_of_type("job.decision_reverted")
    assert sorted(e["data"]["id"] for e in reverted) == ["job_bad1", "job_bad2"]


async def test_only_admins_run_bulk_actions(harness: Harness) -> None:
    h = harness
    await approved_employer_with_jobs(h, [job("job_a"), job("job_b", title="Analyst b")])
    refused = await ask(h, REVIEWERS[0], "bulk approve kind:job")
    assert "admin list" in refused.text
    assert h.slack.open_views_for(REVIEWERS[0]) == []

    view = await open_bulk_modal(h, "bulk approve kind:job")
    answer = await h.slack.submit(REVIEWERS[0], view, {})  # a forged submission
    assert answer.status == 200 and "Not allowed" in str(view.view["title"])
    await h.settle()
    assert await states_of(h, "job_a", "job_b") == {"job_a": State.PENDING, "job_b": State.PENDING}
    assert h.platform.events_of_type("job.approved") == []
    refusals = await h.repo.db.read(
        lambda conn: conn.execute(
            "SELECT actor, via, json_extract(details, '$.attempted') FROM audit"
            " WHERE action = 'refused' ORDER BY id"
        ).fetchall()
    )
    assert [tuple(r) for r in refusals] == [
        (REVIEWERS[0], "command", "bulk approve"),
        (REVIEWERS[0], "bulk", "bulk approve"),
    ]


async def test_when_more_match_than_confirmed_the_modal_asks_again(harness: Harness) -> None:
    h = harness
    await approved_employer_with_jobs(h, [job("job_a"), job("job_b", title="Analyst b")])
    view = await open_bulk_modal(h, "bulk approve kind:job", channel="C0ELSEWHERE")
    await h.platform.send_jobs(job("job_c", title="Analyst c"))
    await h.settle()
    await h.slack.submit(ADMIN, view, {})
    assert "3 match now, 2 did then" in modal_text(view)
    assert view.view["submit"]["text"] == "Approve 3"
    assert await states_of(h, "job_a", "job_c") == {"job_a": State.PENDING, "job_c": State.PENDING}

    await h.slack.submit(ADMIN, view, {})
    await h.settle()
    assert len(h.platform.events_of_type("job.approved")) == 3
    # jobgate is not in the channel the command came from: the progress goes to the review one
    assert "3 / 3 cards updated" in (await last_message_once(h, "3 / 3", timeout=5)).text


async def test_a_bulk_run_is_undone_as_a_whole_within_the_window(tmp_path: Path) -> None:
    import re
    from datetime import UTC, datetime, timedelta

    from bot.clock import ShiftedClock
    from bot.models import Via

    clock = ShiftedClock(datetime(2026, 11, 25, 15, 0, tzinfo=UTC))
    h = await start_harness(tmp_path, clock=clock)
    try:
        await approved_employer_with_jobs(
            h,
            [
                job(f"job_{n}", title=f"Analyst {n}", description=f"{n} dashboards.")
                for n in ("a", "b", "c")
            ],
        )
        view = await open_bulk_modal(h, "bulk approve kind:job")
        await h.slack.submit(ADMIN, view, {})
        done = modal_text(view)
        found = re.search(r"/jobgate bulk undo (\d+)", done)
        assert found is not None, done
        assert "back to pending within 10 minutes" in done
        run = found.group(1)
        await h.settle()
        assert set((await states_of(h, "job_a", "job_b", "job_c")).values()) == {State.APPROVED}
        card = str(h.card_now(await h.card("job_a")).blocks)
        assert f"In bulk run {run}; an admin can undo the whole run with" in card
        assert f"`/jobgate bulk undo {run}` until <!date^" in card

        # one request is undone on its own meanwhile: the run leaves it alone
        job_b = await h.repo.find_request(Kind.JOB, "job_b")
        assert job_b is not None
        await h.repo.revert_decision(
            job_b.id, actor=ADMIN, via=Via.COMMAND, is_admin=True, now=clock.now()
        )
        refused = await ask(h, REVIEWERS[0], f"bulk undo {run}")
        assert "admin" in refused.text.lower()
        assert (await states_of(h, "job_a"))["job_a"] is State.APPROVED

        clock.advance(timedelta(minutes=5))
        undone = await ask(h, ADMIN, f"bulk undo {run}")
        assert f"Undid bulk approve run {run}: 2 requests back to pending" in undone.text
        assert "1 request of the run was decided or undone again since" in undone.text
        await h.settle()
        assert set((await states_of(h, "job_a", "job_b", "job_c")).values()) == {State.PENDING}
        reverted = h.platform.events_of_type("job.decision_reverted")
        assert sorted(e["data"]["id"] for e in reverted) == ["job_a", "job_b", "job_c"]
        audit = await h.repo.list_audit(job_b.id)
        assert [e.action for e in audit].count("reverted") == 1  # not reverted twice

        again = await ask(h, ADMIN, f"bulk undo {run}")
        assert "Nothing changed" in again.text
        clock.advance(timedelta(minutes=6))
        late = await ask(h, ADMIN, f"bulk undo {run}")
        assert "undo window (10 minutes) has ended" in late.text
        missing = await ask(h, ADMIN, "bulk undo 999")
        assert "there is no bulk run 999" in missing.text
        refused_undos = await h.repo.db.read(
            lambda conn: conn.execute(
                "SELECT json_extract(details, '$.why'), json_extract(details, '$.bulk_id')"
                " FROM audit WHERE action = 'refused' AND actor = ? ORDER BY id",
                (ADMIN,),
            ).fetchall()
        )
        assert [tuple(r) for r in refused_undos] == [
            ("undo_window_ended", int(run)),
            ("no_run", 999),
        ]
    finally:
        await stop_harness(h)


async def test_with_undo_off_a_bulk_run_does_not_offer_its_undo(tmp_path: Path) -> None:
    from bot.models import Via

    h = await start_harness(tmp_path)
    try:
        await h.repo.save_workspace_setting(
            "undo_window_minutes",
            0,
            actor=ADMIN,
            via=Via.COMMAND,
            now=h.jobgate.services.clock.now(),
        )
        await approved_employer_with_jobs(h, [job("job_a", title="Analyst")])
        view = await open_bulk_modal(h, "bulk approve kind:job")
        await h.slack.submit(ADMIN, view, {})
        done = modal_text(view)
        assert "Done: 1 request was approved" in done
        assert "bulk undo" not in done and "Undo is off in this workspace" in done
    finally:
        await stop_harness(h)
