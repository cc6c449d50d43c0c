"""Bulk decisions (SPEC section 3): what a run covers, what it leaves out and why, and when its
progress message is worth updating (pure)."""

from __future__ import annotations

import math
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from bot.filters import Filter
from bot.models import State
from bot.searches import QueueItem

# A bulk run decides open requests only; the filter's other states match nothing here.
BULK_STATES = (State.PENDING, State.ON_HOLD)
SAMPLE_SIZE = 10
# A run is committed before Slack's 3 s acknowledgement (bench/bench_bulk.py: ~1.3 s for 5,000).
MAX_BULK = 5000
# Slack's Tier 3 for chat.update, less a margin (bot/pacing.py): for the time estimate.
CARD_UPDATES_PER_MINUTE = 48


class BulkAction(StrEnum):
    APPROVE = "approve"
    DECLINE = "decline"

    @property
    def outcome(self) -> State:
        return State.APPROVED if self is BulkAction.APPROVE else State.DECLINED


class LeftOut(StrEnum):
    """Why a matching open request is not decided by a bulk run."""

    DUPLICATE = "duplicate"
    FLAGGED = "flagged"
    RISKY = "risky"
    EMPLOYER_NOT_APPROVED = "employer_not_approved"


def bulk_states(f: Filter) -> tuple[State, ...]:
    return tuple(s for s in f.states if s in BULK_STATES)


def left_out_reasons(f: Filter, action: BulkAction) -> tuple[LeftOut, ...]:
    """Duplicates, flagged and risky requests are left out unless the filter names them;
    a job cannot be approved before its employer is."""
    reasons = []
    if f.duplicate is None:
        reasons.append(LeftOut.DUPLICATE)
    if f.flagged is None:
        reasons.append(LeftOut.FLAGGED)
    if f.risk is None:
        reasons.append(LeftOut.RISKY)
    if action is BulkAction.APPROVE:
        reasons.append(LeftOut.EMPLOYER_NOT_APPROVED)
    return tuple(reasons)


class BulkPreview(BaseModel):
    """What a bulk run would do now: matched open requests, those it decides, a sample."""

    model_config = ConfigDict(frozen=True)

    matched: int
    eligible: int
    left_out: dict[LeftOut, int]
    sample: tuple[QueueItem, ...] = ()

    @property
    def left_out_total(self) -> int:
        return self.matched - self.eligible


class BulkOrder(BaseModel):
    """A confirmed bulk run, as the admin submitted it."""

    model_config = ConfigDict(frozen=True)

    action: BulkAction
    filter_text: str
    actor: str
    channel: str | None
    confirmed: int
    reason_codes: tuple[str, ...] = ()
    message: str | None = None


class BulkRun(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: int
    actor: str
    action: BulkAction
    filter_text: str
    total: int
    skipped: int
    cards_done: int
    channel: str | None
    message_ts: str | None
    created_at: datetime
    finished_at: datetime | None = None


class BulkProgress(BaseModel):
    """A run and how many of its cards are up to date now."""

    model_config = ConfigDict(frozen=True)

    run: BulkRun
    done: int

    @property
    def finished(self) -> bool:
        return self.done >= self.run.total


def progress_update_due(progress: BulkProgress, every: int) -> bool:
    """Update the message at the end, or when `every` more cards are done than it shows."""
    return progress.finished or progress.done - progress.run.cards_done >= every


def minutes_for_cards(count: int) -> int:
    """About how long the card updates of `count` decisions take at Slack's pace."""
    return max(1, math.ceil(count / CARD_UPDATES_PER_MINUTE))
