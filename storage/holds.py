"""SQL for hold follow-ups: reminders to the employer and expiry of unanswered holds."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime

from bot.clock import to_db
from bot.models import AUTO_ACTOR, ReviewRequest, State, Via
from bot.platform_events import core_fields, envelope
from bot.policy import employer_status_for
from storage import outbox
from storage.audit import insert_audit, load_workspace_settings
from storage.decisions import record_outcome, resolve_reasons
from storage.outbox import card_lane, webhook_lane
from storage.rows import REQUEST_SELECT, request_from_row

NO_RESPONSE = "no_response"


@dataclass(frozen=True)
class HoldRound:
    reminded: tuple[int, ...]
    expired: tuple[int, ...]


def follow_up_holds(conn: sqlite3.Connection, now: datetime, limit: int = 500) -> HoldRound:
    """Remind employers whose follow-up day has come; expire holds past their expiry."""
    stamp = to_db(now)
    settings = load_workspace_settings(conn)
    reminded = []
    for row in conn.execute(
        REQUEST_SELECT + " WHERE r.state = 'on_hold' AND r.hold_follow_up_at <= ?"
        " AND r.hold_reminded_at IS NULL AND (r.hold_expires_at IS NULL OR r.hold_expires_at > ?)"
        " ORDER BY r.id LIMIT ?",
        (stamp, stamp, limit),
    ).fetchall():
        request = request_from_row(row)
        audit_id = insert_audit(
            conn,
            request_id=request.id,
            employer_id=request.employer.id,
            action="hold_reminder",
            actor=AUTO_ACTOR,
            via=Via.AUTO,
            at=now,
            message=request.hold_question,
        )
        conn.execute("UPDATE requests SET hold_reminded_at = ? WHERE id = ?", (stamp, request.id))
        event = envelope(
            f"{request.kind.value}.hold_reminder",
            now,
            {
                # the hold being followed up: who put it on hold, when, how, and its question
                **core_fields(
                    kind=request.kind.value,
                    upstream_id=request.upstream_id,
                    outcome=request.state.value,
                    actor=request.decided_by or AUTO_ACTOR,
                    via=request.decided_via or Via.BUTTON,
                    at=request.decided_at or now,
                    message=request.hold_question,
                ),
                "question": request.hold_question or "",
                "held_at": to_db(request.decided_at) if request.decided_at else None,
                "expires_at": to_db(request.hold_expires_at) if request.hold_expires_at else None,
                "reminded_at": stamp,
            },
        )
        outbox.enqueue(conn, lane=webhook_lane(request.id), kind="webhook", payload=event, now=now)
        if request.card_ts:
            outbox.enqueue(
                conn,
                lane=card_lane(request.id),
                kind="thread",
                payload={"request_id": request.id, "audit_id": audit_id},
                now=now,
            )
        reminded.append(request.id)
    expired = []
    for row in conn.execute(
        REQUEST_SELECT
        + " WHERE r.state = 'on_hold' AND r.hold_expires_at <= ? ORDER BY r.id LIMIT ?",
        (stamp, limit),
    ).fetchall():
        request = request_from_row(row)
        if settings.hold_expiry_action == "decline":
            record_outcome(
                conn,
                request,
                State.DECLINED,
                AUTO_ACTOR,
                Via.AUTO,
                now,
                settings=settings,
                reasons=resolve_reasons(conn, [NO_RESPONSE]),
                message=_no_response_message(conn),
                details={"hold_expired": True},
            )
        else:
            _end_hold(conn, request, State(settings.hold_expiry_action), now)
        expired.append(request.id)
    return HoldRound(tuple(reminded), tuple(expired))


def _no_response_message(conn: sqlite3.Connection) -> str:
    row = conn.execute(
        "SELECT message FROM decline_reasons WHERE code = ?", (NO_RESPONSE,)
    ).fetchone()
    return str(row[0]) if row else ""


def _end_hold(conn: sqlite3.Connection, request: ReviewRequest, to: State, now: datetime) -> None:
    """An unanswered hold ends: back to the queue (`pending`), or closed (`expired`, recorded
    as the scheduler's outcome). SPEC 6 has no webhook type for either, so none is sent."""
    request_id, stamp = request.id, to_db(now)
    audit_id = insert_audit(
        conn,
        request_id=request_id,
        employer_id=request.employer.id,
        action="hold_expired",
        from_state=State.ON_HOLD.value,
        to_state=to.value,
        actor=AUTO_ACTOR,
        via=Via.AUTO,
        at=now,
    )
    decided = (stamp, AUTO_ACTOR, Via.AUTO.value) if to is State.EXPIRED else (None,) * 3
    conn.execute(
        "UPDATE requests SET state = ?, decided_at = ?, decided_by = ?, decided_via = ?,"
        " last_audit_id = ?, updated_at = ?, hold_follow_up_at = NULL,"
        " hold_expires_at = NULL, hold_reminded_at = NULL WHERE id = ?",
        (to.value, *decided, audit_id, stamp, request_id),
    )
    conn.execute(
        "UPDATE employers SET status = ? WHERE id = ? AND status = 'on_hold'"
        " AND EXISTS (SELECT 1 FROM requests WHERE id = ? AND kind = 'employer')",
        (employer_status_for(to).value, request.employer.id, request_id),
    )
    lane = card_lane(request_id)
    outbox.enqueue_card(conn, request_id, now)
    if request.card_ts:
        outbox.enqueue(
            conn,
            lane=lane,
            kind="thread",
            payload={"request_id": request_id, "audit_id": audit_id},
            now=now,
        )
