"""Undo inside the window restores the card and tells the platform; after it, refused and gone."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.clock import ShiftedClock
from bot.models import AuditEntry, Kind, State
from handlers import ids
from tests.harness import (
    ADMIN,
    REVIEW_CHANNEL,
    REVIEWERS,
    employer,
    job,
    start_harness,
    stop_harness,
)


def buttons(message) -> list[str]:  # type: ignore[no-untyped-def]
    return [
        e["text"]["text"]
        for b in message.blocks
        if b["type"] == "actions"
        for e in b["elements"]
        if e["type"] == "button"
    ]


def _refusals(audit: list[AuditEntry]) -> list[tuple[str, str]]:
    """(who, why) of each refused Undo: SPEC 3 records a refused attempt."""
    return [
        (e.actor, e.details["why"])
        for e in audit
        if e.action == "refused" and e.details.get("attempted") == "undo"
    ]


async def test_undo_within_the_window_and_not_after(tmp_path: Path) -> None:
    clock = ShiftedClock(datetime(2026, 11, 25, 15, 0, tzinfo=UTC))
    h = await start_harness(tmp_path, clock=clock)
    try:
        await h.platform.send_employers(employer())
        await h.slack.click(ADMIN, await h.card("emp_123"), ids.APPROVE)
        await h.platform.send_jobs(
            [job("job_a", title="A", description="a"), job("job_b", title="B", description="b")]
        )
        await h.settle()
        card_a, card_b = await h.card("job_a"), await h.card("job_b")
        await h.slack.click(REVIEWERS[0], card_a, ids.APPROVE)
        await h.slack.click(REVIEWERS[0], card_b, ids.APPROVE)
        await h.settle()
        assert buttons(h.card_now(card_a)) == ["Undo"]
        stale_b = copy.deepcopy(h.card_now(card_b))  # as someone's screen still shows it

        # someone else cannot undo; the decider can
        await h.slack.click(REVIEWERS[1], h.card_now(card_a), ids.UNDO)
        refused = await h.slack.wait_for(lambda: h.slack.ephemerals_for(REVIEWERS[1]))
        assert "only the person who decided, or an admin" in refused[0].text
        a = await h.repo.find_request(Kind.JOB, "job_a")
        assert a is not None and a.state is State.APPROVED
        assert _refusals(await h.repo.list_audit(a.id)) == [(REVIEWERS[1], "not_the_decider")]
        await h.slack.click(REVIEWERS[0], h.card_now(card_a), ids.UNDO)
        await h.settle()
        a = await h.repo.find_request(Kind.JOB, "job_a")
        assert a is not None and a.state is State.PENDING
        assert buttons(h.card_now(card_a)) == ["Approve", "Decline", "Hold"]
        assert f"<@{REVIEWERS[0]}> *undid* the decision" in h.slack.thread(card_a)[-1].text
        reverted = h.platform.events_of_type("job.decision_reverted")
        assert [e["data"]["id"] for e in reverted] == ["job_a"]

        # after the window the button leaves the card and an undo is refused
        clock.advance(timedelta(minutes=11))
        await h.settle()
        assert buttons(h.card_now(card_b)) == []
        await h.slack.click(REVIEWERS[0], stale_b, ids.UNDO)
        late = await h.slack.wait_for(
            lambda: [e for e in h.slack.ephemerals_for(REVIEWERS[0]) if "window" in e.text]
        )
        assert "undo window (10 minutes) has ended" in late[0].text
        b = await h.repo.find_request(Kind.JOB, "job_b")
        assert b is not None and b.state is State.APPROVED
        assert _refusals(await h.repo.list_audit(b.id)) == [(REVIEWERS[0], "undo_window_ended")]
    finally:
        await stop_harness(h)


async def test_a_card_deleted_before_its_undo_window_ends_comes_back_without_undo(
    tmp_path: Path,
) -> None:
    """The window's end refreshes the card from its own lane; finding it deleted, it hands
    the card to the card lane, which posts it again, once, without the Undo button."""
    clock = ShiftedClock(datetime(2026, 11, 25, 15, 0, tzinfo=UTC))
    h = await start_harness(tmp_path, clock=clock)
    try:
        await h.platform.send_employers(employer())
        card = await h.card("emp_123")
        await h.slack.click(ADMIN, card, ids.APPROVE)
        await h.settle()
        assert buttons(h.card_now(card)) == ["Undo"]
        h.card_now(card).deleted = True
        clock.advance(timedelta(minutes=11))
        await h.settle()
        cards = [m for m in h.slack.bot_messages(REVIEW_CHANNEL) if "Employer" in m.text]
        assert len(cards) == 1 and cards[0].ts != card.ts
        assert cards[0].text.endswith("(Approved)") and buttons(cards[0]) == []
    finally:
        await stop_harness(h)


async def test_undoing_an_employers_decline_undoes_the_declines_it_caused(tmp_path: Path) -> None:
    # a decline by mistake, undone within the window, leaves no job declined because of it;
    # a job a reviewer declined on its own stays declined
    h = await start_harness(tmp_path)
    try:
        await h.platform.send_employers(employer())
        await h.platform.send_jobs(
            [job(f"job_{n}", title=f"Role {n}", description=f"Duties {n}.") for n in "abc"]
        )
        await h.settle()
        await h.decline_card(REVIEWERS[1], await h.card("job_c"), "insufficient_detail")
        card = await h.card("emp_123")
        await h.decline_card(REVIEWERS[0], card, "unverified_employer")
        await h.platform.wait_for_accepted(4)  # job_c, the employer, job_a and job_b
        # while the employer stands declined, a new job and an edited one are declined too
        assert (await h.platform.send_jobs(job("job_d"))).body["state"] == "declined"
        edited = await h.platform.send_jobs(job("job_a", title="Role a, edited"))
        assert edited.body["state"] == "declined"
        await h.platform.wait_for_accepted(6)
        await h.settle()

        await h.slack.click(REVIEWERS[0], h.card_now(card), ids.UNDO)
        await h.platform.wait_for_accepted(10)
        reverted = h.platform.events_of_type("employer.decision_reverted") + (
            h.platform.events_of_type("job.decision_reverted")
        )
        assert sorted(e["data"]["id"] for e in reverted) == ["emp_123", "job_a", "job_b", "job_d"]
        states = {}
        for upstream in ("job_a", "job_b", "job_c", "job_d"):
            found = await h.repo.find_request(Kind.JOB, upstream)
            assert found is not None
            states[upstream] = found.state
        assert states == {
            "job_a": State.PENDING,
            "job_b": State.PENDING,
            "job_c": State.DECLINED,
            "job_d": State.PENDING,
        }
        await h.settle()
        assert buttons(h.card_now(await h.card("job_a"))) == ["Approve", "Decline", "Hold"]
    finally:
        await stop_harness(h)


async def test_undoing_a_decline_does_not_lift_a_later_suspension(tmp_path: Path) -> None:
    # the platform suspended the employer after the decline: the Undo takes back the
    # decision only, so the employer stays suspended and its jobs stay declined
    from tests.test_reports import report

    h = await start_harness(tmp_path)
    try:
        await h.platform.send_employers(employer())
        await h.platform.send_jobs(job("job_a"))
        await h.settle()
        card = await h.card("emp_123")
        await h.decline_card(REVIEWERS[0], card, "unverified_employer")
        await h.platform.wait_for_accepted(2)  # the employer and job_a
        acted = await h.platform.send(
            "/api/v1/reports",
            report("rep_1", "job_a", status="action_taken", actions=["employer_suspended"]),
        )
        assert acted.status == 200
        assert (await h.platform.send_jobs(job("job_b"))).body["state"] == "declined"
        await h.platform.wait_for_accepted(3)
        await h.settle()

        await h.slack.click(REVIEWERS[0], h.card_now(card), ids.UNDO)
        await h.platform.wait_for_accepted(4)
        await h.settle()
        reverted = h.platform.events_of_type("employer.decision_reverted") + (
            h.platform.events_of_type("job.decision_reverted")
        )
        assert [e["data"]["id"] for e in reverted] == ["emp_123"]
        found = await h.repo.find_request(Kind.EMPLOYER, "emp_123")
        assert found is not None and found.employer.status.value == "suspended"
        for upstream in ("job_a", "job_b"):
            declined = await h.repo.find_request(Kind.JOB, upstream)
            assert declined is not None and declined.state is State.DECLINED
    finally:
        await stop_harness(h)
