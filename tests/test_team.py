"""Working as a team: the employer snapshot, claiming a request, taking it over."""

from __future__ import annotations

import pytest

from bot.models import Kind
from handlers import ids
from tests.harness import ADMIN, REVIEWERS, Harness, decline_form, employer, job


async def seeded_employer(h: Harness) -> None:
    await h.platform.send_employers(employer())
    await h.slack.click(ADMIN, await h.card("emp_123"), ids.APPROVE)
    await h.platform.send_jobs(
        [job(f"job_{i}", title=f"Role {i}", description=f"Duties {i}.") for i in range(6)]
    )
    await h.settle()
    for i, action in ((0, ids.APPROVE), (1, ids.APPROVE), (2, ids.APPROVE)):
        await h.slack.click(REVIEWERS[i], await h.card(f"job_{i}"), action)
    await h.slack.click(REVIEWERS[3], await h.card("job_3"), ids.DECLINE)
    modal = await h.modal(REVIEWERS[3])
    await h.slack.submit(
        REVIEWERS[3],
        modal,
        decline_form("not_relevant"),
    )
    await h.settle()


async def test_the_snapshot_counts_what_the_school_has_seen(harness: Harness) -> None:
    h = harness
    await seeded_employer(h)
    card = await h.card("job_5")
    await h.slack.click(
        REVIEWERS[4], card, ids.EMPLOYER_MENU_ACTION, selected=f"{ids.VERB_EMPLOYER_HISTORY}:1"
    )
    modal = await h.modal(REVIEWERS[4])
    text = str(modal.view["blocks"])
    assert "*Jobs requested*\\n6" in text
    assert "*Approved*\\n3 (0 automatically)" in text and "*Declined*\\n1" in text
    assert "*Held · expired · pending · removed*\\n0 · 0 · 2 · 0" in text
    for reviewer in (ADMIN, *REVIEWERS[:4]):
        assert f"<@{reviewer}>" in text
    assert "41 approved · 2 declined" in text  # what other schools decided


async def test_employer_command_offers_choices_when_several_match(harness: Harness) -> None:
    h = harness
    await h.platform.send_employers(
        [employer("emp_1", name="Northwind Traders"), employer("emp_2", name="Northwind Logistics")]
    )
    await h.settle()
    await h.slack.slash(REVIEWERS[0], "employer northwind", channel="C0REVIEW")
    choices = await h.slack.wait_for(lambda: h.slack.ephemerals_for(REVIEWERS[0]))
    assert "Northwind Traders" in choices[0].text and "Northwind Logistics" in choices[0].text
    await h.slack.slash(REVIEWERS[0], "employer nortwind logistcs", channel="C0REVIEW")  # typos
    snapshot = await h.modal(REVIEWERS[0])
    assert "Northwind Logistics" in str(snapshot.view["blocks"])


async def test_claim_and_take_over(harness: Harness) -> None:
    h = harness
    await h.platform.send_jobs(job())
    card = await h.card("job_456")
    await h.settle()
    await h.slack.click(REVIEWERS[0], card, ids.CARD_MENU, selected=f"{ids.VERB_ASSIGN}:1")
    await h.settle()
    assert f"<@{REVIEWERS[0]}> is on it" in str(h.card_now(card).blocks)
    await h.slack.click(
        REVIEWERS[1], h.card_now(card), ids.CARD_MENU, selected=f"{ids.VERB_ASSIGN}:1"
    )
    await h.settle()
    assert f"<@{REVIEWERS[1]}> is on it" in str(h.card_now(card).blocks)
    assert f"took this over from <@{REVIEWERS[0]}>" in h.slack.thread(card)[-1].text


async def test_assigning_a_request_already_yours_says_so_and_changes_nothing(
    harness: Harness,
) -> None:
    h = harness
    card = await h.pending_job_card()
    found = await h.repo.find_request(Kind.JOB, "job_456")
    assert found is not None
    assign = f"{ids.VERB_ASSIGN}:{found.id}"
    await h.slack.click(REVIEWERS[0], card, ids.CARD_MENU, selected=assign)
    await h.settle()
    audit_before = await h.repo.list_audit(found.id)
    thread_before = len(h.slack.thread(card))
    await h.slack.click(REVIEWERS[0], h.card_now(card), ids.CARD_MENU, selected=assign)
    told = await h.slack.wait_for(lambda: h.slack.ephemerals_for(REVIEWERS[0]), what="a reply")
    assert told[-1].text == "This one is already assigned to you; nothing changed."
    await h.settle()
    assert await h.repo.list_audit(found.id) == audit_before
    assert len(h.slack.thread(card)) == thread_before


@pytest.mark.parametrize("verb", [ids.VERB_ASSIGN, ids.VERB_HISTORY, ids.VERB_FLAG])
async def test_a_menu_on_a_card_for_an_unknown_request_says_so(harness: Harness, verb: str) -> None:
    h = harness
    card = await h.pending_job_card()
    found = await h.repo.find_request(Kind.JOB, "job_456")
    assert found is not None
    await h.settle()
    audit_before, attempts_before = await h.repo.list_audit(found.id), len(h.platform.attempts)
    await h.slack.click(REVIEWERS[0], card, ids.CARD_MENU, selected=f"{verb}:999999")
    told = await h.slack.wait_for(lambda: h.slack.ephemerals_for(REVIEWERS[0]), what="a reply")
    assert "no request #999999 on record, so nothing changed" in told[-1].text
    await h.settle()
    assert h.slack.open_views_for(REVIEWERS[0]) == []
    assert await h.repo.list_audit(found.id) == audit_before
    assert len(h.platform.attempts) == attempts_before
