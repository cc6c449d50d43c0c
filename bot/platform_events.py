"""Outbound platform events (SPEC section 6): what a decision looks like on the wire (pure).

The internal note is not a parameter of anything here, so it cannot leak into an event.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from bot.clock import to_db
from bot.models import Kind, ReasonRef, State, Via


def core_fields(
    *,
    kind: str,
    upstream_id: str,
    outcome: str,
    actor: str,
    via: Via,
    at: datetime,
    reasons: Sequence[ReasonRef] = (),
    message: str | None = None,
) -> dict[str, Any]:
    """What SPEC 6 says every event's `data` holds: the request's upstream id, the outcome,
    the reasons (code and label), the message to the employer, who decided, when, via what.
    Each event type adds its own fields after these."""
    return {
        "id": upstream_id,
        "kind": kind,
        "outcome": outcome,
        "reasons": [{"code": r.code, "label": r.label} for r in reasons],
        "message": message or "",
        "decided_by": actor,
        "decided_at": to_db(at),
        "via": via.value,
    }


def decision_event(
    *,
    kind: Kind,
    upstream_id: str,
    outcome: State,
    actor: str,
    via: Via,
    at: datetime,
    reasons: Sequence[ReasonRef] = (),
    message: str | None = None,
    roles: Sequence[str] = (),
    employer_upstream_id: str | None = None,
    hold_follow_up_at: datetime | None = None,
) -> dict[str, Any]:
    """`{"type": "job.approved", "timestamp": ..., "data": {...}}` for one decision."""
    data = core_fields(
        kind=kind.value,
        upstream_id=upstream_id,
        outcome=outcome.value,
        actor=actor,
        via=via,
        at=at,
        reasons=reasons,
        message=message,
    )
    if kind is Kind.JOB and employer_upstream_id:
        data["employer_id"] = employer_upstream_id
    if kind is Kind.EMPLOYER and outcome is State.APPROVED:
        data["roles"] = list(roles)
    if outcome is State.ON_HOLD and hold_follow_up_at is not None:
        data["follow_up_at"] = to_db(hold_follow_up_at)
    return envelope(f"{kind.value}.{outcome.value}", at, data)


def reverted_event(
    *, kind: Kind, upstream_id: str, reverted: State, actor: str, via: Via, at: datetime
) -> dict[str, Any]:
    data = core_fields(
        kind=kind.value,
        upstream_id=upstream_id,
        outcome=State.PENDING.value,
        actor=actor,
        via=via,
        at=at,
    )
    data.update(reverted_outcome=reverted.value, reverted_by=actor, reverted_at=to_db(at))
    return envelope(f"{kind.value}.decision_reverted", at, data)


def envelope(event_type: str, at: datetime, data: dict[str, Any]) -> dict[str, Any]:
    return {"type": event_type, "timestamp": to_db(at), "data": data}
