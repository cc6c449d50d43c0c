"""`/jobgate settings`: everyone on staff reads them; admins change them, validated, at once."""

from __future__ import annotations

import json

import pytest

from bot.setting_values import SettingInputError, format_setting, parse_setting
from bot.workspace import WorkspaceSettings
from handlers import ids
from tests.conversation import audit_rows, refusals, say
from tests.harness import ADMIN, REVIEWERS, STAFF, Harness, employer, job

REVIEWER = REVIEWERS[0]


@pytest.fixture
def h(harness: Harness) -> Harness:
    return harness


async def test_settings_lists_every_value(h: Harness) -> None:
    listing = await say(h, REVIEWER, "settings")
    for key in WorkspaceSettings.model_fields:
        assert f"`{key}`" in listing
    assert "`default_roles` = `post_jobs,post_events,post_interview_schedules`" in listing
    assert "`digest_days` = `mon,tue,wed,thu,fri`" in listing
    assert "settings set" not in listing  # how to change them is for admins
    assert "settings set <key> <value>" in await say(h, ADMIN, "settings")


async def test_changed_default_roles_reach_the_next_employer_approval(h: Harness) -> None:
    answer = await say(h, ADMIN, "settings set default_roles post_jobs, post_events")
    assert "`default_roles` is now `post_jobs,post_events`" in answer
    assert "was `post_jobs,post_events,post_interview_schedules`" in answer
    await h.platform.send_employers(employer())
    card = await h.card("emp_123")
    assert "post_interview_schedules" not in str(card.blocks)  # the card shows the roles
    await h.slack.click(REVIEWER, card, ids.APPROVE)
    await h.settle()
    approved = h.platform.events_of_type("employer.approved")
    assert approved[-1]["data"]["roles"] == ["post_jobs", "post_events"]
    [(details,)] = await audit_rows(
        h, "SELECT details FROM audit WHERE action = 'setting_changed' AND actor = ?", ADMIN
    )
    assert json.loads(details)["after"] == ["post_jobs", "post_events"]


async def test_settings_take_effect_without_a_restart(h: Harness) -> None:
    assert "`undo_window_minutes` is now `0`" in await say(
        h, ADMIN, "settings set undo_window_minutes 0"
    )
    await h.platform.send_employers(employer())
    card = await h.card("emp_123")
    await h.slack.click(REVIEWER, card, ids.APPROVE)
    await h.settle()
    assert "Undo" not in str(h.card_now(card).blocks)
    assert "`first_job_needs_review` is now `off`" in await say(
        h, ADMIN, "settings set first_job_needs_review off"
    )
    settings = await h.repo.get_workspace_settings()
    assert settings.undo_window_minutes == 0 and settings.first_job_needs_review is False


@pytest.mark.parametrize(
    ("command", "problem"),
    [
        ("settings set undo_window_minutes 5000", "less than or equal to 1440"),
        ("settings set undo_window_minutes five", "can't be `five`"),
        ("settings set digest_time 25:00", "`25:00` is not allowed"),
        ("settings set default_roles Post Jobs", "`Post Jobs` is not allowed"),
        ("settings set first_job_needs_review maybe", "use on or off"),
        ("settings set digest_days mon,funday", "can't be `mon,funday`"),
        ("settings set colour blue", "There is no setting `colour`"),
        ("settings set undo_window_minutes", "Give a value"),
    ],
)
async def test_an_invalid_value_is_named_and_changes_nothing(
    h: Harness, command: str, problem: str
) -> None:
    answer = await say(h, ADMIN, command)
    assert problem in answer
    assert await h.repo.get_workspace_settings() == WorkspaceSettings()
    assert await audit_rows(h, "SELECT id FROM audit WHERE action = 'setting_changed'") == []


async def test_only_admins_change_settings(h: Harness) -> None:
    assert "admin list" in await say(h, REVIEWER, "settings set undo_window_minutes 1")
    assert "reviewer list" in await say(h, STAFF, "settings")
    assert "admin list" in await say(h, STAFF, "settings set undo_window_minutes 1")
    assert await h.repo.get_workspace_settings() == WorkspaceSettings()
    assert await refusals(h) == ["settings set", "settings show", "settings set"]


async def test_a_trusted_employers_first_job_follows_the_setting(h: Harness) -> None:
    await say(h, ADMIN, "settings set first_job_needs_review off")
    await h.platform.send_employers(employer())
    card = await h.card("emp_123")
    await h.slack.click(ADMIN, card, ids.APPROVE)
    await h.settle()
    await say(h, ADMIN, "trust emp_123")
    await h.platform.send_jobs(job("job_first"))
    await h.settle()
    assert [e["data"]["id"] for e in h.platform.events_of_type("job.approved")] == ["job_first"]


async def test_admins_choose_who_may_review_in_slack(h: Harness) -> None:
    # SPEC 1: admins choose who may review; the environment's list is the default
    await h.platform.send_employers(employer())
    card = await h.card("emp_123")
    answer = await say(h, ADMIN, f"settings set reviewers <@{REVIEWERS[1]}|pat>, S0NOBODY")
    assert f"`reviewers` is now `{REVIEWERS[1]},S0NOBODY` (was `default`)" in answer
    # applies at once: a reviewer from JOBGATE_REVIEWERS alone is refused and recorded
    await h.slack.click(REVIEWER, card, ids.APPROVE)
    refused = await h.slack.wait_for(lambda: h.slack.ephemerals_for(REVIEWER), what="a reply")
    assert "not on jobgate's reviewer list" in refused[-1].text
    assert "Ask a jobgate admin, or whoever runs jobgate, to add you" in refused[-1].text
    assert await refusals(h) == ["approve"]
    await h.slack.click(REVIEWERS[1], card, ids.APPROVE)
    await h.platform.wait_for_accepted(1)
    approved = h.platform.events_of_type("employer.approved")
    assert approved[-1]["data"]["decided_by"] == REVIEWERS[1]
    # `default` goes back to the environment's list; admins stay admins throughout
    assert "`reviewers` is now `default`" in await say(h, ADMIN, "settings set reviewers default")
    assert "reviewer list" not in await say(h, REVIEWER, "settings")
    [(details,)] = await audit_rows(
        h,
        "SELECT details FROM audit WHERE action = 'setting_changed' AND actor = ?"
        " ORDER BY id LIMIT 1",
        ADMIN,
    )
    assert json.loads(details)["after"] == [REVIEWERS[1], "S0NOBODY"]


async def test_a_reviewers_value_that_is_not_slack_ids_changes_nothing(h: Harness) -> None:
    answer = await say(h, ADMIN, "settings set reviewers @pat")
    assert "`reviewers` was not changed" in answer and "`@pat` is not allowed" in answer
    assert (await h.repo.get_workspace_settings()).reviewers is None


def test_typed_values_round_trip() -> None:
    settings = WorkspaceSettings(
        default_roles=("post_jobs",),
        digest_days=(0, 2, 4),
        digest_time="07:30",
        reviewers=("U0PAT", "S0TEAM"),
    )
    for key in WorkspaceSettings.model_fields:
        shown = format_setting(key, getattr(settings, key))
        assert WorkspaceSettings.model_validate({key: parse_setting(key, shown)}) == (
            WorkspaceSettings(**{key: getattr(settings, key)})
        )
    assert parse_setting("digest_days", "Mon, wednesday,4") == (0, 2, 4)
    assert parse_setting("digest_time", "default") is None
    assert parse_setting("default_roles", "none") == ()
    assert parse_setting("reviewers", "<@U0PAT|pat> <!subteam^S0TEAM|@team>") == (
        "U0PAT",
        "S0TEAM",
    )
    assert parse_setting("reviewers", "none") == ()  # the admins only
    assert parse_setting("reviewers", "default") is None  # JOBGATE_REVIEWERS
    with pytest.raises(SettingInputError):
        parse_setting("quiet_digest", "sometimes")


async def test_a_reviewers_read_begun_before_a_save_is_not_kept() -> None:
    # a check reading the setting while an admin saves a new list must not put the old list
    # back in the cache for its 30 s
    import asyncio

    from slack_sdk.web.async_client import AsyncWebClient

    from bot.clock import SystemClock
    from bot.staff import StaffDirectory

    stored: list[tuple[str, ...]] = [("U0OLD",)]
    gate = asyncio.Event()

    async def load() -> tuple[str, ...]:
        value = stored[0]
        await gate.wait()
        return value

    staff = StaffDirectory(
        AsyncWebClient(token="xoxb-unused"),
        reviewers=("U0ENV",),
        admins=(),
        clock=SystemClock(),
        team_id="T0",
        stored_reviewers=load,
    )
    racing = asyncio.create_task(staff.reviewers())
    await asyncio.sleep(0)
    stored[0] = ("U0NEW",)
    staff.settings_changed()
    gate.set()
    assert await racing == ("U0OLD",)  # it began before the save
    assert await staff.reviewers() == ("U0NEW",)
