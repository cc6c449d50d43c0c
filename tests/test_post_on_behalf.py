"""/jobgate post: a reviewer posts a job for an approved employer."""

from __future__ import annotations

import pytest

from bot.models import Kind, State
from handlers import ids
from handlers.blocks.common import MAX_OPTIONS
from handlers.post_on_behalf import parse_pay
from tests.harness import (
    ADMIN,
    REVIEWERS,
    STAFF,
    Harness,
    employer,
    static_select,
    text_input,
)


def test_pay_text() -> None:
    assert parse_pay("25-30 per hour") == {
        "min": 25.0,
        "max": 30.0,
        "currency": "USD",
        "period": "hour",
    }
    assert parse_pay("$55,000/yr") == {
        "min": 55000.0,
        "max": 55000.0,
        "currency": "USD",
        "period": "year",
    }
    assert parse_pay("") is None
    with pytest.raises(ValueError):
        parse_pay("competitive")


async def test_a_reviewer_posts_on_behalf_of_an_employer(harness: Harness) -> None:
    h = harness
    await h.platform.send_employers(employer())
    await h.slack.click(ADMIN, await h.card("emp_123"), ids.APPROVE)
    await h.settle()
    await h.slack.slash(STAFF, "post", channel="C0REVIEW")
    refused = await h.slack.wait_for(lambda: h.slack.ephemerals_for(STAFF))
    assert "reviewer list" in refused[0].text

    await h.slack.slash(REVIEWERS[0], "post acme", channel="C0REVIEW")
    modal = await h.modal(REVIEWERS[0])
    select = next(b for b in modal.view["blocks"] if b.get("block_id") == ids.POST_EMPLOYER[0])
    chosen = select["element"]["initial_option"]["value"]
    values = (
        static_select(ids.POST_EMPLOYER, chosen)
        | text_input(ids.POST_TITLE, "Campus Ambassador")
        | text_input(ids.POST_DESCRIPTION, "Represent Acme at events.")
        | text_input(ids.POST_PAY, "lots")
    )
    bad = await h.slack.submit(REVIEWERS[0], modal, values)
    assert ids.POST_PAY[0] in bad.json()["errors"]
    await h.slack.submit(REVIEWERS[0], modal, values | text_input(ids.POST_PAY, "18 per hour"))
    await h.settle()
    posted = h.platform.events_of_type("job.posted_on_behalf")
    assert len(posted) == 1 and posted[0]["data"]["posted_by"] == REVIEWERS[0]
    assert (
        posted[0]["data"]["job"]["pay"]["min"] == 18
        and posted[0]["data"]["employer_id"] == "emp_123"
    )
    request = await h.repo.find_request(Kind.JOB, posted[0]["data"]["id"])
    assert (
        request is not None
        and request.state is State.APPROVED
        and request.decided_by == REVIEWERS[0]
    )
    snapshot = await h.repo.employer_snapshot(request.employer.id)
    assert snapshot is not None and snapshot.jobs["approved"] == 1
    card = await h.card(posted[0]["data"]["id"])
    assert "Approved" in str(card.blocks) and f"<@{REVIEWERS[0]}>" in str(card.blocks)


async def test_posting_for_an_employer_not_approved_says_why(harness: Harness) -> None:
    h = harness
    await h.platform.send_employers([employer(), employer("emp_2", name="Borealis Labs")])
    await h.slack.click(ADMIN, await h.card("emp_123"), ids.APPROVE)
    await h.settle()
    await h.slack.slash(REVIEWERS[0], "post borealis", channel="C0REVIEW")
    told = await h.slack.wait_for(lambda: h.slack.ephemerals_for(REVIEWERS[0]))
    assert told[-1].text == (
        "*Borealis Labs* is pending here; jobs can only be posted for approved employers."
    )
    assert h.slack.open_views_for(REVIEWERS[0]) == []


async def test_the_named_employer_is_offered_even_beyond_the_hundred_listed(
    harness: Harness,
) -> None:
    """The form lists the 100 most recently active approved employers; the one named in the
    command is offered, first and chosen, even when it is the 101st."""
    h = harness
    names = [f"Employer {i:03d}" for i in range(101)]
    bodies = [employer(f"emp_{i}", name=name) for i, name in enumerate(names)]
    assert (await h.platform.send_employers(bodies)).status == 200
    await h.settle()
    # approved long ago, the first one is the least recently active (setup, not the subject)
    await h.repo.db.write(
        lambda conn: conn.execute(
            "UPDATE employers SET status = 'approved', updated_at ="
            " CASE upstream_id WHEN 'emp_0' THEN '2020-01-01T00:00:00.000Z' ELSE updated_at END"
        )
    )
    assert len(await h.repo.list_approved_employers(MAX_OPTIONS)) == MAX_OPTIONS == 100
    await h.slack.slash(REVIEWERS[0], "post emp_0", channel="C0REVIEW")
    modal = await h.modal(REVIEWERS[0])
    select = next(b for b in modal.view["blocks"] if b.get("block_id") == ids.POST_EMPLOYER[0])
    options = select["element"]["options"]
    assert len(options) == 100 and options[0]["text"]["text"] == "Employer 000"
    assert select["element"]["initial_option"] == options[0]
