"""App Home Block Kit: valid for slack_sdk, under the 100-block cap whatever the queue holds,
the admin section only for admins, hostile names escaped, the right input per setting."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from bot.models import DeclineReason
from bot.workspace import WorkspaceSettings
from handlers import ids
from handlers.blocks import home as blocks
from handlers.blocks.common import MAX_VIEW_BLOCKS, SECTION_TEXT
from handlers.blocks.stats import stats_blocks
from storage.home import HomeFacts, HomeItem, MyDecision, QueueCount, TrustedEmployer
from storage.labels import Label
from storage.stats import Stats

HOSTILE = "<!channel> Acme <https://evil.example|click> & co " + "x" * 200
NOW = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)
PERMALINK = "https://jobgate-sandbox.slack.com/archives/C0REVIEW/p1764082800000100"


def assert_valid_view(view: dict[str, Any]) -> None:
    """What Slack checks: the view and every block (slack_sdk), and at most 100 blocks."""
    assert len(view["blocks"]) <= MAX_VIEW_BLOCKS, len(view["blocks"])
    View(**view).validate_json()
    for block in view["blocks"]:
        parsed = Block.parse(block)
        assert parsed is not None, block
        parsed.validate_json()


def as_text(view: dict[str, Any]) -> str:
    return json.dumps(view, ensure_ascii=False)


def action_ids(view: dict[str, Any]) -> list[str]:
    found = []
    for block in view["blocks"]:
        elements = block.get("elements", []) if block["type"] == "actions" else []
        elements += [block["accessory"]] if "accessory" in block else []
        found += [e["action_id"] for e in elements if "action_id" in e]
    return found


def stats() -> Stats:
    return Stats(
        since=NOW - timedelta(days=7),
        until=NOW,
        by_reviewer=(("UREV0001", 3, 1, 0),),
        reasons=(("not_relevant", "Not relevant to our students", 1),),
        decisions=4,
        median_hours=2.5,
        p90_hours=30.0,
        auto_approved=1,
        flagged=(("pending", 2),),
        holds_answered=0,
        holds_expired=0,
    )


def item(number: int, flag_reason: str | None = None) -> HomeItem:
    return HomeItem(
        request_id=number,
        kind="job",
        title=f"{HOSTILE} {number}",
        employer=HOSTILE,
        state="pending",
        received_at=NOW - timedelta(hours=number),
        permalink=PERMALINK,
        flag_reason=flag_reason,
    )


def facts(listed: int = 10, total: int = 1000) -> HomeFacts:
    return HomeFacts(
        counts=(
            QueueCount("employer", "approved", 40),
            QueueCount("job", "pending", total),
            QueueCount("job", "on_hold", 3),
        ),
        over_sla=12,
        unassigned=900,
        flagged_pending=total // 2,
        assigned=tuple(item(i) for i in range(listed)),
        assigned_total=total // 4,
        recent=tuple(
            MyDecision(i, "job", HOSTILE, "declined", NOW - timedelta(minutes=i), PERMALINK)
            for i in range(listed)
        ),
        flagged=tuple(item(i, flag_reason=HOSTILE) for i in range(listed)),
    )


def admin(count: int = 100) -> blocks.AdminFacts:
    reasons = tuple(
        DeclineReason(code=f"reason_{i:03d}", label=f"{HOSTILE}"[:75], message="m", retired=i > 90)
        for i in range(count)
    )
    labels = tuple(Label(i, f"Label <{i}> & co", i % 3 == 0, i, i) for i in range(2 * count))
    trusted = tuple(TrustedEmployer(i, f"emp_{i}", HOSTILE, "UADMIN0001", NOW) for i in range(10))
    return blocks.AdminFacts(
        settings=WorkspaceSettings(digest_time="07:45", first_job_needs_review=False),
        default_digest_time="09:00",
        timezone="America/New_York",
        trusted=trusted,
        trusted_total=500,
        reasons=reasons,
        labels=labels,
    )


def content(admin_facts: blocks.AdminFacts | None = None) -> blocks.HomeContent:
    return blocks.HomeContent(facts(), 2, stats(), "the last 7 days", admin_facts)


def test_a_reviewers_home_has_the_queue_and_no_admin_section() -> None:
    view = blocks.home_view(content())
    assert_valid_view(view)
    text = as_text(view)
    assert "*Queue:* 1,000 pending · 3 on hold" in text
    assert "*Jobs*\\n1,000 pending · 3 on hold" in text and "*Employers*\\n40 approved" in text
    assert (
        "Assigned to you (250)" in text and "Flagged or risky, waiting for a decision (500)" in text
    )
    assert "Settings (admins)" not in text and action_ids(view) == []


def test_an_admins_home_lists_every_setting_with_an_edit_button() -> None:
    view = blocks.home_view(content(admin()))
    assert_valid_view(view)
    found = action_ids(view)
    assert found.count(blocks.EDIT_SETTING) == len(WorkspaceSettings.model_fields)
    edits = [
        b["accessory"]["value"]
        for b in view["blocks"]
        if b.get("accessory", {}).get("action_id") == blocks.EDIT_SETTING
    ]
    assert sorted(edits) == sorted(WorkspaceSettings.model_fields)
    assert found.count(blocks.STOP_TRUSTING) == 10
    for action in (blocks.EDIT_REASON, blocks.ADD_REASON, blocks.RETIRE_REASON):
        assert action in found
    for action in (blocks.RESTORE_REASON, blocks.NEW_LABEL, blocks.RETIRE_LABEL):
        assert action in found
    text = as_text(view)
    assert "*Trusted employer's first job waits for review:* off _(changed)_" in text
    assert "*Digest time:* 07:45 _(changed)_" in text
    assert "…and 490 more: `/jobgate untrust &lt;employer&gt;`" in text


def test_the_same_stats_figures_as_the_stats_command() -> None:
    view = blocks.home_view(content())
    assert all(b in view["blocks"] for b in stats_blocks(stats(), "the last 7 days"))


def test_hostile_names_are_escaped_and_lists_stay_inside_a_section() -> None:
    view = blocks.home_view(content(admin()))
    text = as_text(view)
    assert "<!channel>" not in text and "<https://evil.example" not in text
    assert "&lt;!channel&gt;" in text
    for block in view["blocks"]:
        assert len(block.get("text", {}).get("text", "")) <= SECTION_TEXT
    # 100 reasons do not fit one section: the rest is counted
    reasons = next(
        b for b in view["blocks"] if "Decline reasons (" in b.get("text", {}).get("text", "")
    )
    assert "more" in reasons["text"]["text"].splitlines()[-1]


def test_long_lists_are_cut_with_how_many_more() -> None:
    lines = [f"• line {i} " + "y" * 200 for i in range(40)]
    block = blocks._listing("Title", lines, 1000, "none")
    shown = block["text"]["text"].splitlines()
    listed = len(shown) - 2  # the title and the "…and N more" line
    assert shown[-1] == f"…and {1000 - listed:,} more"
    assert len(block["text"]["text"]) <= SECTION_TEXT
    assert blocks._listing("Title", [], 0, "Nothing.")["text"]["text"] == "*Title*\nNothing."


def test_an_empty_queue_and_workspace_still_make_a_valid_home() -> None:
    empty = HomeFacts((), 0, 0, 0, (), 0, (), ())
    nobody = blocks.AdminFacts(WorkspaceSettings(digest_days=()), "09:00", "UTC", (), 0, (), ())
    view = blocks.home_view(blocks.HomeContent(empty, 2, stats(), "the last 7 days", nobody))
    assert_valid_view(view)
    text = as_text(view)
    assert "Nothing. Take a request with *Assign to me*" in text and "*Digest days:* never" in text
    assert blocks.RETIRE_LABEL not in action_ids(view)
    assert_valid_view(blocks.outsider_view("Not for you."))


def input_element(view: dict[str, Any]) -> dict[str, Any]:
    block = next(b for b in view["blocks"] if b["type"] == "input")
    assert block["block_id"] == blocks.SETTING_INPUT[0]
    element: dict[str, Any] = block["element"]
    assert element["action_id"] == blocks.SETTING_INPUT[1]
    return element


@pytest.mark.parametrize("key", list(WorkspaceSettings.model_fields))
def test_every_setting_has_a_valid_modal(key: str) -> None:
    settings = WorkspaceSettings(digest_time="07:45", digest_days=(0, 2))
    view = blocks.setting_modal(key, settings, "09:00", "America/New_York")
    assert_valid_view(view)
    assert view["callback_id"] == blocks.SETTING_MODAL and view["private_metadata"] == key


def test_each_setting_gets_the_input_that_suits_it() -> None:
    settings = WorkspaceSettings(digest_time="07:45", digest_days=(0, 2), quiet_digest=False)
    modal = blocks.setting_modal

    quiet = input_element(modal("quiet_digest", settings, "09:00", "America/New_York"))
    assert quiet["type"] == "static_select" and quiet["initial_option"]["value"] == "off"
    days = input_element(modal("digest_days", settings, "09:00", "America/New_York"))
    assert days["type"] == "multi_static_select"
    assert [o["value"] for o in days["initial_options"]] == ["mon", "wed"]
    time = input_element(modal("digest_time", settings, "09:00", "America/New_York"))
    values = [o["value"] for o in time["options"]]
    assert time["initial_option"]["value"] == "07:45" and values[0] == "default"
    assert "07:30" in values and values.index("07:45") == values.index("07:30") + 1
    default_time = input_element(
        modal("digest_time", WorkspaceSettings(), "09:00", "America/New_York")
    )
    assert default_time["initial_option"]["value"] == "default"
    sla = input_element(modal("sla_business_days", settings, "09:00", "America/New_York"))
    assert sla["type"] == "number_input" and not sla["is_decimal_allowed"]
    assert (sla["min_value"], sla["max_value"], sla["initial_value"]) == ("1", "30", "2")
    roles = input_element(modal("default_roles", settings, "09:00", "America/New_York"))
    assert roles["type"] == "plain_text_input"
    assert roles["initial_value"] == "post_jobs,post_events,post_interview_schedules"
    expiry = input_element(modal("hold_expiry_action", settings, "09:00", "America/New_York"))
    assert [o["value"] for o in expiry["options"]] == ["pending", "expired", "decline"]
    reviewers = input_element(modal("reviewers", settings, "09:00", "America/New_York"))
    assert reviewers["type"] == "plain_text_input" and reviewers["initial_value"] == "default"
    # a long list is shown whole, and one too long for the box is not cut (a cut id could
    # still look like one and be saved)
    many = tuple(f"U{n:011d}" for n in range(100))  # 1,299 characters
    long_list = input_element(
        modal("reviewers", WorkspaceSettings(reviewers=many), "09:00", "America/New_York")
    )
    assert long_list["initial_value"] == ",".join(many)
    too_many = tuple(f"U{n:011d}" for n in range(300))
    too_long = input_element(
        modal("reviewers", WorkspaceSettings(reviewers=too_many), "09:00", "America/New_York")
    )
    assert "initial_value" not in too_long
    too_long_hint = modal("reviewers", WorkspaceSettings(reviewers=too_many), "09:00", "UTC")
    assert "too long to show here" in str(too_long_hint["blocks"])


def test_who_may_review_reads_as_people() -> None:
    assert blocks.shown_setting("reviewers", None, "09:00") == (
        "JOBGATE_REVIEWERS (the environment), and the admins"
    )
    assert blocks.shown_setting("reviewers", ("U0PAT", "S0TEAM"), "09:00") == (
        "<@U0PAT>, <!subteam^S0TEAM>, and the admins"
    )
    assert blocks.shown_setting("reviewers", (), "09:00") == "the admins only"
    view = blocks.home_view(content(admin()))
    assert "*Who may review:* JOBGATE_REVIEWERS (the environment), and the admins" in as_text(view)


def test_the_reason_and_label_modals_are_valid() -> None:
    add = blocks.reason_add_modal()
    assert_valid_view(add)
    inputs = [b["block_id"] for b in add["blocks"] if b["type"] == "input"]
    assert inputs == [blocks.REASON_CODE[0], ids.REASON_LABEL[0], ids.REASON_MESSAGE[0]]
    new = blocks.label_new_modal()
    assert_valid_view(new)
    assert new["callback_id"] == blocks.LABEL_NEW_MODAL
