"""Pure decision rules with a fixed now: no fakes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.clock import add_business_days, business_days_between, from_db, to_db
from bot.models import DeclineReason, EmployerStatus, Kind, State
from bot.policy import (
    TRANSITIONS,
    Actor,
    Blocker,
    Refusal,
    Role,
    Staff,
    authorize,
    can_transition,
    can_undo,
    compose_employer_message,
    decision_blocker,
    expand_ids,
)
from tests.test_blocks import make_request

NOW = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)  # a Wednesday
STAFF = Staff(team_id="T1", reviewers=frozenset({"UR"}), admins=frozenset({"UA"}))


def test_deny_by_default() -> None:
    empty = Staff(team_id="T1", reviewers=frozenset(), admins=frozenset())
    assert authorize(Actor("UR", "T1"), empty, Role.REVIEWER) is Refusal.NOBODY_CONFIGURED
    assert authorize(Actor("UX", "T1"), STAFF, Role.REVIEWER) is Refusal.NOT_ALLOWED
    assert authorize(Actor("UR", "T2"), STAFF, Role.REVIEWER) is Refusal.OTHER_TEAM
    # deny by default: with the bot's own workspace unknown, another's cannot be told apart
    unknown = Staff(team_id=None, reviewers=STAFF.reviewers, admins=STAFF.admins)
    assert authorize(Actor("UR", "T2"), unknown, Role.REVIEWER) is Refusal.TEAM_UNKNOWN
    assert authorize(Actor("UA", "T1"), unknown, Role.ADMIN) is Refusal.TEAM_UNKNOWN
    assert authorize(Actor("UR", "T1"), STAFF, Role.REVIEWER) is None
    assert authorize(Actor("UR", "T1"), STAFF, Role.ADMIN) is Refusal.NOT_ALLOWED
    assert authorize(Actor("UA", "T1"), STAFF, Role.REVIEWER) is None  # admins may review


def test_groups_expand_to_their_members() -> None:
    assert expand_ids(["U1", "S9"], {"S9": ["U2", "U3"]}) == {"U1", "U2", "U3"}
    assert expand_ids(["S404"], {}) == frozenset()


def test_transitions_follow_the_spec() -> None:
    assert can_transition(State.PENDING, State.APPROVED)
    assert can_transition(State.ON_HOLD, State.EXPIRED)
    assert not can_transition(State.APPROVED, State.DECLINED)
    assert all(can_transition(s, State.REMOVED) for s in State if s is not State.REMOVED)
    assert TRANSITIONS[State.REMOVED] == frozenset()


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (EmployerStatus.APPROVED, None),
        (EmployerStatus.PENDING, Blocker.EMPLOYER_PENDING),
        (EmployerStatus.ON_HOLD, Blocker.EMPLOYER_PENDING),
        # an expired employer request cannot be approved with the job (SPEC 2: expired is
        # final until the employer edits it), so "Approve both" is not offered
        (EmployerStatus.EXPIRED, Blocker.EMPLOYER_EXPIRED),
        (EmployerStatus.UNREVIEWED, Blocker.EMPLOYER_UNREVIEWED),
        (EmployerStatus.DECLINED, Blocker.EMPLOYER_BLOCKED),
        (EmployerStatus.SUSPENDED, Blocker.EMPLOYER_BLOCKED),
    ],
)
def test_approving_a_job_depends_on_its_employer(
    status: EmployerStatus, expected: Blocker | None
) -> None:
    request = make_request(Kind.JOB, State.PENDING)
    request = request.model_copy(
        update={"employer": request.employer.model_copy(update={"status": status})}
    )
    assert decision_blocker(request, State.APPROVED) is expected
    both = decision_blocker(request, State.APPROVED, approve_employer_too=True)
    assert both is (None if expected is Blocker.EMPLOYER_PENDING else expected)


def test_decided_requests_cannot_be_decided_again() -> None:
    for state in (State.APPROVED, State.DECLINED, State.EXPIRED, State.REMOVED):
        assert (
            decision_blocker(make_request(Kind.EMPLOYER, state), State.APPROVED)
            is Blocker.ALREADY_DECIDED
        )
    held = make_request(Kind.EMPLOYER, State.ON_HOLD)
    assert decision_blocker(held, State.ON_HOLD) is Blocker.ALREADY_ON_HOLD
    assert decision_blocker(held, State.DECLINED, reason_codes=["x"]) is None
    assert (
        decision_blocker(make_request(Kind.EMPLOYER, State.PENDING), State.DECLINED)
        is Blocker.REASONS_REQUIRED
    )


def test_undo_window() -> None:
    decided = NOW - timedelta(minutes=9)
    common = {"state": State.APPROVED, "decided_at": decided, "decided_by": "UR", "now": NOW}
    assert can_undo(user_id="UR", is_admin=False, **common)
    assert not can_undo(user_id="UX", is_admin=False, **common)
    assert can_undo(user_id="UX", is_admin=True, **common)
    assert not can_undo(
        user_id="UR", is_admin=False, **{**common, "now": NOW + timedelta(minutes=2)}
    )
    assert not can_undo(user_id="UR", is_admin=True, **{**common, "state": State.PENDING})


def test_the_employer_message_is_built_from_the_reasons() -> None:
    reasons = [
        DeclineReason(code="a", label="A", message="First."),
        DeclineReason(code="b", label="B", message="Second."),
    ]
    message = compose_employer_message(reasons)
    assert message.endswith("First.\nSecond.") and compose_employer_message([]) == ""


def test_business_days_skip_weekends() -> None:
    friday = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
    assert add_business_days(friday, 1).weekday() == 0
    assert add_business_days(NOW, 3) == datetime(2026, 11, 30, 15, 0, tzinfo=UTC)
    assert business_days_between(friday, friday + timedelta(days=3)) == 1
    assert business_days_between(NOW, NOW) == 0


@given(
    st.datetimes(
        min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
    )
)
def test_database_times_round_trip_to_the_millisecond(moment: datetime) -> None:
    back = from_db(to_db(moment))
    assert abs((back - moment).total_seconds()) < 0.001
    assert len(to_db(moment)) == 24


def test_a_modal_says_try_again_when_only_the_workspace_was_unconfirmed() -> None:
    from handlers.interaction import in_modal, refusal_title

    assert in_modal(Refusal.NOT_ALLOWED, "You are not allowed.") == "You are not allowed."
    assert "Submit again in a minute" in in_modal(Refusal.TEAM_UNKNOWN, "You are not allowed.")
    assert refusal_title(Refusal.TEAM_UNKNOWN) == "Try again"
    assert refusal_title(Refusal.NOT_ALLOWED) == "Not allowed"


def test_a_refusal_says_who_can_add_you() -> None:
    from handlers.interaction import refusal_text

    reviewer = refusal_text(Refusal.NOT_ALLOWED, Role.REVIEWER)
    assert "reviewer list" in reviewer and "a jobgate admin, or whoever runs jobgate" in reviewer
    admin = refusal_text(Refusal.NOT_ALLOWED, Role.ADMIN)
    assert "admin list" in admin and "add you to JOBGATE_ADMINS" in admin
