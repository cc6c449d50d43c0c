"""Admins edit the decline reason catalogue: `/jobgate reasons` and its editor modal."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bot.models import Kind
from bot.sandbox.workspace import Message, OpenView
from handlers import ids
from tests.conversation import audit_rows, refusals, say
from tests.harness import (
    ADMIN,
    REVIEWERS,
    STAFF,
    Harness,
    decline_form,
    employer,
    job,
    text_input,
)

REVIEWER = REVIEWERS[0]
OLD_LABEL = "Not enough detail (duties, pay, location)"
NEW_LABEL = "Missing duties, pay or location"
NEW_MESSAGE = "Please list the duties, the pay and where the work happens, then resubmit."


@pytest.fixture
def h(harness: Harness) -> Harness:
    return harness


async def job_cards(h: Harness, *upstream_ids: str) -> list[Message]:
    await h.platform.send_employers(employer())
    await h.slack.click(ADMIN, await h.card("emp_123"), ids.APPROVE)
    await h.settle()
    await h.platform.send_jobs(
        [job(upstream, title=f"Analyst {upstream}") for upstream in upstream_ids]
    )
    return [await h.card(upstream) for upstream in upstream_ids]


async def decline_modal(h: Harness, card: Message) -> OpenView:
    return await h.modal_from(REVIEWER, h.slack.click(REVIEWER, card, ids.DECLINE))


def offered(modal: OpenView) -> dict[str, str]:
    """The Decline modal's reasons: label -> code."""
    block = next(b for b in modal.view["blocks"] if b.get("block_id") == ids.REASONS[0])
    return {o["text"]["text"]: o["value"] for o in block["element"]["options"]}


async def decline(h: Harness, modal: OpenView, code: str) -> None:
    answer = await h.slack.submit(REVIEWER, modal, decline_form(code))
    assert answer.status == 200 and modal.closed, answer.body
    await h.settle()


def editor_values(label: str, message: str) -> dict[str, Any]:
    return text_input(ids.REASON_LABEL, label) | text_input(ids.REASON_MESSAGE, message)


async def open_editor(h: Harness, code: str) -> OpenView:
    return await h.modal_from(
        ADMIN, h.slack.slash(ADMIN, f"reasons edit {code}", channel="C0REVIEW")
    )


async def reasons_recorded(h: Harness, upstream_id: str) -> list[str]:
    stored = await h.repo.find_request(Kind.JOB, upstream_id)
    assert stored is not None
    return [r.label for entry in await h.repo.list_audit(stored.id) for r in entry.reasons]


async def test_an_edited_reason_changes_the_modal_and_later_decisions_only(h: Harness) -> None:
    first, second = await job_cards(h, "job_1", "job_2")
    await decline(h, await decline_modal(h, first), "insufficient_detail")
    assert "Not enough detail" in str(h.card_now(first).blocks)

    editor = await open_editor(h, "insufficient_detail")
    assert editor.view["callback_id"] == ids.REASON_EDIT_MODAL
    assert OLD_LABEL in json.dumps(editor.view)  # prefilled
    answer = await h.slack.submit(ADMIN, editor, editor_values(NEW_LABEL, NEW_MESSAGE))
    assert answer.status == 200 and editor.closed
    saved = await h.slack.wait_for(lambda: h.slack.ephemerals_for(ADMIN))
    assert "Saved `insufficient_detail`" in saved[-1].text

    modal = await decline_modal(h, second)
    assert offered(modal)[NEW_LABEL] == "insufficient_detail" and OLD_LABEL not in offered(modal)
    await h.slack.view_action(REVIEWER, modal, ids.REASONS[1], ["insufficient_detail"])
    await h.slack.wait_for(lambda: NEW_MESSAGE in json.dumps(modal.view), what="the new message")
    await decline(h, modal, "insufficient_detail")

    event = h.platform.events_of_type("job.declined")[-1]["data"]
    assert event["id"] == "job_2" and event["reasons"][0]["label"] == NEW_LABEL
    assert NEW_MESSAGE in event["message"]
    assert await reasons_recorded(h, "job_2") == [NEW_LABEL]
    assert await reasons_recorded(h, "job_1") == [OLD_LABEL]  # the old decision keeps its own
    assert "Not enough detail" in str(h.card_now(first).blocks)
    [(details,)] = await audit_rows(
        h, "SELECT details FROM audit WHERE action = 'reason_changed' AND actor = ?", ADMIN
    )
    change = json.loads(details)
    assert change["code"] == "insufficient_detail" and change["change"] == "edited"
    assert change["before"]["label"] == OLD_LABEL and change["after"]["label"] == NEW_LABEL
    assert change["after"]["message"] == NEW_MESSAGE


async def test_the_editor_refuses_bad_input_and_changes_nothing(h: Harness) -> None:
    editor = await open_editor(h, "upfront_cost")
    answer = await h.slack.submit(ADMIN, editor, editor_values("   ", "x" * 1501))
    errors = answer.json()["errors"]
    assert "1 to 75" in errors[ids.REASON_LABEL[0]] and "1500" in errors[ids.REASON_MESSAGE[0]]
    taken = await h.slack.submit(ADMIN, editor, editor_values("Suspected fraud", "Fine text."))
    assert "already has the label" in taken.json()["errors"][ids.REASON_LABEL[0]]
    reason = await h.repo.get_decline_reason("upfront_cost")
    assert reason is not None and reason.label == "Fees or upfront cost to applicants"
    assert await audit_rows(h, "SELECT id FROM audit WHERE action = 'reason_changed'") == []


async def test_reviewers_list_reasons_but_only_admins_change_them(h: Harness) -> None:
    listing = await say(h, REVIEWER, "reasons")
    assert "`upfront_cost` — Fees or upfront cost to applicants" in listing
    assert "admin list" in await say(h, REVIEWER, "reasons edit upfront_cost")
    assert "reviewer list" in await say(h, STAFF, "reasons")
    assert "admin list" in await say(h, REVIEWER, "reasons retire upfront_cost")
    assert not h.slack.open_views_for(REVIEWER)
    # an editor submitted by someone who is not an admin changes nothing
    editor = await open_editor(h, "upfront_cost")
    answer = await h.slack.submit(REVIEWER, editor, editor_values("Changed", "Changed."))
    assert answer.json()["response_action"] == "errors"
    reason = await h.repo.get_decline_reason("upfront_cost")
    assert reason is not None and reason.label == "Fees or upfront cost to applicants"
    assert await refusals(h) == [
        "reasons edit",
        "reasons list",
        "reasons retire",
        "reasons edit",
    ]
    assert "no reason `nonsense`" in await say(h, ADMIN, "reasons edit nonsense")


async def test_retired_reasons_leave_the_modal_and_new_ones_join_it(h: Harness) -> None:
    first, second = await job_cards(h, "job_1", "job_2")
    await decline(h, await decline_modal(h, first), "commission_or_unpaid")

    retired = await say(h, ADMIN, "reasons retire commission_or_unpaid")
    assert "Retired `commission_or_unpaid`" in retired
    assert "(retired)" in await say(h, REVIEWER, "reasons")
    added = await say(h, ADMIN, "reasons add unpaid_internship Unpaid internship")
    assert "Added the decline reason `unpaid_internship`" in added
    editor = await h.slack.wait_for(lambda: h.slack.open_views_for(ADMIN), what="the editor")
    assert "Unpaid internship" in json.dumps(editor[-1].view)
    assert "Nothing changed" in await say(h, ADMIN, "reasons add Bad-Code Something")
    assert "is taken" in await say(h, ADMIN, "reasons add upfront_cost Again")

    modal = await decline_modal(h, second)
    assert "Commission-only or unpaid" not in offered(modal)
    assert offered(modal)["Unpaid internship"] == "unpaid_internship"
    await decline(h, modal, "unpaid_internship")
    assert await reasons_recorded(h, "job_2") == ["Unpaid internship"]
    # the retired reason still names the decision taken with it
    assert await reasons_recorded(h, "job_1") == ["Commission-only or unpaid"]
    assert "Commission-only or unpaid" in str(h.card_now(first).blocks)

    assert "offered in the Decline modal again" in await say(
        h, ADMIN, "reasons restore commission_or_unpaid"
    )
    changes = await audit_rows(
        h,
        "SELECT json_extract(details, '$.change') FROM audit WHERE action = 'reason_changed'"
        " ORDER BY id",
    )
    assert [c for (c,) in changes] == ["retired", "added", "restored"]


async def test_a_reason_added_by_command_keeps_the_characters_typed(h: Harness) -> None:
    # Slack sends & < > in a command's text as entities; the label is what the admin typed
    added = await say(h, ADMIN, "reasons add pay_terms Pay & <terms>")
    assert "Added the decline reason `pay_terms`" in added
    labels = {r.code: r.label for r in await h.repo.list_decline_reasons()}
    assert labels["pay_terms"] == "Pay & <terms>"
