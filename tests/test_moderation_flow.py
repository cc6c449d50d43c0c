"""Trusted employers, auto-approval, duplicates, risk screening and URL reputation, end to end."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.models import Kind, State
from bot.sandbox.fake_web_risk import FakeWebRisk
from handlers import ids
from tests.harness import (
    ADMIN,
    REVIEWERS,
    STAFF,
    Harness,
    employer,
    job,
    start_harness,
    stop_harness,
    text_input,
)

SCAM = (
    "Earn $300 a day from home! We will mail you a check; deposit it and send the rest by "
    "Zelle to our supplier to buy your equipment. Text me on WhatsApp to start today."
)


def card_text(message) -> str:  # type: ignore[no-untyped-def]
    return str(message.blocks)


async def trusted_employer(h: Harness) -> None:
    await h.platform.send_employers(employer())
    card = await h.card("emp_123")
    await h.slack.click(ADMIN, card, ids.APPROVE)
    await h.settle()
    await h.slack.click(
        ADMIN, h.card_now(card), ids.EMPLOYER_MENU_ACTION, selected=f"{ids.VERB_TRUST}:1"
    )
    await h.slack.wait_for(lambda: h.slack.ephemerals_for(ADMIN), what="the trust confirmation")
    assert "now trusted" in h.slack.ephemerals_for(ADMIN)[-1].text


async def test_trusted_employers_clean_job_is_approved_with_no_click(harness: Harness) -> None:
    h = harness
    await trusted_employer(h)

    # the first job here waits for a person (setting on by default), and says why
    await h.platform.send_jobs(
        job("job_first", title="Research Assistant", description="Help run lab studies.")
    )
    first = await h.card("job_first")
    await h.settle()
    assert "first job here" in card_text(h.card_now(first))

    await h.platform.send_jobs(job("job_clean"))
    await h.settle()
    approved = h.platform.events_of_type("job.approved")
    assert [e["data"]["id"] for e in approved] == ["job_clean"]
    assert approved[0]["data"]["via"] == "auto" and approved[0]["data"]["decided_by"] == "auto"
    clean = await h.card("job_clean")
    assert "Approved automatically" in card_text(clean)
    stored = await h.repo.find_request(Kind.JOB, "job_clean")
    assert stored is not None and stored.state is State.APPROVED
    audit = await h.repo.list_audit(stored.id)
    assert audit[-1].actor == "auto" and audit[-1].via.value == "auto"

    # its duplicate waits, with a link to the original
    await h.platform.send_jobs(job("job_copy", description=job()["description"] + " "))
    await h.settle()
    copy = await h.card("job_copy")
    assert "Possible duplicate" in card_text(copy) and "job_clean" in card_text(copy)
    assert "duplicate of" in card_text(copy)

    # a flagged job waits too, with the evidence
    await h.platform.send_jobs(job("job_scam", title="Remote Assistant", description=SCAM))
    await h.settle()
    scam = await h.card("job_scam")
    text = card_text(scam)
    assert "Risk signals" in text and "Not approved automatically" in text
    for held in ("job_copy", "job_scam", "job_first"):
        request = await h.repo.find_request(Kind.JOB, held)
        assert request is not None and request.state is State.PENDING
    assert len(h.platform.events_of_type("job.approved")) == 1


async def test_a_rescreen_after_the_trust_ends_drops_the_auto_approval_note(
    harness: Harness,
) -> None:
    h = harness
    await trusted_employer(h)
    await h.platform.send_jobs(job("job_first", title="Lab Assistant", description="Run studies."))
    await h.settle()
    first = await h.card("job_first")
    assert "first job here" in card_text(h.card_now(first))

    await h.slack.click(
        ADMIN, h.card_now(first), ids.EMPLOYER_MENU_ACTION, selected=f"{ids.VERB_UNTRUST}:1"
    )
    await h.slack.wait_for(
        lambda: any("no longer trusted" in e.text for e in h.slack.ephemerals_for(ADMIN)),
        what="the untrust confirmation",
    )
    # an edit is screened again: no longer a candidate, so no note about auto-approval
    await h.platform.send_jobs(
        job("job_first", title="Lab Assistant", description="Run studies and code the data.")
    )
    await h.settle()
    text = card_text(h.card_now(first))
    assert "code the data" in text
    assert "first job here" not in text and "robot_face" not in text
    stored = await h.repo.find_request(Kind.JOB, "job_first")
    assert stored is not None and stored.state is State.PENDING


async def test_undo_of_an_auto_approval_is_for_admins(harness: Harness) -> None:
    h = harness
    await trusted_employer(h)
    await h.platform.send_jobs(job("job_a", title="A", description="One thing."))
    await h.platform.send_jobs(job("job_b"))
    await h.settle()
    card = await h.card("job_b")
    await h.slack.click(REVIEWERS[0], card, ids.UNDO)
    refused = await h.slack.wait_for(lambda: h.slack.ephemerals_for(REVIEWERS[0]))
    assert "only the person who decided, or an admin" in refused[0].text
    await h.slack.click(ADMIN, card, ids.UNDO)
    await h.settle()
    stored = await h.repo.find_request(Kind.JOB, "job_b")
    assert stored is not None and stored.state is State.PENDING
    assert h.platform.events_of_type("job.decision_reverted")


async def test_a_reviewer_can_flag_a_request_by_hand(harness: Harness) -> None:
    h = harness
    await h.platform.send_jobs(job())
    card = await h.card("job_456")
    await h.slack.click(REVIEWERS[0], card, ids.CARD_MENU, selected=f"{ids.VERB_FLAG}:1")
    modal = await h.modal(REVIEWERS[0])
    await h.slack.submit(
        REVIEWERS[0], modal, text_input(ids.FLAG_REASON, "Recruiter asked for SSN")
    )
    await h.settle()
    text = card_text(h.card_now(card))
    assert "Flagged as suspicious" in text and "Recruiter asked for SSN" in text
    assert "flagged this as suspicious" in h.slack.thread(card)[-1].text
    stored = await h.repo.find_request(Kind.JOB, "job_456")
    audit = await h.repo.list_audit(stored.id)  # type: ignore[union-attr]
    assert audit[-1].action == "flagged" and audit[-1].actor == REVIEWERS[0]


async def test_only_admins_can_trust_an_employer(harness: Harness) -> None:
    h = harness
    await h.platform.send_employers(employer())
    card = await h.card("emp_123")
    await h.slack.click(ADMIN, card, ids.APPROVE)
    await h.settle()
    await h.slack.click(
        REVIEWERS[0], h.card_now(card), ids.EMPLOYER_MENU_ACTION, selected=f"{ids.VERB_TRUST}:1"
    )
    refused = await h.slack.wait_for(lambda: h.slack.ephemerals_for(REVIEWERS[0]))
    assert "admin list" in refused[0].text
    await h.slack.click(
        STAFF, h.card_now(card), ids.EMPLOYER_MENU_ACTION, selected=f"{ids.VERB_TRUST}:1"
    )
    await h.slack.wait_for(lambda: h.slack.ephemerals_for(STAFF))
    stored = await h.repo.find_request(Kind.EMPLOYER, "emp_123")
    assert stored is not None and not stored.employer.trusted


@pytest.fixture
async def web_risk() -> AsyncIterator[FakeWebRisk]:
    fake = await FakeWebRisk(api_key="test-key").start()
    try:
        yield fake
    finally:
        await fake.stop()


async def start_with_web_risk(tmp_path: Path, fake: FakeWebRisk) -> Harness:
    return await start_harness(
        tmp_path,
        settings_overrides={
            "JOBGATE_WEB_RISK_URL": fake.url,
            "JOBGATE_WEB_RISK_API_KEY": "test-key",
        },
        web_risk_timeout_s=0.5,
    )


async def test_an_unsafe_url_shows_on_the_card(tmp_path: Path, web_risk: FakeWebRisk) -> None:
    web_risk.unsafe["https://acme.example/careers/456"] = ["SOCIAL_ENGINEERING"]
    h = await start_with_web_risk(tmp_path, web_risk)
    try:
        await h.platform.send_jobs(job())
        card = await h.card("job_456")
        await h.slack.wait_for(
            lambda: "SOCIAL_ENGINEERING" in card_text(h.card_now(card)), what="the Web Risk verdict"
        )
        text = card_text(h.card_now(card))
        assert "Risk signals" in text and "Google Web Risk" in text
        assert any(q.uri == "https://acme.example/careers/456" for q in web_risk.requests)
    finally:
        await stop_harness(h)


async def test_a_url_check_that_times_out_does_not_delay_the_card(
    tmp_path: Path, web_risk: FakeWebRisk
) -> None:
    web_risk.delay_s = 30
    h = await start_with_web_risk(tmp_path, web_risk)
    try:
        await h.platform.send_jobs(job())
        card = await h.card("job_456", timeout=2.0)
        assert "checking links" in card_text(card)
        await h.slack.wait_for(
            lambda: "could not run" in card_text(h.card_now(card)),
            timeout=5,
            what="the timeout note",
        )
    finally:
        await stop_harness(h)


async def test_with_url_checks_a_trusted_employers_job_waits_for_its_links(
    tmp_path: Path, web_risk: FakeWebRisk
) -> None:
    # the local screening leaves the decision to the URL check's save: clean links approve,
    # links that could not be checked keep the job for a person
    h = await start_with_web_risk(tmp_path, web_risk)
    try:
        await trusted_employer(h)
        await h.platform.send_jobs(job("job_first", title="Lab Assistant", description="Studies."))
        await h.settle()

        await h.platform.send_jobs(job("job_clean"))
        await h.settle()
        clean = await h.card("job_clean")
        assert "Approved automatically" in card_text(h.card_now(clean))
        assert any(q.uri == "https://acme.example/careers/456" for q in web_risk.requests)
        approved = h.platform.events_of_type("job.approved")
        assert [e["data"]["id"] for e in approved] == ["job_clean"]

        web_risk.fail_next(500, times=20)
        await h.platform.send_jobs(
            job(
                "job_unchecked",
                title="Data Intern",
                description="Clean the data we report on.",
                apply_url="https://acme.example/careers/789",  # not in the checker's cache
            )
        )
        await h.settle()
        unchecked = await h.card("job_unchecked")
        text = card_text(h.card_now(unchecked))
        assert "Not approved automatically" in text and "could not be checked" in text
        stored = await h.repo.find_request(Kind.JOB, "job_unchecked")
        assert stored is not None and stored.state is State.PENDING
        assert len(h.platform.events_of_type("job.approved")) == 1
        # one card each, posted once the links were checked
        posted = [m for m in h.slack.bot_messages(clean.channel) if not m.thread_ts]
        assert sum("job_clean" in str(m.blocks) for m in posted) == 1
    finally:
        await stop_harness(h)


async def test_without_a_key_the_card_says_links_were_not_checked(harness: Harness) -> None:
    await harness.platform.send_jobs(job())
    card = await harness.card("job_456")
    await harness.settle()
    assert "links not checked (no Web Risk API key)" in card_text(harness.card_now(card))


async def request_id(h: Harness, employer_upstream_id: str) -> int:
    found = await h.repo.find_request(Kind.EMPLOYER, employer_upstream_id)
    assert found is not None
    return found.id


async def test_trust_by_slash_command(harness: Harness) -> None:
    h = harness
    await h.platform.send_employers(
        [employer("emp_1", name="Acme Analytics"), employer("emp_2", name="Acme Robotics")]
    )
    for upstream in ("emp_1", "emp_2"):
        await h.slack.click(ADMIN, await h.card(upstream), ids.APPROVE)
    await h.settle()
    await h.slack.slash(ADMIN, "trust acme", channel="C0REVIEW")
    several = await h.slack.wait_for(lambda: h.slack.ephemerals_for(ADMIN))
    assert "Several employers match" in several[-1].text and "emp_2" in several[-1].text
    await h.slack.slash(ADMIN, "trust Acme Robotics", channel="C0REVIEW")
    await h.slack.wait_for(lambda: len(h.slack.ephemerals_for(ADMIN)) == 2)
    assert "now trusted" in h.slack.ephemerals_for(ADMIN)[-1].text
    audit_before = await h.repo.list_audit(robotics_request_id := (await request_id(h, "emp_2")))
    await h.slack.slash(ADMIN, "trust Acme Robotics", channel="C0REVIEW")  # again
    await h.slack.wait_for(lambda: len(h.slack.ephemerals_for(ADMIN)) == 3)
    assert h.slack.ephemerals_for(ADMIN)[-1].text == (
        "Nothing changed for *Acme Robotics*: it is already trusted."
    )
    assert await h.repo.list_audit(robotics_request_id) == audit_before
    await h.slack.slash(REVIEWERS[0], "untrust emp_2", channel="C0REVIEW")
    refused = await h.slack.wait_for(lambda: h.slack.ephemerals_for(REVIEWERS[0]))
    assert "admin list" in refused[-1].text
    robotics = await h.repo.find_request(Kind.EMPLOYER, "emp_2")
    analytics = await h.repo.find_request(Kind.EMPLOYER, "emp_1")
    assert robotics is not None and robotics.employer.trusted
    assert analytics is not None and not analytics.employer.trusted
