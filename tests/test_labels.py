"""Labels on employers and contacts: from the card's menu, by `/jobgate label`, on the cards."""

from __future__ import annotations

from typing import Any

import pytest

from bot.sandbox.workspace import Message, OpenView
from handlers import ids
from tests.conversation import audit_rows, refusals, say
from tests.harness import ADMIN, REVIEWERS, STAFF, Harness, employer, job

REVIEWER = REVIEWERS[0]


@pytest.fixture
def h(harness: Harness) -> Harness:
    return harness


def card_text(message: Message) -> str:
    return str(message.blocks)


async def label_audit(h: Harness) -> list[tuple[str, str, str]]:
    rows = await audit_rows(
        h,
        "SELECT action, actor, json_extract(details, '$.label') FROM audit"
        " WHERE action LIKE 'label%' ORDER BY id",
    )
    return [(str(r[0]), str(r[1]), str(r[2])) for r in rows]


async def open_label_modal(h: Harness, user: str, card: Message) -> OpenView:
    before = {v.id for v in h.slack.open_views_for(user)}
    await h.slack.click(user, card, ids.EMPLOYER_MENU_ACTION, selected=f"{ids.VERB_LABEL}:1")
    views = await h.slack.wait_for(
        lambda: [v for v in h.slack.open_views_for(user) if v.id not in before], what="a modal"
    )
    view: OpenView = views[0]
    return view


def select_block(view: OpenView, block_id: str) -> dict[str, Any]:
    block: dict[str, Any] = next(b for b in view.view["blocks"] if b.get("block_id") == block_id)
    return block


def chosen(view: OpenView, block_id: str, *names: str) -> dict[str, Any]:
    """Slack's state for a multi-select in `view` with the options named `names` chosen."""
    element = select_block(view, block_id)["element"]
    by_name = {o["text"]["text"]: o["value"] for o in element["options"]}
    return {
        element["action_id"]: {
            "type": "multi_static_select",
            "selected_options": [{"value": by_name[name]} for name in names],
        }
    }


def initial(view: OpenView, block_id: str) -> list[str]:
    element = select_block(view, block_id)["element"]
    return [o["text"]["text"] for o in element.get("initial_options", [])]


async def posted_job_card(h: Harness) -> Message:
    await h.platform.send_jobs(job())
    card = await h.card("job_456")
    await h.settle()
    return card


async def test_labels_chosen_in_the_card_menu_show_on_the_refreshed_card(h: Harness) -> None:
    card = await posted_job_card(h)
    assert ":label:" not in card_text(card)
    modal = await open_label_modal(h, REVIEWER, card)
    assert modal.view["callback_id"] == ids.LABEL_MODAL
    assert "Jane Roe" in str(select_block(modal, ids.CONTACT_LABELS[0])["label"])
    answer = await h.slack.submit(
        REVIEWER,
        modal,
        {
            ids.EMPLOYER_LABELS[0]: chosen(
                modal, ids.EMPLOYER_LABELS[0], "White Glove", "Sponsor employer"
            ),
            ids.CONTACT_LABELS[0]: chosen(modal, ids.CONTACT_LABELS[0], "Alumni"),
        },
    )
    assert answer.status == 200 and modal.closed
    await h.settle()
    text = card_text(h.card_now(card))
    assert ":label: Sponsor employer, White Glove" in text and "contact: Alumni" in text
    confirmation = await h.slack.wait_for(lambda: h.slack.ephemerals_for(REVIEWER))
    assert "White Glove" in confirmation[-1].text and "Alumni" in confirmation[-1].text
    assert sorted(await label_audit(h)) == [
        ("label_added", REVIEWER, "Alumni"),
        ("label_added", REVIEWER, "Sponsor employer"),
        ("label_added", REVIEWER, "White Glove"),
    ]

    # opened again, the modal shows what is set; taking one off takes it off the card
    again = await open_label_modal(h, REVIEWER, h.card_now(card))
    assert initial(again, ids.EMPLOYER_LABELS[0]) == ["Sponsor employer", "White Glove"]
    assert initial(again, ids.CONTACT_LABELS[0]) == ["Alumni"]
    await h.slack.submit(
        REVIEWER,
        again,
        {
            ids.EMPLOYER_LABELS[0]: chosen(again, ids.EMPLOYER_LABELS[0], "White Glove"),
            ids.CONTACT_LABELS[0]: chosen(again, ids.CONTACT_LABELS[0], "Alumni"),
        },
    )
    await h.settle()
    text = card_text(h.card_now(card))
    assert ":label: White Glove" in text and "Sponsor employer" not in text
    assert (await label_audit(h))[-1] == ("label_removed", REVIEWER, "Sponsor employer")


async def test_labels_set_from_a_decided_card_show_on_it(h: Harness) -> None:
    await h.platform.send_employers(employer())
    card = await h.card("emp_123")
    await h.slack.click(ADMIN, card, ids.APPROVE)
    await h.settle()
    modal = await open_label_modal(h, REVIEWER, h.card_now(card))
    await h.slack.submit(
        REVIEWER,
        modal,
        {ids.EMPLOYER_LABELS[0]: chosen(modal, ids.EMPLOYER_LABELS[0], "Local employer")},
    )
    await h.settle()
    text = card_text(h.card_now(card))
    assert "Approved" in text and ":label: Local employer" in text


async def test_a_request_without_a_contact_gets_only_the_employer_labels(h: Harness) -> None:
    await h.platform.send_jobs(job(contact=None))
    card = await h.card("job_456")
    modal = await open_label_modal(h, REVIEWER, card)
    blocks = [b.get("block_id") for b in modal.view["blocks"]]
    assert ids.EMPLOYER_LABELS[0] in blocks and ids.CONTACT_LABELS[0] not in blocks


async def test_someone_not_on_staff_cannot_label(h: Harness) -> None:
    card = await posted_job_card(h)
    await h.slack.click(STAFF, card, ids.EMPLOYER_MENU_ACTION, selected=f"{ids.VERB_LABEL}:1")
    refused = await h.slack.wait_for(lambda: h.slack.ephemerals_for(STAFF))
    assert "reviewer list" in refused[0].text
    assert not h.slack.open_views_for(STAFF)
    # a modal submitted by someone else (say, after losing the role) changes nothing either
    modal = await open_label_modal(h, REVIEWER, card)
    answer = await h.slack.submit(
        STAFF, modal, {ids.EMPLOYER_LABELS[0]: chosen(modal, ids.EMPLOYER_LABELS[0], "Alumni")}
    )
    assert answer.json()["response_action"] == "errors"
    assert await label_audit(h) == []


async def test_label_by_slash_command_round_trip(h: Harness) -> None:
    card = await posted_job_card(h)
    added = await say(h, REVIEWER, "label add white glove employer Acme Analytics")
    assert "Added “White Glove” to *Acme Analytics*" in added
    # a label whose name holds the word "employer" still parses
    added = await say(h, REVIEWER, "label add Sponsor employer employer emp_123")
    assert "Added “Sponsor employer”" in added
    added = await say(h, REVIEWER, "label add Alumni contact JANE@acme.example")
    assert "Added “Alumni” to the contact *Jane Roe*" in added
    text = card_text(h.card_now(card))
    assert ":label: Sponsor employer, White Glove" in text and "contact: Alumni" in text

    again = await say(h, REVIEWER, "label add Alumni contact c_9")
    assert "Nothing changed" in again and "already has" in again
    removed = await say(h, REVIEWER, "label remove White Glove employer emp_123")
    assert "Removed “White Glove”" in removed
    assert "White Glove" not in card_text(h.card_now(card))

    listing = await say(h, REVIEWER, "label list")
    assert "Sponsor employer — 1 employer(s), 0 contact(s)" in listing
    assert "Alumni — 0 employer(s), 1 contact(s)" in listing
    actions = [(a, label) for a, _, label in await label_audit(h)]
    assert actions == [
        ("label_added", "White Glove"),
        ("label_added", "Sponsor employer"),
        ("label_added", "Alumni"),
        ("label_removed", "White Glove"),
    ]


async def test_unknown_label_or_target_changes_nothing(h: Harness) -> None:
    await posted_job_card(h)
    unknown = await say(h, REVIEWER, "label add Golden employer emp_123")
    assert "There is no label “Golden”" in unknown
    nobody = await say(h, REVIEWER, "label add Alumni contact ghost@nowhere.example")
    assert "No contact has the id or email" in nobody
    no_employer = await say(h, REVIEWER, "label add Alumni employer Initech")
    assert "No employer matches" in no_employer
    usage = await say(h, REVIEWER, "label add Alumni")
    assert "label add|remove <label> employer" in usage
    assert await label_audit(h) == []


async def test_admins_create_and_retire_labels_and_reviewers_cannot(h: Harness) -> None:
    card = await posted_job_card(h)
    refused = await say(h, REVIEWER, "label new Golden Partner")
    assert "admin list" in refused
    assert await h.repo.find_label("Golden Partner") is None

    created = await say(h, ADMIN, "label new Golden Partner")
    assert "New label “Golden Partner”" in created
    duplicate = await say(h, ADMIN, "label new golden partner")
    assert "Nothing changed" in duplicate and "already" in duplicate
    await say(h, REVIEWER, "label add Golden Partner employer emp_123")
    await say(h, REVIEWER, "label add Alumni contact c_9")
    assert "Golden Partner" in card_text(h.card_now(card))

    assert "admin list" in await say(h, REVIEWER, "label retire Golden Partner")
    retired = await say(h, ADMIN, "label retire Golden Partner")
    assert "Retired “Golden Partner”" in retired
    text = card_text(h.card_now(card))
    assert "Golden Partner" not in text and "contact: Alumni" in text
    refused_add = await say(h, REVIEWER, "label add Golden Partner contact c_9")
    assert "is retired" in refused_add
    modal = await open_label_modal(h, REVIEWER, h.card_now(card))
    assert "Golden Partner" not in str(modal.view)
    listing = await say(h, REVIEWER, "label list")
    assert "_Retired:_ Golden Partner" in listing

    await say(h, ADMIN, "label restore Golden Partner")
    assert "Golden Partner" in card_text(h.card_now(card))  # the employer kept it
    actions = [a for a, _, _ in await label_audit(h)]
    assert actions[0] == "label_created" and "label_retired" in actions
    assert actions[-1] == "label_restored"
    assert await refusals(h) == ["label new", "label retire"]


async def test_an_email_shared_by_two_contacts_asks_for_the_contact_id(h: Harness) -> None:
    await posted_job_card(h)
    twin = {"id": "c_10", "name": "Jane Roe (HR)", "email": "jane@acme.example"}
    await h.platform.send_jobs(job("job_2", contact=twin))
    await h.settle()
    several = await say(h, REVIEWER, "label add Alumni contact jane@acme.example")
    assert "Several contacts use that email" in several and "`c_10`" in several
    assert await label_audit(h) == []
    added = await say(h, REVIEWER, "label add Alumni contact c_10")
    assert "Added “Alumni” to the contact *Jane Roe (HR)* (Acme Analytics)" in added


async def test_saving_the_labels_unchanged_says_so(h: Harness) -> None:
    card = await posted_job_card(h)
    modal = await open_label_modal(h, REVIEWER, card)
    answer = await h.slack.submit(REVIEWER, modal, {})
    assert answer.status == 200 and modal.closed
    told = await h.slack.wait_for(lambda: h.slack.ephemerals_for(REVIEWER))
    assert told[-1].text.startswith("No labels changed")
    assert await label_audit(h) == []
