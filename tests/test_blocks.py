"""Block Kit builders: valid by slack_sdk's own models, inside Slack's limits, in every state."""

from __future__ import annotations

import html
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from bot.models import (
    AuditEntry,
    CardFacts,
    DeclineReason,
    EmployerRecord,
    EmployerStatus,
    Kind,
    ReasonRef,
    ReviewRequest,
    State,
    Via,
)
from bot.submissions import EmployerSubmission, JobSubmission
from handlers import ids
from handlers.blocks.cards import format_pay, render_card
from handlers.blocks.modals import approve_both_modal, decline_modal, hold_modal, notice_modal
from handlers.blocks.threads import render_thread_reply
from tests.harness import employer, job

NOW = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)
LONG = "word " * 20_000


def valid_message(message: dict[str, Any]) -> None:
    assert 0 < len(message["blocks"]) <= 50
    assert len(message["text"]) <= 40_000
    for block in message["blocks"]:
        parsed = Block.parse(block)
        assert parsed is not None
        parsed.validate_json()


def valid_view(view: dict[str, Any]) -> None:
    assert len(view["blocks"]) <= 100
    View(**view).validate_json()
    for block in view["blocks"]:
        Block.parse(block).validate_json()  # type: ignore[union-attr]


def make_request(kind: Kind, state: State, **overrides: Any) -> ReviewRequest:
    submission = (
        JobSubmission.model_validate(job(**overrides))
        if kind is Kind.JOB
        else EmployerSubmission.model_validate(employer(**overrides))
    )
    return ReviewRequest(
        id=7,
        kind=kind,
        upstream_id=submission.id,
        state=state,
        title=submission.title if isinstance(submission, JobSubmission) else submission.name,
        employer=EmployerRecord(
            id=1, upstream_id="emp_123", name="Acme", status=EmployerStatus.APPROVED
        ),
        submission=submission,
        version=1,
        received_at=NOW,
        updated_at=NOW,
        decided_at=None if state is State.PENDING else NOW,
        decided_by=None if state is State.PENDING else "UREV0001",
        hold_follow_up_at=NOW + timedelta(days=3) if state is State.ON_HOLD else None,
    )


def decision(state: State) -> AuditEntry:
    return AuditEntry(
        id=3,
        request_id=7,
        action=state.value,
        from_state="pending",
        to_state=state.value,
        actor="UREV0001",
        via=Via.BUTTON,
        at=NOW,
        reasons=[ReasonRef(code="suspected_fraud", label="Suspected fraud")]
        if state is State.DECLINED
        else [],
        message="Please add detail",
        note="internal",
    )


@pytest.mark.parametrize("kind", list(Kind))
@pytest.mark.parametrize("state", list(State))
def test_cards_are_valid_in_every_state(kind: Kind, state: State) -> None:
    request = make_request(kind, state, description=LONG)
    facts = CardFacts(
        request=request,
        last_decision=None if state is State.PENDING else decision(state),
        undo_until=NOW + timedelta(minutes=5) if state is not State.PENDING else None,
        default_roles=("post_jobs",),
    )
    message = render_card(facts, NOW)
    valid_message(message)
    actions = [
        e["action_id"]
        for b in message["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["type"] == "button"
    ]
    if state is State.PENDING:
        assert actions == [ids.APPROVE, ids.DECLINE, ids.HOLD]
    elif state is State.ON_HOLD:
        assert actions == [ids.APPROVE, ids.DECLINE, ids.UNDO]
    elif state in (State.APPROVED, State.DECLINED):
        assert actions == [ids.UNDO]
    menu = [
        o["value"].partition(":")[0]
        for b in message["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["type"] == "overflow"
        for o in e["options"]
    ]
    # a decided request needs nobody on it
    assert (ids.VERB_ASSIGN in menu) is (state in (State.PENDING, State.ON_HOLD))
    assert ids.VERB_HISTORY in menu


def test_a_bulk_decision_names_its_run_and_its_undo_while_the_window_is_open() -> None:
    request = make_request(Kind.JOB, State.APPROVED).model_copy(update={"decided_via": Via.BULK})
    entry = decision(State.APPROVED).model_copy(
        update={"via": Via.BULK, "details": {"bulk_id": 12}}
    )
    facts = CardFacts(request=request, last_decision=entry, undo_until=NOW)
    during = str(render_card(facts, NOW - timedelta(minutes=1))["blocks"])
    assert "In bulk run 12; an admin can undo the whole run with `/jobgate bulk undo 12`" in during
    after = str(render_card(facts, NOW + timedelta(seconds=1))["blocks"])
    assert "In bulk run 12." in after and "bulk undo" not in after


def test_undo_disappears_when_the_window_ends() -> None:
    request = make_request(Kind.JOB, State.APPROVED)
    facts = CardFacts(request=request, last_decision=decision(State.APPROVED), undo_until=NOW)
    elements = [
        e["action_id"]
        for b in render_card(facts, NOW + timedelta(seconds=1))["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
    ]
    assert ids.UNDO not in elements and ids.CARD_MENU in elements


def test_pay_reads_naturally() -> None:
    from bot.submissions import Pay

    assert format_pay(Pay(min=25, max=30, period="hour")) == "$25–30 per hour"
    assert format_pay(Pay(min=60000, period="year")) == "$60,000 per year"
    assert (
        format_pay(Pay(min=12.5, max=12.5, currency="EUR", period="hour")) == "EUR 12.50 per hour"
    )
    assert format_pay(None) == "not stated"


def test_modals_are_valid() -> None:
    request = make_request(Kind.JOB, State.PENDING, title="T" * 5000)
    reasons = [DeclineReason(code=f"r{i}", label="L" * 200, message="M" * 500) for i in range(12)]
    valid_view(decline_modal(request, reasons, {"request_id": 7}, selected=["r1", "r2"]))
    valid_view(hold_modal(request, {"request_id": 7}, follow_up_days=3, template_index=1))
    valid_view(approve_both_modal(request, ("post_jobs",), {"request_id": 7}))
    valid_view(notice_modal("Nothing changed", "x" * 5000))


@pytest.mark.parametrize(
    ("status", "words"),
    [(EmployerStatus.PENDING, "pending review"), (EmployerStatus.ON_HOLD, "on hold")],
)
def test_the_approve_both_modal_says_where_the_employer_stands(
    status: EmployerStatus, words: str
) -> None:
    request = make_request(Kind.JOB, State.PENDING)
    employer = request.employer.model_copy(update={"status": status})
    view = approve_both_modal(request.model_copy(update={"employer": employer}), (), {})
    assert f"is not approved as an employer yet ({words})" in str(view["blocks"])


def test_thread_replies_are_valid_for_every_entry() -> None:
    request = make_request(Kind.JOB, State.DECLINED)
    changes = [
        {"field": f"f{i}" * 50, "before": "<!channel>" * 100, "after": LONG} for i in range(50)
    ]
    entries = [
        decision(State.APPROVED),
        decision(State.DECLINED),
        decision(State.ON_HOLD),
        AuditEntry(
            id=4,
            request_id=7,
            action="updated",
            from_state="on_hold",
            to_state="pending",
            actor="platform",
            via=Via.API,
            at=NOW,
            details={"changes": changes, "changed_fields": 60},
        ),
        AuditEntry(
            id=5,
            request_id=7,
            action="reverted",
            from_state="approved",
            to_state="pending",
            actor="UREV0001",
            via=Via.BUTTON,
            at=NOW,
        ),
    ]
    for entry in entries:
        valid_message(render_thread_reply(request, entry))


def test_the_card_menus_offer_the_spec_actions_by_their_names() -> None:
    # SPEC 4: "an overflow with: assign to me, trust employer, add label, report to trust &
    # safety, employer history" (jobgate splits it into a request and an employer menu)
    facts = CardFacts(request=make_request(Kind.JOB, State.PENDING), last_decision=None)
    offered = {  # as Slack shows them: it decodes &amp; in plain_text too
        html.unescape(o["text"]["text"]).casefold()
        for b in render_card(facts, NOW)["blocks"]
        for e in [b.get("accessory"), *b.get("elements", [])]
        if e and e.get("type") == "overflow"
        for o in e["options"]
    }
    spec = {
        "assign to me",
        "trust employer",
        "add label",
        "report to trust & safety",
        "employer history",
    }
    assert spec <= offered, spec - offered


def test_an_auto_approved_job_card_shows_what_every_job_card_shows() -> None:
    request = make_request(
        Kind.JOB, State.APPROVED, apply_url="https://acme.example/apply/7"
    ).model_copy(update={"decided_via": Via.AUTO, "decided_by": "auto"})
    entry = decision(State.APPROVED).model_copy(
        update={
            "actor": "auto",
            "via": Via.AUTO,
            "details": {"because": "Approved automatically: trusted employer."},
        }
    )
    message = render_card(CardFacts(request=request, last_decision=entry), NOW)
    valid_message(message)
    text = str(message["blocks"])
    # SPEC 4's job card: employer and its state, location, pay, type, apply URL, excerpt
    for shown in ("Acme", "employer approved", "*Location*", "*Pay*", "*Type*"):
        assert shown in text, shown
    assert "https://acme.example/apply/7" in text and "*Description*" in text
    # and the outcome, who, when and why
    assert "Approved automatically: trusted employer." in text and "<!date^" in text
