"""App Home end to end: published on app_home_opened, the queue and my work for reviewers, the
settings for admins edited in place (validated, audited, applied at once), refused to others."""

from __future__ import annotations

import json
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.models import Kind, Via
from bot.sandbox.slack_api import Fault
from bot.sandbox.workspace import OpenView
from bot.workspace import WorkspaceSettings
from handlers import ids
from handlers.blocks import home as blocks
from handlers.blocks.stats import stats_blocks
from tests.conversation import audit_rows, refusals, say
from tests.harness import (
    ADMIN,
    REVIEWERS,
    STAFF,
    FormValues,
    Harness,
    decline_form,
    employer,
    job,
    multi_select,
    number_input,
    static_select,
    text_input,
)
from tests.test_home_blocks import action_ids, as_text, assert_valid_view

REVIEWER = REVIEWERS[0]


@pytest.fixture
def h(harness: Harness) -> Harness:
    return harness


def publishes(h: Harness, user: str) -> list[Any]:
    return [c for c in h.slack.api.calls_to("views.publish") if c.args.get("user_id") == user]


async def open_home(h: Harness, user: str, tab: str = "home") -> dict[str, Any]:
    """`user` opens jobgate's Home tab; the view published for them, checked as Slack would."""
    before = len(publishes(h, user))
    event = {"type": "app_home_opened", "user": user, "tab": tab, "event_ts": f"{time.time()}"}
    answer = await h.slack.send_event({**event, "channel": "D" + user[1:]})
    assert answer.status == 200
    await h.jobgate.services.tasks.wait()
    return latest_home(h, user, before)


def latest_home(h: Harness, user: str, before: int) -> dict[str, Any]:
    calls = publishes(h, user)
    assert len(calls) > before, "no views.publish"
    assert calls[-1].ok, calls[-1].error
    view: dict[str, Any] = h.slack.workspace.home[user]
    assert_valid_view(view)
    return view


async def use_home(h: Harness, user: str, action_id: str, **kwargs: Any) -> None:
    """`user` uses a button or select of their Home; jobgate's follow-up work (and any DM
    it queued) is waited for."""
    answer = await h.slack.home_action(user, action_id, **kwargs)
    assert answer.status == 200
    await h.settle()


async def open_from_home(h: Harness, user: str, action_id: str, **kwargs: Any) -> OpenView:
    before = {v.id for v in h.slack.open_views_for(user)}
    await use_home(h, user, action_id, **kwargs)
    opened = [v for v in h.slack.open_views_for(user) if v.id not in before]
    assert len(opened) == 1, "no modal opened"
    assert_valid_view(opened[0].view)
    return opened[0]


def chosen(*values: str) -> FormValues:
    return multi_select(blocks.SETTING_INPUT, *values)


def picked(value: str) -> FormValues:
    return static_select(blocks.SETTING_INPUT, value)


def typed(value: str) -> FormValues:
    return text_input(blocks.SETTING_INPUT, value)


async def edit(h: Harness, user: str, key: str, values: dict[str, Any]) -> OpenView:
    """`user` presses Edit on a setting of their Home and submits the modal."""
    modal = await open_from_home(h, user, blocks.EDIT_SETTING, value=key)
    assert modal.view["callback_id"] == blocks.SETTING_MODAL
    answer = await h.slack.submit(user, modal, values)
    assert answer.status == 200
    await h.settle()
    return modal


async def setting_changes(h: Harness) -> list[tuple[str, str, Any, Any]]:
    rows = await audit_rows(
        h, "SELECT actor, via, details FROM audit WHERE action = 'setting_changed' ORDER BY id"
    )
    found = []
    for actor, via, details in rows:
        data = json.loads(details)
        found.append((f"{actor} via {via}", data["key"], data["before"], data["after"]))
    return found


async def test_a_reviewer_sees_the_queue_their_work_and_stats_but_no_settings(h: Harness) -> None:
    view = await open_home(h, REVIEWER)
    text = as_text(view)
    assert "*Queue:* 0 pending" in text and "Assigned to you (0)" in text
    assert "Settings (admins)" not in text and action_ids(view) == []
    assert "Stats (last 7 days)" in text


async def test_the_messages_tab_publishes_nothing_and_outsiders_see_no_queue(h: Harness) -> None:
    await h.platform.send_jobs(job(title="Secret internship"))
    await h.settle()
    before = len(publishes(h, REVIEWER))
    await h.slack.send_event({"type": "app_home_opened", "user": REVIEWER, "tab": "messages"})
    await h.jobgate.services.tasks.wait()
    assert len(publishes(h, REVIEWER)) == before
    outsider = as_text(await open_home(h, STAFF))
    assert "not on its reviewer list" in outsider and "Secret internship" not in outsider


async def test_a_reviewer_is_asked_to_come_back_while_the_workspace_is_unconfirmed(
    h: Harness,
) -> None:
    # not told they are off the list: Slack only failed to confirm the bot's workspace
    await h.platform.send_jobs(job(title="Secret internship"))
    await say(h, REVIEWER, "help")  # Bolt's own auth.test, done once and kept
    h.slack.api.fail("auth.test", *[Fault(status=500, error="internal_error")] * 5)
    unconfirmed = as_text(await open_home(h, REVIEWER))
    assert "could not confirm its Slack workspace" in unconfirmed
    assert "not on its reviewer list" not in unconfirmed and "Secret internship" not in unconfirmed
    h.slack.api.faults["auth.test"].clear()
    assert "*Queue:* 1 pending" in as_text(await open_home(h, REVIEWER))


async def test_with_nobody_configured_the_home_says_what_to_set(tmp_path: Path) -> None:
    from tests.harness import start_harness, stop_harness

    h = await start_harness(
        tmp_path, settings_overrides={"JOBGATE_REVIEWERS": None, "JOBGATE_ADMINS": None}
    )
    try:
        text = as_text(await open_home(h, REVIEWER))
        assert "No reviewers or admins are configured yet" in text
        assert "JOBGATE_REVIEWERS or JOBGATE_ADMINS" in text and "not on its reviewer" not in text
    finally:
        await stop_harness(h)


async def test_counts_assigned_recent_and_flagged_come_from_the_database(h: Harness) -> None:
    await h.approve_employer()
    await h.platform.send_jobs(
        [job(f"job_{i}", title=f"Role {i}", description=f"Duties {i}.") for i in range(4)]
    )
    await h.settle()
    for upstream in ("job_0", "job_1"):
        found = await h.repo.find_request(Kind.JOB, upstream)
        assert found is not None
        card = await h.card(upstream)
        await h.slack.click(REVIEWER, card, ids.CARD_MENU, selected=f"{ids.VERB_ASSIGN}:{found.id}")
    flagged = await h.repo.find_request(Kind.JOB, "job_2")
    assert flagged is not None
    now = h.jobgate.services.clock.now()
    await h.repo.flag_request(
        flagged.id, actor=REVIEWERS[1], reason="asks for a fee", via=Via.BUTTON, now=now
    )
    modal = await h.modal_from(
        REVIEWER, h.slack.click(REVIEWER, await h.card("job_3"), ids.DECLINE)
    )
    await h.slack.submit(REVIEWER, modal, decline_form("not_relevant"))
    await h.settle()

    text = as_text(await open_home(h, REVIEWER))
    assert "*Queue:* 3 pending · 0 on hold" in text
    assert "*Jobs*\\n3 pending · 1 declined" in text and "*Employers*\\n1 approved" in text
    assert "*Flagged or risky, pending*\\n1" in text and "*Unassigned, pending*\\n1" in text
    assert "Assigned to you (2)" in text
    assert "|Role 0>" in text and "|Role 1>" in text  # linked to their cards
    assert "Your recent decisions*\\n• Declined job <" in text and "|Role 3>" in text
    assert "Flagged or risky, waiting for a decision (1)" in text and "_asks for a fee_" in text
    others = as_text(await open_home(h, REVIEWERS[1]))
    assert "Assigned to you (0)" in others and "Your recent decisions*\\nNone yet." in others
    admin_home = as_text(await open_home(h, ADMIN))
    assert "Your recent decisions*\\n• Approved employer" in admin_home


async def test_the_home_shows_the_figures_of_the_stats_command(h: Harness) -> None:
    await h.approve_employer()
    view = await open_home(h, REVIEWER)
    now = h.jobgate.services.clock.now()
    figures = await h.repo.team_stats(now - timedelta(days=7), now)
    expected = stats_blocks(figures, "the last 7 days")
    assert figures.decisions == 1 and all(block in view["blocks"] for block in expected)


async def test_an_admin_turns_the_first_job_rule_off_and_it_applies_at_once(h: Harness) -> None:
    view = await open_home(h, ADMIN)
    assert "Settings (admins)" in as_text(view)
    assert action_ids(view).count(blocks.EDIT_SETTING) == len(WorkspaceSettings.model_fields)
    await h.approve_employer()
    await say(h, ADMIN, "trust emp_123")
    modal = await edit(h, ADMIN, "first_job_needs_review", picked("off"))
    assert modal.closed
    assert await setting_changes(h) == [
        (f"{ADMIN} via home", "first_job_needs_review", True, False)
    ]
    home = as_text(h.slack.workspace.home[ADMIN])  # published again after the change
    assert "*Trusted employer's first job waits for review:* off _(changed)_" in home
    await h.platform.send_jobs(job("job_first"))
    await h.settle()
    assert [e["data"]["id"] for e in h.platform.events_of_type("job.approved")] == ["job_first"]


async def test_default_roles_edited_in_the_home_reach_the_next_approval(h: Harness) -> None:
    await open_home(h, ADMIN)
    await edit(h, ADMIN, "default_roles", typed("post_jobs, post_events"))
    await h.approve_employer()
    roles = h.platform.events_of_type("employer.approved")[-1]["data"]["roles"]
    assert roles == ["post_jobs", "post_events"]
    assert (await setting_changes(h))[0][1:] == (
        "default_roles",
        ["post_jobs", "post_events", "post_interview_schedules"],
        ["post_jobs", "post_events"],
    )


async def test_digest_days_time_and_sla_are_edited_with_their_own_inputs(h: Harness) -> None:
    await open_home(h, ADMIN)
    await edit(h, ADMIN, "digest_days", chosen("mon", "wed"))
    await edit(h, ADMIN, "digest_time", picked("07:30"))
    await edit(h, ADMIN, "sla_business_days", number_input(blocks.SETTING_INPUT, "4"))
    await edit(h, ADMIN, "quiet_digest", picked("on"))  # unchanged: nothing recorded
    settings = await h.repo.get_workspace_settings()
    assert settings.digest_days == (0, 2) and settings.digest_time == "07:30"
    assert settings.sla_business_days == 4
    assert [change[1] for change in await setting_changes(h)] == [
        "digest_days",
        "digest_time",
        "sla_business_days",
    ]
    home = as_text(h.slack.workspace.home[ADMIN])
    assert "*Digest days:* Mon, Wed _(changed)_" in home and "4-business-day SLA" in home
    await edit(h, ADMIN, "digest_time", picked("default"))
    assert (await h.repo.get_workspace_settings()).digest_time is None


@pytest.mark.parametrize(
    ("key", "values", "problem"),
    [
        ("default_roles", typed("Post Jobs"), "Post Jobs is not allowed"),
        ("sla_business_days", number_input(blocks.SETTING_INPUT, "45"), "less than or equal to 30"),
        ("undo_window_minutes", number_input(blocks.SETTING_INPUT, "soon"), "can't be soon"),
        ("first_job_needs_review", picked("maybe"), "use on or off"),
    ],
)
async def test_an_invalid_value_is_shown_in_the_modal_and_changes_nothing(
    h: Harness, key: str, values: dict[str, Any], problem: str
) -> None:
    await open_home(h, ADMIN)
    modal = await edit(h, ADMIN, key, values)
    assert not modal.closed and problem in modal.errors[blocks.SETTING_INPUT[0]]
    assert await h.repo.get_workspace_settings() == WorkspaceSettings()
    assert await setting_changes(h) == []


async def test_a_non_admin_cannot_change_settings(h: Harness) -> None:
    reviewer_home = await open_home(h, REVIEWER)
    assert blocks.EDIT_SETTING not in action_ids(reviewer_home)
    # a Home published while they were an admin still has the buttons: they do nothing now
    h.slack.workspace.home[REVIEWER] = await open_home(h, ADMIN)
    before = len(publishes(h, REVIEWER))
    await use_home(h, REVIEWER, blocks.EDIT_SETTING, value="first_job_needs_review")
    assert not h.slack.open_views_for(REVIEWER)
    told = h.slack.bot_messages("D" + REVIEWER[1:])
    assert told and "admin list" in told[-1].text
    assert "Settings (admins)" not in as_text(latest_home(h, REVIEWER, before))
    # a modal opened by an admin and submitted by someone else is refused too
    modal = await open_from_home(h, ADMIN, blocks.EDIT_SETTING, value="first_job_needs_review")
    answer = await h.slack.submit(REVIEWER, modal, picked("off"))
    assert answer.json()["response_action"] == "errors"
    assert "Only jobgate admins" in modal.errors[blocks.SETTING_INPUT[0]]
    assert await h.repo.get_workspace_settings() == WorkspaceSettings()
    assert await setting_changes(h) == []
    assert await refusals(h) == ["home: edit setting", "home: save setting"]


async def test_an_admin_stops_trusting_an_employer_from_the_home(h: Harness) -> None:
    await h.approve_employer()
    await say(h, ADMIN, "trust emp_123")
    view = await open_home(h, ADMIN)
    assert "Trusted employers (1)" in as_text(view) and "Acme Analytics" in as_text(view)
    found = await h.repo.find_request(Kind.EMPLOYER, "emp_123")
    assert found is not None
    before = len(publishes(h, ADMIN))
    stale = json.loads(json.dumps(h.slack.workspace.home[ADMIN]))
    await use_home(h, ADMIN, blocks.STOP_TRUSTING, value=str(found.employer.id))
    employer_now = await h.repo.get_employer(found.employer.id)
    assert employer_now is not None and not employer_now.trusted
    assert await audit_rows(h, "SELECT via FROM audit WHERE action = 'untrusted'") == [("home",)]
    assert "Trusted employers (0)" in as_text(latest_home(h, ADMIN, before))

    # a second click from a Home not yet refreshed (another device) changes nothing and
    # says which employer, by DM; so does one for an employer jobgate has no record of
    h.slack.workspace.home[ADMIN] = stale
    await use_home(h, ADMIN, blocks.STOP_TRUSTING, value=str(found.employer.id))
    h.slack.workspace.home[ADMIN] = json.loads(
        json.dumps(stale).replace(f'"value": "{found.employer.id}"', '"value": "999999"')
    )
    await use_home(h, ADMIN, blocks.STOP_TRUSTING, value="999999")
    told = [m.text for m in h.slack.bot_messages("D" + ADMIN[1:])]
    assert told[-2:] == [
        "Nothing changed for *Acme Analytics*: it is not trusted.",
        "jobgate has no record of that employer, so nothing changed. "
        "Your Home now shows who is trusted.",
    ]
    assert await audit_rows(h, "SELECT via FROM audit WHERE action = 'untrusted'") == [("home",)]


async def test_admins_curate_labels_and_reasons_from_the_home(h: Harness) -> None:
    await open_home(h, ADMIN)
    modal = await open_from_home(h, ADMIN, blocks.NEW_LABEL)
    await h.slack.submit(ADMIN, modal, text_input(blocks.LABEL_NAME, "Golden Partner"))
    await h.settle()
    assert modal.closed and await h.repo.find_label("Golden Partner") is not None
    await use_home(h, ADMIN, blocks.RETIRE_LABEL, selected="Golden Partner")
    label = await h.repo.find_label("Golden Partner")
    assert label is not None and label.retired
    assert blocks.RESTORE_LABEL in action_ids(h.slack.workspace.home[ADMIN])

    editor = await open_from_home(h, ADMIN, blocks.EDIT_REASON, selected="not_relevant")
    assert editor.view["callback_id"] == blocks.REASON_EDIT_MODAL
    fields = text_input(ids.REASON_LABEL, "Off topic") | text_input(
        ids.REASON_MESSAGE, "Not for our students."
    )
    await h.slack.submit(ADMIN, editor, fields)
    await h.settle()
    reason = await h.repo.get_decline_reason("not_relevant")
    assert reason is not None and reason.label == "Off topic"
    assert "• Off topic `not_relevant`" in as_text(h.slack.workspace.home[ADMIN])

    adder = await open_from_home(h, ADMIN, blocks.ADD_REASON)
    await h.slack.submit(ADMIN, adder, text_input(blocks.REASON_CODE, "Bad Code") | fields)
    assert "reason code is 3 to 40" in adder.errors[blocks.REASON_CODE[0]]
    fields |= text_input(blocks.REASON_CODE, "unpaid_role")
    fields |= text_input(ids.REASON_LABEL, "Unpaid role")
    await h.slack.submit(ADMIN, adder, fields)
    await h.settle()
    assert adder.closed and await h.repo.get_decline_reason("unpaid_role") is not None
    await use_home(h, ADMIN, blocks.RETIRE_REASON, selected="unpaid_role")
    retired = await h.repo.get_decline_reason("unpaid_role")
    assert retired is not None and retired.retired
    rows = await audit_rows(
        h,
        "SELECT action, via, json_extract(details, '$.change') FROM audit"
        " WHERE actor = ? AND action != 'refused' ORDER BY id",
        ADMIN,
    )
    assert rows == [
        ("label_created", "home", None),
        ("label_retired", "home", None),
        ("reason_changed", "modal", "edited"),
        ("reason_changed", "home", "added"),
        ("reason_changed", "home", "retired"),
    ]


HOSTILE = "<!channel> Urgent <https://evil.example|click> & paid " + "z" * 120


async def crowd(h: Harness) -> None:
    """1,000 job requests with hostile titles, many assigned to the admin, flagged and decided;
    50 trusted employers, 150 labels, 95 decline reasons."""
    jobs = [
        job(f"job_{i:04d}", f"emp_{i % 40:02d}", title=f"{HOSTILE} {i}", description=f"D {i}.")
        for i in range(1000)
    ]
    answer = await h.platform.send_jobs(jobs)
    assert answer.status == 200 and answer.body["created"] == 1000
    trusted = [employer(f"emp_t{i:02d}", name=HOSTILE) for i in range(50)]
    assert (await h.platform.send_employers(trusted)).status == 200

    def mark(conn: Any) -> None:
        conn.execute("UPDATE requests SET assignee = ? WHERE kind = 'job' AND id % 7 = 0", (ADMIN,))
        conn.execute(
            "UPDATE requests SET flagged_by = ?, flag_reason = ?, flagged_at = ? WHERE id % 5 = 0",
            (REVIEWER, HOSTILE, "2026-11-25T14:00:00.000Z"),
        )
        conn.execute("UPDATE requests SET state = 'approved' WHERE kind = 'employer'")
        conn.execute(
            "UPDATE employers SET trusted = 1, status = 'approved' WHERE upstream_id LIKE 'emp_t%'"
        )
        for request_id in range(1, 40):
            conn.execute(
                "INSERT INTO audit (request_id, action, actor, via, at) VALUES (?, 'declined', ?,"
                " 'button', '2026-11-25T14:00:00.000Z')",
                (request_id, ADMIN),
            )

    await h.repo.db.write(mark)
    now = h.jobgate.services.clock.now()
    for i in range(150):
        await h.repo.create_label(f"Label {i} & co (x)", actor=ADMIN, via=Via.COMMAND, now=now)
    for i in range(85):  # 95 in all
        await h.repo.add_decline_reason(
            f"reason_{i:03d}",
            label=f"{HOSTILE}"[:70] + f" {i}",
            message="m",
            actor=ADMIN,
            via=Via.COMMAND,
            now=now,
        )


def listed(view: dict[str, Any], title: str) -> int:
    """How many items a Home list accounts for: the lines shown plus "…and N more"."""
    block = next(
        b for b in view["blocks"] if b.get("text", {}).get("text", "")[1:].startswith(title)
    )
    lines: list[str] = str(block["text"]["text"]).splitlines()[1:]
    more = (
        lines[-1].removeprefix("…and ").removesuffix(" more") if lines[-1].startswith("…") else "0"
    )
    return sum(line.startswith("• ") for line in lines) + int(more.replace(",", ""))


async def test_every_view_is_valid_with_a_thousand_requests_in_the_queue(h: Harness) -> None:
    await crowd(h)
    for user in (REVIEWER, ADMIN):
        text = as_text(await open_home(h, user))  # checked: slack_sdk, 100 blocks
        at = text.find("<!channel>")
        assert at == -1, text[at - 400 : at + 100]
        assert "1,000 pending" in text
    home = h.slack.workspace.home[ADMIN]
    text = as_text(home)
    assert "Assigned to you (142)" in text and listed(home, "Assigned to you") == 142
    flagged = int(text.split("Flagged or risky, waiting for a decision (")[1].split(")")[0])
    assert flagged >= 200 and listed(home, "Flagged or risky, waiting") == flagged
    assert "…and 40 more: `/jobgate untrust" in text
    assert len(home["blocks"]) < 60
    for key in WorkspaceSettings.model_fields:
        modal = await open_from_home(h, ADMIN, blocks.EDIT_SETTING, value=key)
        h.slack.close_view(ADMIN, modal)
    await open_from_home(h, ADMIN, blocks.EDIT_REASON, selected="reason_000")
    await open_from_home(h, ADMIN, blocks.ADD_REASON)
    await open_from_home(h, ADMIN, blocks.NEW_LABEL)
    assert all(call.ok for call in h.slack.api.calls_to("views.open"))
    assert all(call.ok for call in h.slack.api.calls_to("views.publish"))


async def test_a_home_form_slack_does_not_open_is_explained_by_dm(h: Harness) -> None:
    """The Home has no channel for a private reply: when views.open fails, a DM says so."""
    await open_home(h, ADMIN)
    h.slack.api.fail("views.open", Fault(status=200, error="expired_trigger_id"))
    await use_home(h, ADMIN, blocks.EDIT_SETTING, value="first_job_needs_review")
    assert not h.slack.open_views_for(ADMIN)
    told = h.slack.bot_messages("D" + ADMIN[1:])
    assert told and told[-1].text == (
        "Slack did not open that form (expired_trigger_id), so nothing changed. "
        "Click the button in jobgate's Home again."
    )
    modal = await open_from_home(h, ADMIN, blocks.EDIT_SETTING, value="first_job_needs_review")
    assert modal.view["callback_id"] == blocks.SETTING_MODAL


async def test_a_home_dm_outlives_a_slack_outage(h: Harness) -> None:
    """Home answers are DMs through the outbox (SPEC 6): a 500 and a 503 from Slack delay
    the refusal, they do not lose it, and it arrives once."""
    await open_home(h, ADMIN)
    h.slack.workspace.home[REVIEWER] = h.slack.workspace.home[ADMIN]  # a stale admin Home
    h.slack.api.fail("chat.postMessage", Fault(status=500), Fault(status=503))
    await use_home(h, REVIEWER, blocks.EDIT_SETTING, value="first_job_needs_review")
    told = await h.slack.wait_for(
        lambda: h.slack.bot_messages("D" + REVIEWER[1:]), timeout=10, what="the refusal DM"
    )
    await h.settle()
    assert [m.text for m in h.slack.bot_messages("D" + REVIEWER[1:])] == [told[0].text]
    assert "admin list" in told[0].text
    refused = h.slack.api.calls_to("chat.postMessage", ok=False)
    assert len(refused) == 2
    assert not h.slack.open_views_for(REVIEWER)
