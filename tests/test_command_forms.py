"""Slash commands that open a form say so, privately, when Slack does not open it.

Slack's trigger id lasts 3 s and views.open can fail; the person who typed the command must
not see nothing happen. Each command's answer names the form, what Slack said and what to do.
"""

from __future__ import annotations

import pytest

from bot.models import Kind, State
from bot.sandbox.slack_api import Fault
from tests.conversation import say
from tests.harness import ADMIN, REVIEW_CHANNEL, REVIEWERS, Harness

REVIEWER = REVIEWERS[0]
EXPIRED = Fault(status=200, error="expired_trigger_id")


@pytest.mark.parametrize(
    ("user", "command", "answer"),
    [
        (
            REVIEWER,
            "employer emp_123",
            "Slack did not open the employer snapshot (expired_trigger_id)."
            " Run the same command again.",
        ),
        (
            REVIEWER,
            "post emp_123",
            "Slack did not open the posting form (expired_trigger_id), so nothing changed."
            " Run the same command again.",
        ),
        (
            ADMIN,
            "bulk approve kind:job employer:emp_123",
            "Slack did not open the bulk confirmation (expired_trigger_id), so nothing changed."
            " Run the command again to see it.",
        ),
        (
            ADMIN,
            "reasons edit upfront_cost",
            "Slack did not open the reason editor (expired_trigger_id), so nothing changed."
            " Run `/jobgate reasons edit upfront_cost` again.",
        ),
    ],
    ids=["employer", "post", "bulk", "reasons-edit"],
)
async def test_a_command_whose_form_slack_does_not_open_says_what_to_do(
    harness: Harness, user: str, command: str, answer: str
) -> None:
    h = harness
    card = await h.pending_job_card()
    h.slack.api.fail("views.open", EXPIRED)

    assert (await say(h, user, command)).strip() == answer
    assert len(h.slack.api.calls_to("views.open", ok=False)) == 1
    assert h.slack.open_views_for(user) == []
    if command.startswith("bulk"):  # the one form here that would decide anything
        still = await h.repo.find_request(Kind.JOB, "job_456")
        assert still is not None and still.state is State.PENDING
        assert h.card_now(card).blocks == card.blocks
    # once Slack answers again, the same command opens its form
    opened = await h.modal_from(user, h.slack.slash(user, command, channel=REVIEW_CHANNEL))
    assert opened.view["type"] == "modal"


async def test_a_reason_added_whose_editor_does_not_open_is_still_added(
    harness: Harness,
) -> None:
    """`reasons add` adds, then opens the editor for a real message: when the editor does
    not open, the answer must not read as if the add had been undone."""
    h = harness
    h.slack.api.fail("views.open", EXPIRED)
    await h.slack.slash(ADMIN, "reasons add unpaid_internship Unpaid internship", channel="C0")
    answers = await h.slack.wait_for(
        lambda: (
            h.slack.ephemerals_for(ADMIN)[:2] if len(h.slack.ephemerals_for(ADMIN)) >= 2 else None
        ),
        what="the add and the editor's answers",
    )
    assert answers[0].text.startswith("Added the decline reason `unpaid_internship`")
    assert answers[1].text == (
        "Slack did not open the reason editor (expired_trigger_id). The reason is added all"
        " the same; `/jobgate reasons edit unpaid_internship` opens its editor."
    )
    assert "nothing changed" not in answers[1].text
    added = await h.repo.get_decline_reason("unpaid_internship")
    assert added is not None and added.label == "Unpaid internship"
