"""The domain: requests, employers, decisions and audit entries (no Slack, no SQL)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from bot.screening import Signal
from bot.submissions import EmployerSubmission, JobSubmission


class Kind(StrEnum):
    EMPLOYER = "employer"
    JOB = "job"


class State(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    DECLINED = "declined"
    ON_HOLD = "on_hold"
    EXPIRED = "expired"
    REMOVED = "removed"


class EmployerStatus(StrEnum):
    """An employer's standing here: its own request's state, or unreviewed / suspended."""

    UNREVIEWED = "unreviewed"
    PENDING = "pending"
    APPROVED = "approved"
    DECLINED = "declined"
    ON_HOLD = "on_hold"
    EXPIRED = "expired"
    REMOVED = "removed"
    SUSPENDED = "suspended"


class Via(StrEnum):
    BUTTON = "button"
    MODAL = "modal"
    BULK = "bulk"
    COMMAND = "command"
    AUTO = "auto"
    API = "api"
    # what the scheduler did (hold reminders and expiries) is recorded as AUTO, SPEC 2's word
    # for a change nobody clicked; rows written before that still read
    SCHEDULER = "scheduler"
    SHORTCUT = "shortcut"
    EVENT = "event"
    HOME = "home"


AUTO_ACTOR = "auto"
PLATFORM_ACTOR = "platform"

# Outcomes a reviewer can choose; the rest of State is reached by events.
DECISION_OUTCOMES = (State.APPROVED, State.DECLINED, State.ON_HOLD)


class DeclineReason(BaseModel):
    model_config = ConfigDict(frozen=True)

    code: str
    label: str
    message: str
    retired: bool = False


class ReasonRef(BaseModel):
    """A reason as recorded with a decision: the code and the label at the time."""

    model_config = ConfigDict(frozen=True)

    code: str
    label: str


class EmployerRecord(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: int
    upstream_id: str
    name: str
    status: EmployerStatus
    trusted: bool = False
    website: str | None = None


class ReviewRequest(BaseModel):
    """One employer or job request as jobgate knows it now."""

    model_config = ConfigDict(frozen=True)

    id: int
    kind: Kind
    upstream_id: str
    state: State
    title: str
    employer: EmployerRecord
    submission: EmployerSubmission | JobSubmission
    version: int
    received_at: datetime
    updated_at: datetime
    requested_at: datetime | None = None
    decided_at: datetime | None = None
    decided_by: str | None = None
    decided_via: Via | None = None
    hold_question: str | None = None
    hold_follow_up_at: datetime | None = None
    hold_expires_at: datetime | None = None
    card_channel: str | None = None
    card_ts: str | None = None

    @property
    def job(self) -> JobSubmission:
        assert isinstance(self.submission, JobSubmission)
        return self.submission

    @property
    def employer_submission(self) -> EmployerSubmission:
        assert isinstance(self.submission, EmployerSubmission)
        return self.submission

    @property
    def ref(self) -> str:
        """Stable short reference used in ids and logs: 'job:job_456'."""
        return f"{self.kind.value}:{self.upstream_id}"


class AuditEntry(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: int
    request_id: int | None
    action: str
    from_state: str | None
    to_state: str | None
    actor: str
    via: Via
    reasons: list[ReasonRef] = Field(default_factory=list)
    message: str | None = None
    note: str | None = None
    details: dict[str, Any] = Field(default_factory=dict)
    at: datetime


class Note(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: int
    request_id: int
    author: str
    text: str
    created_at: datetime
    edited_at: datetime | None = None
    deleted_at: datetime | None = None


class EmployerTally(BaseModel):
    """How an employer's jobs have fared here (shown on its cards)."""

    model_config = ConfigDict(frozen=True)

    jobs_total: int = 0
    approved: int = 0
    declined: int = 0
    pending: int = 0
    on_hold: int = 0


class DuplicateRef(BaseModel):
    """The earlier posting a job duplicates."""

    model_config = ConfigDict(frozen=True)

    request_id: int
    upstream_id: str
    title: str
    similarity: float | None = None
    permalink: str | None = None


class Flag(BaseModel):
    model_config = ConfigDict(frozen=True)

    by: str
    at: datetime
    reason: str | None = None


class CardFacts(BaseModel):
    """Everything a review card shows, gathered in one read."""

    model_config = ConfigDict(frozen=True)

    request: ReviewRequest
    last_decision: AuditEntry | None = None
    undo_until: datetime | None = None
    employer_tally: EmployerTally = Field(default_factory=EmployerTally)
    default_roles: tuple[str, ...] = ()
    signals: tuple[Signal, ...] = ()
    url_checks: dict[str, Any] | None = None
    screening: str = "done"
    duplicate: DuplicateRef | None = None
    flag: Flag | None = None
    auto_note: str | None = None
    employer_labels: tuple[str, ...] = ()
    contact_labels: tuple[str, ...] = ()
    assignee: str | None = None
