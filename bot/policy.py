"""Pure decision rules (SPEC sections 2 and 3): transitions, who may act, what a decision needs."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from bot.clock import add_business_days
from bot.models import (
    DeclineReason,
    EmployerStatus,
    Kind,
    ReviewRequest,
    State,
)

# SPEC 2's moves by decision. Two more send a closed request back to `pending` by rules of
# their own: an Undo within its window (can_undo), and an edit from the platform, which
# reopens a held, declined or expired request (storage/requests.py, `_update_one`).
TRANSITIONS: dict[State, frozenset[State]] = {
    State.PENDING: frozenset({State.APPROVED, State.DECLINED, State.ON_HOLD, State.REMOVED}),
    State.ON_HOLD: frozenset(
        {State.PENDING, State.APPROVED, State.DECLINED, State.EXPIRED, State.REMOVED}
    ),
    State.APPROVED: frozenset({State.REMOVED}),
    State.DECLINED: frozenset({State.REMOVED}),
    State.EXPIRED: frozenset({State.REMOVED}),
    State.REMOVED: frozenset(),
}

# Employer standings under which its jobs are declined without review.
BLOCKING_EMPLOYER_STATUSES = frozenset(
    {EmployerStatus.DECLINED, EmployerStatus.SUSPENDED, EmployerStatus.REMOVED}
)
UNDOABLE_STATES = frozenset({State.APPROVED, State.DECLINED, State.ON_HOLD})
DEFAULT_UNDO_WINDOW = timedelta(minutes=10)
DEFAULT_ROLES = ("post_jobs", "post_events", "post_interview_schedules")
EMPLOYER_NOT_APPROVED = "employer_not_approved"


def can_transition(current: State, target: State) -> bool:
    return target in TRANSITIONS[current]


class Role(StrEnum):
    REVIEWER = "reviewer"
    ADMIN = "admin"


@dataclass(frozen=True)
class Actor:
    """Who clicked, as Slack reported it."""

    user_id: str
    team_id: str | None


@dataclass(frozen=True)
class Staff:
    """The resolved reviewer and admin user ids, and the workspace they belong to."""

    team_id: str | None
    reviewers: frozenset[str]
    admins: frozenset[str]


class Refusal(StrEnum):
    NOT_ALLOWED = "not_allowed"
    OTHER_TEAM = "other_team"
    NOBODY_CONFIGURED = "nobody_configured"
    # the bot's own workspace is not known yet (auth.test did not answer): a click from
    # another workspace (Slack Connect) could not be told apart
    TEAM_UNKNOWN = "team_unknown"


def authorize(actor: Actor, staff: Staff, needs: Role) -> Refusal | None:
    """Deny by default: only configured people of this workspace may act."""
    if staff.team_id is None:
        return Refusal.TEAM_UNKNOWN
    if actor.team_id and actor.team_id != staff.team_id:
        return Refusal.OTHER_TEAM
    allowed = staff.admins if needs is Role.ADMIN else staff.reviewers | staff.admins
    if not allowed:
        return Refusal.NOBODY_CONFIGURED
    if actor.user_id not in allowed:
        return Refusal.NOT_ALLOWED
    return None


def expand_ids(configured: Iterable[str], groups: Mapping[str, Sequence[str]]) -> frozenset[str]:
    """Configured user ids plus the members of configured user groups (ids starting with S)."""
    users: set[str] = set()
    for entry in configured:
        if entry.startswith("S"):
            users.update(groups.get(entry, ()))
        else:
            users.add(entry)
    return frozenset(users)


class Blocker(StrEnum):
    """Why a decision cannot be taken as asked."""

    ALREADY_DECIDED = "already_decided"
    ALREADY_ON_HOLD = "already_on_hold"
    EMPLOYER_PENDING = "employer_pending"
    EMPLOYER_UNREVIEWED = "employer_unreviewed"
    EMPLOYER_BLOCKED = "employer_blocked"
    EMPLOYER_EXPIRED = "employer_expired"
    REASONS_REQUIRED = "reasons_required"


def decision_blocker(
    request: ReviewRequest,
    outcome: State,
    *,
    reason_codes: Sequence[str] = (),
    approve_employer_too: bool = False,
) -> Blocker | None:
    """Why `outcome` cannot be recorded for `request` now, or None when it can."""
    if request.state not in (State.PENDING, State.ON_HOLD):
        return Blocker.ALREADY_DECIDED
    if outcome is State.ON_HOLD and request.state is State.ON_HOLD:
        return Blocker.ALREADY_ON_HOLD
    if outcome is State.DECLINED and not reason_codes:
        return Blocker.REASONS_REQUIRED
    if outcome is State.APPROVED and request.kind is Kind.JOB:
        status = request.employer.status
        if status in BLOCKING_EMPLOYER_STATUSES:
            return Blocker.EMPLOYER_BLOCKED
        if status is EmployerStatus.UNREVIEWED:
            return Blocker.EMPLOYER_UNREVIEWED
        if status is EmployerStatus.EXPIRED:  # closed until the employer edits its request
            return Blocker.EMPLOYER_EXPIRED
        if status in (EmployerStatus.PENDING, EmployerStatus.ON_HOLD):
            return None if approve_employer_too else Blocker.EMPLOYER_PENDING
    return None


def hold_dates(now: datetime, follow_up_days: int, expiry_days: int) -> tuple[datetime, datetime]:
    """(follow-up, expiry) of a hold put on now (SPEC 5): the follow-up N business days on,
    the expiry M calendar days on."""
    return add_business_days(now, follow_up_days), now + timedelta(days=expiry_days)


def employer_status_for(state: State) -> EmployerStatus:
    """An employer request's state, as the employer's standing."""
    return EmployerStatus(state.value)


def auto_decline_for_employer(status: EmployerStatus) -> bool:
    """A job from this employer is declined without review (employer_not_approved)."""
    return status in BLOCKING_EMPLOYER_STATUSES


def can_undo(
    *,
    state: State,
    decided_at: datetime | None,
    decided_by: str | None,
    user_id: str,
    is_admin: bool,
    now: datetime,
    window: timedelta = DEFAULT_UNDO_WINDOW,
) -> bool:
    """The decider or an admin may undo within the window."""
    if state not in UNDOABLE_STATES or decided_at is None:
        return False
    if not undo_window_open(decided_at, now, window):
        return False
    return is_admin or decided_by == user_id


def undo_window_open(decided_at: datetime, now: datetime, window: timedelta) -> bool:
    """Whether a decision taken at `decided_at` (a single one, or a whole bulk run) may still
    be undone."""
    return now - decided_at <= window


def compose_employer_message(reasons: Sequence[DeclineReason]) -> str:
    """The default message to the employer for a decline, built from the chosen reasons."""
    if not reasons:
        return ""
    lines = ["Thank you for your interest in recruiting our students."]
    lines += [reason.message for reason in reasons]
    return "\n".join(lines)


def event_type(kind: Kind, outcome: State) -> str:
    """Outbound webhook type for a decision: job.approved, employer.on_hold, ..."""
    return f"{kind.value}.{outcome.value}"
