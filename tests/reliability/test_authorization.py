"""Authorization: people who may not act change nothing, whatever door they use.

Who tries (one test each):

* a member of the workspace who is not a reviewer (STAFF);
* a user of another team (OUTSIDER, Slack Connect) whose id is even on the reviewer list;
* a reviewer and admin by user group (JOBGATE_REVIEWERS / JOBGATE_ADMINS holding S… ids, read
  with usergroups.users.list) who is removed from both groups: refused at most five minutes
  later (bot/staff.py GROUP_CACHE_TTL), so the clock is moved on by exactly five minutes. They
  had opened the Decline, Hold and bulk modals while still a member, and decided a request
  themselves, which they now try to undo;
* anyone, when the reviewer list is empty (admins still set), and when nobody is configured.

What they try: Approve, Decline and Hold on a card, submitting the Decline and the Hold modal,
Undo of a decision (their own, inside the undo window, so only the authorization stops it),
`/jobgate bulk approve` and submitting the bulk modal, trust (the command and the card's
employer menu), and `/jobgate settings set`.

Each attempt is refused and recorded (an audit row `refused` naming who, what, why and by which
way), and the person is told; nothing else changes: no decision row, no platform webhook, no
state change, no setting, no trusted employer, no bulk run, no modal opened.

The modals of people who could never open them are built with jobgate's own modal builders, as
a stale or forged submission would carry them; the other team's and the removed member's
submissions are the ones Slack would send."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bot.bulk import SAMPLE_SIZE, BulkAction
from bot.clock import ShiftedClock
from bot.filters import parse_filter
from bot.models import Kind, State, Via
from bot.sandbox.fake_slack import BotAnswer
from bot.sandbox.workspace import Message, OpenView
from bot.staff import GROUP_CACHE_TTL
from bot.workspace import WorkspaceSettings
from handlers import ids
from handlers.blocks.bulk import bulk_modal
from handlers.blocks.modals import decline_modal, hold_modal
from storage.decisions import Decided, DecisionCommand
from tests.harness import (
    ADMIN,
    OUTSIDER,
    REVIEW_CHANNEL,
    REVIEWERS,
    STAFF,
    Harness,
    decline_form,
    employer,
    hold_form,
    job,
    start_harness,
    stop_harness,
)

BULK_FILTER = "kind:job state:pending"
REVIEWER_GROUP = "S0REVIEWERS"
ADMIN_GROUP = "S0ADMINS"
FIVE_MINUTES = timedelta(minutes=5)

# (attempted, via) of every attempt, in the order made; the commands are the last three
CLICKS = [
    ("approve", "button"),
    ("decline", "button"),
    ("hold", "button"),
    ("undo", "button"),
    ("trust", "button"),
]
SUBMISSIONS = [("declined", "button"), ("on_hold", "button"), ("bulk approve", "bulk")]
COMMANDS = [("bulk approve", "command"), ("trust", "command"), ("settings set", "command")]


async def start(tmp_path: Path, **overrides: Any) -> Harness:
    return await start_harness(tmp_path, settings_overrides=overrides)


async def decide(h: Harness, request_id: int, actor: str) -> None:
    """A decision taken earlier (straight at the repository: the setup, not the test)."""
    command = DecisionCommand(request_id, State.APPROVED, actor, Via.BUTTON)
    result = await h.repo.record_decision(command, h.jobgate.services.clock.now())
    assert isinstance(result, Decided), result


async def requests(h: Harness) -> tuple[int, int]:
    """The pending job (job_p) and the job the subject approved (job_d)."""
    pending = await h.repo.find_request(Kind.JOB, "job_p")
    decided = await h.repo.find_request(Kind.JOB, "job_d")
    assert pending is not None and decided is not None
    return pending.id, decided.id


async def seed(h: Harness, *, decider: str | None) -> None:
    """An approved employer and two pending jobs; job_d approved by `decider` when given."""
    await h.platform.send_employers(employer())
    await h.settle()
    found = await h.repo.find_request(Kind.EMPLOYER, "emp_123")
    assert found is not None
    await decide(h, found.id, ADMIN)
    await h.platform.send_jobs(
        [
            job("job_p", title="Pending analyst", description="Dashboards for finance."),
            job("job_d", title="Decided analyst", description="Reports for marketing."),
        ]
    )
    await h.settle()
    if decider is not None:
        await decide(h, (await requests(h))[1], decider)
        await h.settle()


def built_view(user: str, view: dict[str, Any], n: int) -> OpenView:
    """A modal as a stale or forged submission carries it (never opened for `user`)."""
    return OpenView(f"VBUILT{n:04d}", user, view, f"hbuilt{n}", "")


async def built_modals(h: Harness, subject: str, card: Message) -> dict[str, OpenView]:
    request = await h.repo.get_request((await requests(h))[0])
    assert request is not None
    metadata = {"request_id": request.id, "channel": card.channel, "ts": card.ts}
    now = h.jobgate.services.clock.now()
    preview = await h.repo.preview_bulk(
        parse_filter(BULK_FILTER), BulkAction.APPROVE, now, sample=SAMPLE_SIZE
    )
    assert preview.eligible == 1  # job_p
    bulk_metadata = {
        "action": "approve",
        "filter": BULK_FILTER,
        "count": preview.eligible,
        "channel": REVIEW_CHANNEL,
        "search": None,
    }
    reasons = await h.repo.list_decline_reasons()
    return {
        "decline": built_view(subject, decline_modal(request, reasons, metadata), 1),
        "hold": built_view(subject, hold_modal(request, metadata, follow_up_days=3), 2),
        "bulk": built_view(
            subject,
            bulk_modal(BulkAction.APPROVE, BULK_FILTER, preview, [], bulk_metadata, now=now),
            3,
        ),
    }


@dataclass
class Before:
    """What the attempts must not change, taken just before them."""

    audit_id: int
    webhooks: int
    ephemerals: int
    views: set[str]
    states: dict[int, tuple[str, str | None]]


async def count(h: Harness, sql: str, *params: Any) -> int:
    row = await h.repo.db.read(lambda conn: conn.execute(sql, params).fetchone())
    return int(row[0] or 0)


async def request_states(h: Harness) -> dict[int, tuple[str, str | None]]:
    rows = await h.repo.db.read(
        lambda conn: conn.execute("SELECT id, state, decided_by FROM requests").fetchall()
    )
    return {int(r[0]): (str(r[1]), r[2]) for r in rows}


async def before(h: Harness, subject: str) -> Before:
    await h.settle()
    return Before(
        audit_id=await count(h, "SELECT MAX(id) FROM audit"),
        webhooks=len(h.platform.attempts),
        ephemerals=len(h.slack.ephemerals_for(subject)),
        views={v.id for v in h.slack.open_views_for(subject)},
        states=await request_states(h),
    )


async def attempt_everything(
    h: Harness, subject: str, modals: dict[str, OpenView]
) -> dict[str, BotAnswer]:
    """Every way of changing something, once each, as `subject`."""
    pending_id, _ = await requests(h)
    pending_card = h.card_now(await h.card("job_p"))
    decided_card = h.card_now(await h.card("job_d"))
    assert ids.UNDO in json.dumps(decided_card.blocks)  # the decision is inside its window
    trust = f"{ids.VERB_TRUST}:{pending_id}"
    answers = {
        "approve": await h.slack.click(subject, pending_card, ids.APPROVE),
        "decline": await h.slack.click(subject, pending_card, ids.DECLINE),
        "hold": await h.slack.click(subject, pending_card, ids.HOLD),
        "undo": await h.slack.click(subject, decided_card, ids.UNDO),
        "trust menu": await h.slack.click(
            subject, pending_card, ids.EMPLOYER_MENU_ACTION, selected=trust
        ),
        "decline submit": await h.slack.submit(
            subject, modals["decline"], decline_form("insufficient_detail")
        ),
        "hold submit": await h.slack.submit(
            subject, modals["hold"], hold_form(modals["hold"], "What pay?", "3")
        ),
        "bulk submit": await h.slack.submit(subject, modals["bulk"], {}),
    }
    for text in ("bulk approve kind:job", "trust emp_123", "settings set undo_window_minutes 1"):
        answers[text] = await h.slack.slash(subject, text, channel=REVIEW_CHANNEL)
    await h.settle()
    return answers


async def assert_all_refused(
    h: Harness,
    subject: str,
    was: Before,
    answers: dict[str, BotAnswer],
    modals: dict[str, OpenView],
    *,
    why: str,
    why_for_commands: str | None = None,
) -> None:
    assert {k: a.status for k, a in answers.items()} == dict.fromkeys(answers, 200)

    # the refusals are recorded: who, what, by which way and why; nothing else is
    rows = await h.repo.db.read(
        lambda conn: conn.execute(
            "SELECT action, actor, json_extract(details, '$.attempted'), via,"
            " json_extract(details, '$.why') FROM audit WHERE id > ? ORDER BY id",
            (was.audit_id,),
        ).fetchall()
    )
    assert {(r[0], r[1]) for r in rows} == {("refused", subject)}, [tuple(r) for r in rows]
    assert Counter((r[2], r[3]) for r in rows) == Counter(CLICKS + SUBMISSIONS + COMMANDS)
    for row in rows:
        expected = why_for_commands if row[3] == "command" and why_for_commands else why
        assert row[4] == expected, tuple(row)

    # nothing changed
    assert await request_states(h) == was.states
    assert len(h.platform.attempts) == was.webhooks
    assert await count(h, "SELECT COUNT(*) FROM employers WHERE trusted = 1") == 0
    assert await count(h, "SELECT COUNT(*) FROM bulk_runs") == 0
    assert await h.repo.get_workspace_settings() == WorkspaceSettings()
    assert {v.id for v in h.slack.open_views_for(subject)} <= was.views  # no modal opened

    # and the person was told: privately for clicks and commands, in the modal for submissions
    told = h.slack.ephemerals_for(subject)[was.ephemerals :]
    assert len(told) == len(CLICKS) + len(COMMANDS), [t.text for t in told]
    assert all(":no_entry:" in t.text for t in told), [t.text for t in told]
    for name in ("decline submit", "hold submit"):
        answer = answers[name].json()
        assert answer["response_action"] == "errors", answer
        assert "not allowed" in json.dumps(answer["errors"]), answer
    assert "Not allowed" in json.dumps(modals["bulk"].view["title"])


async def refused_everything(
    h: Harness, subject: str, *, why: str, why_for_commands: str | None = None
) -> None:
    """The common case: the subject approved job_d earlier, and now tries everything."""
    await seed(h, decider=subject)
    modals = await built_modals(h, subject, await h.card("job_p"))
    was = await before(h, subject)
    answers = await attempt_everything(h, subject, modals)
    await assert_all_refused(
        h, subject, was, answers, modals, why=why, why_for_commands=why_for_commands
    )


async def test_a_non_reviewer_changes_nothing(tmp_path: Path) -> None:
    h = await start(tmp_path)
    try:
        await refused_everything(h, STAFF, why="not_allowed")
    finally:
        await stop_harness(h)


async def test_a_user_of_another_team_changes_nothing(tmp_path: Path) -> None:
    """OUTSIDER's id is on the reviewer list; their clicks and submissions say their team.
    (Slash commands carry the workspace's team, and none of those tried is for reviewers.)"""
    h = await start(tmp_path)
    try:
        await refused_everything(h, OUTSIDER, why="other_team", why_for_commands="not_allowed")
    finally:
        await stop_harness(h)


async def test_with_an_empty_reviewer_list_a_reviewer_changes_nothing(tmp_path: Path) -> None:
    h = await start(tmp_path, JOBGATE_REVIEWERS=None)
    try:
        await refused_everything(h, REVIEWERS[0], why="not_allowed")
    finally:
        await stop_harness(h)


async def test_with_nobody_configured_nobody_changes_anything(tmp_path: Path) -> None:
    h = await start(tmp_path, JOBGATE_REVIEWERS=None, JOBGATE_ADMINS=None)
    try:
        await refused_everything(h, REVIEWERS[0], why="nobody_configured")
        told = h.slack.ephemerals_for(REVIEWERS[0])
        assert all(
            "No reviewers are configured" in t.text or "No admins are configured" in t.text
            for t in told
        ), [t.text for t in told]
    finally:
        await stop_harness(h)


async def test_a_member_removed_from_the_groups_is_refused_within_five_minutes(
    tmp_path: Path,
) -> None:
    clock = ShiftedClock(datetime.now(UTC))
    h = await start_harness(
        tmp_path,
        clock=clock,
        settings_overrides={"JOBGATE_REVIEWERS": REVIEWER_GROUP, "JOBGATE_ADMINS": ADMIN_GROUP},
    )
    subject = REVIEWERS[0]
    groups = h.slack.workspace.usergroups
    groups[REVIEWER_GROUP] = list(REVIEWERS)
    groups[ADMIN_GROUP] = [ADMIN, subject]
    try:
        await seed(h, decider=None)
        # while still a member: approves job_d, opens the Decline, Hold and bulk modals
        await h.slack.click(subject, await h.card("job_d"), ids.APPROVE)
        pending_card = await h.card("job_p")
        modals = {
            "decline": await h.modal_from(
                subject, h.slack.click(subject, pending_card, ids.DECLINE)
            ),
            "hold": await h.modal_from(subject, h.slack.click(subject, pending_card, ids.HOLD)),
            "bulk": await h.modal_from(
                subject, h.slack.slash(subject, "bulk approve kind:job", channel=REVIEW_CHANNEL)
            ),
        }
        assert modals["bulk"].view["callback_id"] == ids.BULK_MODAL
        await h.settle()
        decided = await h.repo.find_request(Kind.JOB, "job_d")
        assert decided is not None and decided.decided_by == subject  # membership worked

        groups[REVIEWER_GROUP].remove(subject)
        groups[ADMIN_GROUP].remove(subject)
        asked = len(h.slack.api.calls_to("usergroups.users.list"))
        assert GROUP_CACHE_TTL <= FIVE_MINUTES
        clock.advance(FIVE_MINUTES)

        was = await before(h, subject)
        answers = await attempt_everything(h, subject, modals)
        await assert_all_refused(h, subject, was, answers, modals, why="not_allowed")
        assert len(h.slack.api.calls_to("usergroups.users.list")) > asked  # asked Slack again
        # the others are still members, and act
        await h.slack.click(REVIEWERS[1], h.card_now(pending_card), ids.APPROVE)
        await h.settle()
        pending = await h.repo.find_request(Kind.JOB, "job_p")
        assert pending is not None and pending.state is State.APPROVED
    finally:
        await stop_harness(h)
