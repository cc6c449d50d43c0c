"""SQL for decisions: one transaction per decision with its audit row and outbox rows."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from bot.clock import from_db, to_db
from bot.models import AUTO_ACTOR, EmployerStatus, Kind, ReasonRef, ReviewRequest, State, Via
from bot.platform_events import decision_event, reverted_event
from bot.policy import (
    EMPLOYER_NOT_APPROVED,
    Blocker,
    can_undo,
    decision_blocker,
    employer_status_for,
    hold_dates,
    undo_window_open,
)
from bot.words import count_of
from bot.workspace import WorkspaceSettings
from storage import outbox
from storage.audit import (
    insert_audit,
    insert_refusal,
    list_decline_reasons,
    load_workspace_settings,
)
from storage.outbox import card_lane, refresh_lane, webhook_lane
from storage.rows import REQUEST_SELECT, RequestNotFound, get_request, request_from_row


class UnknownReason(ValueError):
    """A decline reason code that is not in the catalogue."""


@dataclass(frozen=True)
class DecisionCommand:
    request_id: int
    outcome: State
    actor: str
    via: Via
    reason_codes: tuple[str, ...] = ()
    message: str | None = None
    note: str | None = None
    hold_question: str | None = None
    follow_up_days: int | None = None
    approve_employer_too: bool = False
    details: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class Decided:
    request: ReviewRequest
    audit_id: int
    also_decided: tuple[int, ...] = ()


@dataclass(frozen=True)
class NotDecided:
    blocker: Blocker
    request: ReviewRequest


def resolve_reasons(conn: sqlite3.Connection, codes: Sequence[str]) -> list[ReasonRef]:
    if not codes:  # an approval or a hold: no catalogue to read
        return []
    catalogue = {r.code: r for r in list_decline_reasons(conn, include_retired=True)}
    unknown = [code for code in codes if code not in catalogue]
    if unknown:
        raise UnknownReason(f"unknown decline reason(s): {', '.join(unknown)}")
    return [ReasonRef(code=code, label=catalogue[code].label) for code in dict.fromkeys(codes)]


def apply_decision(
    conn: sqlite3.Connection, cmd: DecisionCommand, now: datetime
) -> Decided | NotDecided:
    """Check the request is still open and record the decision, or say why not."""
    request = get_request(conn, cmd.request_id)
    if request is None:
        raise RequestNotFound(f"no request with id {cmd.request_id}")
    blocker = decision_blocker(
        request,
        cmd.outcome,
        reason_codes=cmd.reason_codes,
        approve_employer_too=cmd.approve_employer_too,
    )
    if blocker is not None:
        return NotDecided(blocker, request)
    settings = load_workspace_settings(conn)
    reasons = resolve_reasons(conn, cmd.reason_codes)
    also: list[int] = []
    if cmd.outcome is State.APPROVED and request.kind is Kind.JOB and cmd.approve_employer_too:
        employer_request = _employer_request(conn, request.employer.id)
        if employer_request is not None and employer_request.state in (
            State.PENDING,
            State.ON_HOLD,
        ):
            record_outcome(
                conn,
                employer_request,
                State.APPROVED,
                cmd.actor,
                cmd.via,
                now,
                settings=settings,
                details={"with_job": request.upstream_id},
            )
            also.append(employer_request.id)
    audit_id = record_outcome(
        conn,
        request,
        cmd.outcome,
        cmd.actor,
        cmd.via,
        now,
        settings=settings,
        reasons=reasons,
        message=cmd.message,
        note=cmd.note,
        hold_question=cmd.hold_question,
        follow_up_days=cmd.follow_up_days,
        details=dict(cmd.details),
    )
    if request.kind is Kind.EMPLOYER and cmd.outcome is State.DECLINED:
        also.extend(decline_jobs_of_employer(conn, request.employer.id, audit_id, now, settings))
    updated = get_request(conn, request.id, known=request)
    assert updated is not None
    return Decided(updated, audit_id, tuple(also))


def record_outcome(
    conn: sqlite3.Connection,
    request: ReviewRequest,
    outcome: State,
    actor: str,
    via: Via,
    now: datetime,
    *,
    settings: WorkspaceSettings,
    reasons: Sequence[ReasonRef] = (),
    message: str | None = None,
    note: str | None = None,
    hold_question: str | None = None,
    follow_up_days: int | None = None,
    details: dict[str, object] | None = None,
) -> int:
    """State change, audit row, and the card update, thread reply and webhook it causes."""
    return record_outcomes(
        conn,
        [request],
        outcome,
        actor,
        via,
        now,
        settings=settings,
        reasons=reasons,
        message=message,
        note=note,
        hold_question=hold_question,
        follow_up_days=follow_up_days,
        details=details,
    )[0]


def record_outcomes(
    conn: sqlite3.Connection,
    requests: Sequence[ReviewRequest],
    outcome: State,
    actor: str,
    via: Via,
    now: datetime,
    *,
    settings: WorkspaceSettings,
    reasons: Sequence[ReasonRef] = (),
    message: str | None = None,
    note: str | None = None,
    hold_question: str | None = None,
    follow_up_days: int | None = None,
    details: dict[str, object] | None = None,
    bulk_id: int | None = None,
) -> list[int]:
    """record_outcome for each of `requests` (each its own audit row and webhook), with the
    state changes batched: a bulk run decides thousands in one transaction. In a bulk run
    (`bulk_id`) the card rows carry the run id for its progress message, which stands for the
    thread replies, and no undo-window refresh follows (no per-card Undo)."""
    follow_up_at = expires_at = None
    if outcome is State.ON_HOLD:
        follow_up_at, expires_at = hold_dates(
            now, follow_up_days or settings.hold_follow_up_days, settings.hold_expiry_days
        )
        message = hold_question or message
    stamp = to_db(now)
    audit_ids = []
    for request in requests:
        audit_details = dict(details or {})
        if outcome is State.APPROVED and request.kind is Kind.EMPLOYER:
            audit_details["roles"] = list(settings.default_roles)
        audit_ids.append(
            insert_audit(
                conn,
                request_id=request.id,
                employer_id=request.employer.id,
                action=outcome.value,
                from_state=request.state.value,
                to_state=outcome.value,
                actor=actor,
                via=via,
                at=now,
                reasons=reasons,
                message=message,
                note=note,
                details=audit_details,
            )
        )
    hold = (
        (hold_question, to_db(follow_up_at), to_db(expires_at))
        if follow_up_at is not None and expires_at is not None
        else (None, None, None)
    )
    changed = conn.executemany(
        "UPDATE requests SET state = ?, decided_at = ?, decided_by = ?, decided_via = ?,"
        " last_audit_id = ?, updated_at = ?, hold_question = ?, hold_follow_up_at = ?,"
        " hold_expires_at = ? WHERE id = ? AND state = ?",
        [
            (outcome.value, stamp, actor, via.value, audit_id, stamp, *hold, r.id, r.state.value)
            for r, audit_id in zip(requests, audit_ids, strict=True)
        ],
    ).rowcount
    if changed != len(requests):
        raise RuntimeError("a request changed under a decision")
    conn.executemany(
        "UPDATE employers SET status = ?, updated_at = ? WHERE id = ?",
        [
            (employer_status_for(outcome).value, stamp, r.employer.id)
            for r in requests
            if r.kind is Kind.EMPLOYER
        ],
    )
    for request, audit_id in zip(requests, audit_ids, strict=True):
        event = decision_event(
            kind=request.kind,
            upstream_id=request.upstream_id,
            outcome=outcome,
            actor=actor,
            via=via,
            at=now,
            reasons=reasons,
            message=message,
            roles=settings.default_roles,
            employer_upstream_id=request.employer.upstream_id,
            hold_follow_up_at=follow_up_at,
        )
        _enqueue_effects(conn, request.id, audit_id, event, now, settings, bulk_id)
    return audit_ids


def _enqueue_effects(
    conn: sqlite3.Connection,
    request_id: int,
    audit_id: int,
    event: dict[str, object],
    now: datetime,
    settings: WorkspaceSettings,
    bulk_id: int | None = None,
) -> None:
    lane = card_lane(request_id)
    card: dict[str, object] = {"request_id": request_id}
    if bulk_id is not None:
        card["bulk_id"] = bulk_id
    outbox.enqueue(conn, lane=lane, kind="card", payload=card, now=now)
    if bulk_id is None:
        outbox.enqueue(
            conn,
            lane=lane,
            kind="thread",
            payload={"request_id": request_id, "audit_id": audit_id},
            now=now,
        )
    outbox.enqueue(conn, lane=webhook_lane(request_id), kind="webhook", payload=event, now=now)
    if settings.undo_window_minutes and bulk_id is None:
        # the Undo button leaves the card when the window ends
        outbox.enqueue(
            conn,
            lane=refresh_lane(request_id),
            kind="card",
            payload={"request_id": request_id},
            now=now,
            not_before=now + timedelta(minutes=settings.undo_window_minutes, seconds=1),
        )


def _employer_request(conn: sqlite3.Connection, employer_id: int) -> ReviewRequest | None:
    row = conn.execute(
        REQUEST_SELECT + " WHERE r.kind = 'employer' AND r.employer_id = ?", (employer_id,)
    ).fetchone()
    return request_from_row(row) if row else None


def decline_jobs_of_employer(
    conn: sqlite3.Connection,
    employer_id: int,
    cause_audit_id: int,
    now: datetime,
    settings: WorkspaceSettings,
) -> list[int]:
    """An employer declined: its open jobs are declined too (employer_not_approved, auto)."""
    rows = conn.execute(
        REQUEST_SELECT + " WHERE r.kind = 'job' AND r.employer_id = ?"
        " AND r.state IN ('pending', 'on_hold') ORDER BY r.id",
        (employer_id,),
    ).fetchall()
    reasons = resolve_reasons(conn, [EMPLOYER_NOT_APPROVED])
    declined = []
    for row in rows:
        job = request_from_row(row)
        record_outcome(
            conn,
            job,
            State.DECLINED,
            AUTO_ACTOR,
            Via.AUTO,
            now,
            settings=settings,
            reasons=reasons,
            message=_employer_not_approved_message(conn),
            details={"cascade_of": cause_audit_id},
        )
        declined.append(job.id)
    return declined


def _employer_not_approved_message(conn: sqlite3.Connection) -> str:
    row = conn.execute(
        "SELECT message FROM decline_reasons WHERE code = ?", (EMPLOYER_NOT_APPROVED,)
    ).fetchone()
    return str(row["message"]) if row else ""


def auto_decline_for_blocked_employer(
    conn: sqlite3.Connection, request_id: int, now: datetime
) -> State:
    """A job from a declined or suspended employer, new or edited: declined at once, no
    review. When the employer's own request was declined, the job's decline names that
    decision (`cascade_of`), so undoing it brings the job back too."""
    request = get_request(conn, request_id)
    assert request is not None
    details: dict[str, Any] = {"employer_status": request.employer.status.value}
    # the employer's decline this follows from (a suspension is no decision an Undo takes back)
    if request.employer.status is EmployerStatus.DECLINED:
        cause = conn.execute(
            "SELECT last_audit_id FROM requests WHERE kind = 'employer' AND employer_id = ?"
            " AND state = 'declined' ORDER BY id DESC LIMIT 1",
            (request.employer.id,),
        ).fetchone()
        if cause is not None and cause[0] is not None:
            details["cascade_of"] = cause[0]
    record_outcome(
        conn,
        request,
        State.DECLINED,
        AUTO_ACTOR,
        Via.AUTO,
        now,
        settings=load_workspace_settings(conn),
        reasons=resolve_reasons(conn, [EMPLOYER_NOT_APPROVED]),
        message=_employer_not_approved_message(conn),
        details=details,
    )
    return State.DECLINED


@dataclass(frozen=True)
class Reverted:
    request: ReviewRequest
    audit_id: int


@dataclass(frozen=True)
class NotReverted:
    request: ReviewRequest
    why: str


def revert_decision(
    conn: sqlite3.Connection,
    request_id: int,
    *,
    actor: str,
    via: Via,
    is_admin: bool,
    now: datetime,
) -> Reverted | NotReverted:
    """Undo the last decision within the window: back to pending, `*.decision_reverted` sent.
    A refused Undo is recorded (`refused`, with why) and changes nothing else."""
    request = get_request(conn, request_id)
    if request is None:
        raise RequestNotFound(f"no request with id {request_id}")
    settings = load_workspace_settings(conn)
    window = timedelta(minutes=settings.undo_window_minutes)
    if not can_undo(
        state=request.state,
        decided_at=request.decided_at,
        decided_by=request.decided_by,
        user_id=actor,
        is_admin=is_admin,
        now=now,
        window=window,
    ):
        if request.state not in (State.APPROVED, State.DECLINED, State.ON_HOLD):
            code, why = "no_decision", "there is no decision to undo"
        elif request.decided_at and not undo_window_open(request.decided_at, now, window):
            minutes = count_of(settings.undo_window_minutes, "minute")
            code, why = "undo_window_ended", f"the undo window ({minutes}) has ended"
        else:
            code, why = "not_the_decider", "only the person who decided, or an admin, can undo this"
        insert_refusal(
            conn, request_id=request.id, actor=actor, attempted="undo", why=code, via=via, at=now
        )
        return NotReverted(request, why)
    audit_id, _ = write_revert(
        conn,
        Undoable(
            request.id,
            request.kind,
            request.upstream_id,
            request.state,
            request.employer.id,
            request.decided_at,
        ),
        actor=actor,
        via=via,
        now=now,
    )
    updated = get_request(conn, request.id)
    assert updated is not None
    return Reverted(updated, audit_id)


class Undoable(NamedTuple):
    """What undoing a decision needs to know of its request (read without its payload)."""

    id: int
    kind: Kind
    upstream_id: str
    state: State
    employer_id: int
    decided_at: datetime | None


class Revert(NamedTuple):
    audit_id: int
    # jobs declined because of the employer decline undone, brought back with it
    jobs_with_it: int


def write_revert(
    conn: sqlite3.Connection,
    decided: Undoable,
    *,
    actor: str,
    via: Via,
    now: datetime,
    cascade_of: int | None = None,
) -> Revert:
    """The writes of an Undo, checks done by the caller: the audit row, the request (and an
    employer request's employer) back to pending, the card refresh, the thread reply and the
    `*.decision_reverted` webhook. An employer's decline is undone with the declines of its
    jobs that it caused and that still stand (each with its own webhook)."""
    # an employer's decline brings back the job declines it caused: read which decision that
    # was before the revert replaces it as the request's latest (no read for anything else,
    # as a bulk undo of thousands of jobs)
    cascading = decided.kind is Kind.EMPLOYER and decided.state is State.DECLINED
    cause = (
        conn.execute("SELECT last_audit_id FROM requests WHERE id = ?", (decided.id,)).fetchone()[0]
        if cascading
        else None
    )
    details: dict[str, Any] = {
        "reverted_decision_at": to_db(decided.decided_at) if decided.decided_at else None
    }
    if cascade_of is not None:
        details["cascade_of"] = cascade_of
    audit_id = insert_audit(
        conn,
        request_id=decided.id,
        employer_id=decided.employer_id,
        action="reverted",
        from_state=decided.state.value,
        to_state=State.PENDING.value,
        actor=actor,
        via=via,
        at=now,
        details=details,
    )
    conn.execute(
        "UPDATE requests SET state = 'pending', decided_at = NULL, decided_by = NULL,"
        " decided_via = NULL, last_audit_id = ?, updated_at = ?, hold_question = NULL,"
        " hold_follow_up_at = NULL, hold_expires_at = NULL WHERE id = ?",
        (audit_id, to_db(now), decided.id),
    )
    if decided.kind is Kind.EMPLOYER:
        # an employer suspended or removed by the platform since stays so: the Undo takes
        # back the decision, not the platform's action, and brings back none of its jobs
        reopened = conn.execute(
            "UPDATE employers SET status = 'pending', updated_at = ? WHERE id = ?"
            " AND status NOT IN ('suspended', 'removed')",
            (to_db(now), decided.employer_id),
        ).rowcount
        cascading = cascading and reopened > 0
    event = reverted_event(
        kind=decided.kind,
        upstream_id=decided.upstream_id,
        reverted=decided.state,
        actor=actor,
        via=via,
        at=now,
    )
    lane = card_lane(decided.id)
    outbox.enqueue_card(conn, decided.id, now)
    outbox.enqueue(
        conn,
        lane=lane,
        kind="thread",
        payload={"request_id": decided.id, "audit_id": audit_id},
        now=now,
    )
    outbox.enqueue(conn, lane=webhook_lane(decided.id), kind="webhook", payload=event, now=now)
    jobs = (
        _declined_by_cascade(conn, decided.employer_id, cause)
        if cascading and cause is not None
        else []
    )
    for job in jobs:
        write_revert(conn, job, actor=actor, via=via, now=now, cascade_of=audit_id)
    return Revert(audit_id, len(jobs))


def _declined_by_cascade(
    conn: sqlite3.Connection, employer_id: int, cause_audit_id: int
) -> list[Undoable]:
    """Jobs declined because of that employer decline (decline_jobs_of_employer), whose
    decline is still their latest change."""
    return undoables_where(
        conn,
        "r.employer_id = ? AND r.kind = 'job' AND r.state = 'declined'"
        " AND json_extract(a.details, '$.cascade_of') = ?",
        (employer_id, cause_audit_id),
    )


def undoables_where(
    conn: sqlite3.Connection, where: str, params: tuple[Any, ...]
) -> list[Undoable]:
    """The requests matching `where` (over `r`, the request, and `a`, its latest audit row),
    read without their payloads, in id order."""
    return [
        Undoable(
            row["id"],
            Kind(row["kind"]),
            row["upstream_id"],
            State(row["state"]),
            row["employer_id"],
            from_db(row["decided_at"]) if row["decided_at"] else None,
        )
        for row in conn.execute(
            "SELECT r.id, r.kind, r.upstream_id, r.state, r.employer_id, r.decided_at"
            f" FROM requests r JOIN audit a ON a.id = r.last_audit_id WHERE {where}"
            " ORDER BY r.id",
            params,
        )
    ]


def last_decision_time(conn: sqlite3.Connection, request_id: int) -> datetime | None:
    row = conn.execute("SELECT decided_at FROM requests WHERE id = ?", (request_id,)).fetchone()
    return from_db(row[0]) if row and row[0] else None
